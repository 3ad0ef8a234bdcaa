"""IKASANDI evidence conditions: at most 12 months old, verified by BSSN from level 3."""

from __future__ import annotations

from datetime import date

from spbe.frameworks import load_framework
from spbe.items.conditions import evidence_warnings

MODEL = load_framework("pemdi-2026").items
AGE, VERIFIED = MODEL.conditions
TODAY = date(2026, 8, 20)


def test_a_result_within_twelve_months_passes_and_an_older_one_is_named():
    assert evidence_warnings(AGE, on=TODAY, evidence_date=date(2025, 8, 20)) == ()
    (warning,) = evidence_warnings(AGE, on=TODAY, evidence_date=date(2025, 8, 19))
    assert "19-08-2025" in warning and "12 bulan" in warning and "20-08-2025" in warning


def test_missing_or_future_dates_are_warned_not_assumed():
    assert evidence_warnings(AGE, on=TODAY) == (
        "Hasil IKASANDI (BSSN) paling lama 12 bulan: tanggal hasil belum dicatat",
    )
    assert "masa depan" in evidence_warnings(AGE, on=TODAY, evidence_date=date(2026, 9, 1))[0]


def test_verification_by_bssn_is_required_from_level_three():
    assert evidence_warnings(VERIFIED, on=TODAY, verified_by="bssn") == ()
    assert "belum tercatat diverifikasi BSSN" in evidence_warnings(VERIFIED, on=TODAY)[0]
    assert "bukan BSSN" in evidence_warnings(VERIFIED, on=TODAY, verified_by="Penilaian mandiri")[0]
