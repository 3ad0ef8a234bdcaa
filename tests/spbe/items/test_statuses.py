"""Rows of item statuses: good rows become states and readings; every bad row is named."""

from __future__ import annotations

from fractions import Fraction

import pytest

from spbe.errors import InputError
from spbe.frameworks import load_framework
from spbe.items.status import ItemState, ItemStatus, RevisionKind
from spbe.items.statuses import parse_status_rows

MODEL = load_framework("pemdi-2026").items


def rows(*cells: tuple[str, ...], header=("code", "status")):
    return [(line, dict(zip(header, c, strict=False))) for line, c in enumerate(cells, start=2)]


def test_codes_statuses_kinds_and_external_values():
    sheet = parse_status_rows(
        rows(
            ("I1-L1-01", "diterima", ""),
            ("pg_04_01", "Revisi", "bukti tidak tepat"),  # the ministry's code, any case
            ("I2-L1-01", "proses", ""),
            ("I2-L1-02", "belum", ""),
            ("I5", "68,75", ""),  # a decimal comma
            ("i7", "3", ""),
            header=("code", "status", "kind"),
        ),
        MODEL,
        source="f.csv",
    )
    assert sheet.states == {
        "I1-L1-01": ItemState(ItemStatus.DITERIMA),
        "I4-L1-01": ItemState(ItemStatus.REVISI, RevisionKind.BUKTI_TIDAK_TEPAT),
        "I2-L1-01": ItemState(ItemStatus.PROSES),
        "I2-L1-02": ItemState(ItemStatus.BELUM),
    }
    assert {n: r.source_value for n, r in sheet.readings.items()} == {5: Fraction("68.75"), 7: Fraction(3)}
    assert sheet.lines["I4-L1-01"] == 3 and sheet.lines["I5"] == 6


def test_every_bad_row_is_named_with_line_and_column():
    with pytest.raises(InputError) as err:
        parse_status_rows(
            rows(
                ("I1-L1-01", "diterima"),
                ("I1-L1-01", "revisi"),
                ("I1-L9-01", "diterima"),
                ("I1-L2-02", "ok"),
                ("I2-L1-01", "ditolak otomatis"),
                ("I3", "2.5"),
                ("I5", "120"),
                ("I6", "tinggi"),
                ("I5", "50"),
                ("", "diterima"),
                ("I2-L1-02", ""),
            ),
            MODEL,
            source="f.csv",
        )
    problems = err.value.problems
    assert problems == [
        "baris 3, kolom 'code': butir I1-L1-01 sudah ada di baris 2",
        "baris 4, kolom 'code': 'I1-L9-01' bukan kode butir maupun indikator eksternal",
        "baris 5, kolom 'status': 'ok' bukan status; pilih diterima, revisi, proses, belum",
        "baris 6, kolom 'status': 'ditolak otomatis' tidak diisi; alat menurunkannya dari tingkat di bawahnya",
        "baris 7, kolom 'code': I3 dinilai dari butirnya, bukan nilai langsung; tulis status per butir "
        "(I3-L1-01, I3-L1-02, ...)",
        "baris 8, kolom 'status': 120 di luar 0–100 untuk I5 (Indeks SDI (0–100))",
        "baris 9, kolom 'status': 'tinggi' bukan angka untuk I6 (Indeks SJIG (1–5))",
        "baris 10, kolom 'code': nilai I5 sudah ada di baris 8",
        "baris 11, kolom 'code': kosong",
        "baris 12, kolom 'status': kosong bukan status; pilih diterima, revisi, proses, belum",
    ]
    assert str(err.value).startswith("f.csv: 10 problems:")


def test_a_revision_kind_belongs_to_revisi_only():
    with pytest.raises(InputError) as err:
        parse_status_rows(
            rows(
                ("I1-L1-01", "diterima", "belum diunggah"),
                ("I1-L2-01", "revisi", "salah"),
                header=("code", "status", "kind"),
            ),
            MODEL,
            source="f.csv",
        )
    assert err.value.problems == [
        "baris 2, kolom 'kind': alasan hanya untuk status revisi, bukan diterima",
        "baris 3, kolom 'kind': 'salah' bukan alasan revisi; pilih bukti tidak tepat, belum diunggah",
    ]
