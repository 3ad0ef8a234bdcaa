"""Messages name levels on the indicator's own scale."""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace

import pytest

from spbe.messages import nama_level, render


@pytest.mark.parametrize(
    ("framework", "indicator", "level", "text"),
    [
        ("permenpanrb-59-2020", 14, 3, "3 (Terdefinisi)"),
        ("permenpanrb-59-2020", 20, 4, "4 (Terpadu dan Terukur)"),
        ("permenpanrb-59-2020", 33, 3, "3 (Transaksi)"),  # service indicator: technical-function scale
        ("permenpanrb-59-2020", 47, 5, "5 (Optimalisasi)"),
        ("pemdi-2026", 20, 1, "1 (Merintis)"),
        ("pemdi-2026", 5, 5, "5 (Unggul)"),
        ("pemdi-2026", 5, None, "-"),
    ],
)
def test_nama_level(framework, indicator, level, text):
    assert nama_level(level, framework, indicator) == text


def test_the_document_review_notice_names_the_claimed_level():
    cycle = SimpleNamespace(year=2025, framework_id="permenpanrb-59-2020", timezone="Asia/Jakarta", city="Kota Uji")
    items = [
        SimpleNamespace(number=n, name=f"Indikator {n}", owner_opd="A", claimed_level=lv, version=1)
        for n, lv in ((14, 3), (33, 3))
    ]
    _, body = render(
        "notice_document_review.txt.j2",
        cycle=cycle,
        phase=SimpleNamespace(deadline_at=datetime(2025, 10, 31, 9, tzinfo=UTC)),
        person=SimpleNamespace(name="Asesor"),
        items=items,
        opds={"A": SimpleNamespace(name="OPD A")},
    )
    assert "Indikator 14: Indikator 14 (OPD A, tingkat diklaim 3 (Terdefinisi), versi 1)" in body
    assert "Indikator 33: Indikator 33 (OPD A, tingkat diklaim 3 (Transaksi), versi 1)" in body


def test_a_gate_line_in_a_message_is_indonesian():
    """The issue's example: 'indicator 1 (version 2) awaits review by asr-03' inside an Indonesian notice."""
    from spbe.domain.gates import evaluate
    from tests.utils.snapshots import DEADLINE, make_snapshot, submitted

    a, b, c = make_snapshot().indicators
    gate = evaluate(make_snapshot([submitted(a), b, c]), "document-review", DEADLINE)
    cycle = SimpleNamespace(year=2025, timezone="Asia/Makassar", city="Kota Uji")
    phase = SimpleNamespace(name="document-review", title="Penilaian dokumen", deadline_at=DEADLINE)
    _, body = render(
        "notice_gate_unmet_after_deadline.txt.j2", cycle=cycle, phase=phase, gate=gate, person=SimpleNamespace(name="K")
    )
    assert "  - indikator 1 (versi 1) menunggu penilaian oleh asr-b" in body
    assert "awaits" not in body and "version" not in body and "WITA" in body
