"""Messages name levels on the indicator's own scale, and indicators the way their framework does."""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace

import pytest

from spbe.frameworks import load_framework
from spbe.messages import clipped, nama_indikator, nama_level, render


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


@pytest.mark.parametrize(
    ("framework", "number", "label"),
    [("pemdi-2026", 4, "I4"), ("pemdi-2026", 20, "I20"), ("permenpanrb-59-2020", 4, "Indikator 4")],
)
def test_an_indicator_is_named_as_its_framework_names_it(framework: str, number: int, label: str):
    """Pemdi's indicators are I1..I20 (items.csv, the portal, the ministry's app), never "Indikator 4"."""
    assert load_framework(framework).indicator_label(number) == label
    assert nama_indikator(number, framework) == label  # the templates' filter is the same helper


@pytest.mark.parametrize(
    ("framework", "numbers", "most", "text"),
    [
        ("pemdi-2026", [4, 8, 9, 10, 11, 19, 20], None, "I4, I8–I11, I19, I20"),
        ("pemdi-2026", [2, 4, 6, 8], 2, "I2, I4, dst."),
        ("permenpanrb-59-2020", [3, 1, 2, 7], None, "indikator 1–3, 7"),
        ("permenpanrb-59-2020", [], None, ""),
    ],
)
def test_several_indicators_read_as_ranges(framework: str, numbers: list[int], most: int | None, text: str):
    assert load_framework(framework).indicator_labels(numbers, most=most) == text


def test_a_short_indicator_name_drops_the_scale_words():
    pemdi = load_framework("pemdi-2026")
    assert pemdi.short_indicator_name(4) == "Kolaborasi Pemdi"  # "Tingkat Kematangan Kolaborasi Pemdi"
    assert pemdi.short_indicator_name(16) == "Integrasi Aplikasi"  # no scale words to drop


def test_clipped_text_ends_at_a_word_with_an_ellipsis():
    text = "Rancangan dokumen perencanaan Instansi Pemerintah yang berisi substansi"
    assert clipped(text, 30) == "Rancangan dokumen perencanaan…"
    assert clipped(text, 29) == "Rancangan dokumen…"
    assert clipped("pendek", 30) == "pendek" and clipped("x" * 40, 10) == "x" * 9 + "…"


def test_notices_name_an_indicator_as_the_framework_does():
    """The same helper in every template: a Pemdi reassignment says I4, a 59/2020 one Indikator 4."""
    person = SimpleNamespace(name="Asesor A", key="asr-a")
    for framework, label in (("pemdi-2026", "I4"), ("permenpanrb-59-2020", "Indikator 4")):
        cycle = SimpleNamespace(year=2026, city="Kota X", framework_id=framework, timezone="Asia/Jakarta")
        subject, body = render(
            "notice_reassignment.txt.j2",
            cycle=cycle,
            person=person,
            gained=True,
            indicator=SimpleNamespace(number=4, name="Kolaborasi"),
            owner_name="OPD A",
            other=None,
            approved=True,
            reason=None,
        )
        assert subject.endswith(f"Tugas baru: {label}") and f"asesor internal {label} (Kolaborasi)" in body


def test_pemdi_item_lines_take_one_line_per_indicator():
    """spbe.services.reminder_lines on its own: a state shared by several indicators is one line; an
    indicator's own state joins its items' line; items are counted per state with their first codes."""
    from spbe.domain.gates import Outstanding
    from spbe.services.reminder_lines import item_lines

    def o(kind: str, indicator: int | None, item: str | None = None, opd: str | None = "A") -> Outstanding:
        return Outstanding("document-review", kind, kind, indicator=indicator, opd=opd, item=item)

    pending = [
        o("missing_aim", 4), o("missing_aim", 5), o("missing_aim", 6), o("no_assessor", 9),
        *(o("awaiting_review", 9, f"I9-L1-0{n}") for n in range(1, 6)),
        o("revision_requested", 9, "I9-L2-01"), o("awaiting_review", 13, "I13-L1-01", opd="B"),
        o("report_not_built", None, opd=None),
    ]
    lines = item_lines(
        pending,
        framework=load_framework("pemdi-2026"),
        item_text=lambda code: "Dokumen kebijakan audit keamanan yang telah ditetapkan oleh kepala daerah",
        opd_name=lambda code: {"A": "OPD A", "B": "OPD B"}.get(code or "", code),
        state=lambda x: x.kind.replace("_", " "),
        show_opd=True,
    )
    assert [line["kind"] for line in lines] == ["group", "indicator", "indicator", "other"]
    assert (lines[0]["labels"], lines[0]["indicators"], lines[0]["state"]) == ("I4–I6", 3, "missing aim")
    nine = lines[1]
    assert (nine["label"], nine["name"], nine["opd_name"]) == ("I9", "Pelaksanaan Audit Keamanan…", "OPD A")
    assert nine["parts"] == [
        "no assessor",
        "5 butir menunggu penilaian (I9-L1-01, I9-L1-02, I9-L1-03, …)",
        "1 butir diminta revisi (I9-L2-01 Dokumen kebijakan audit…)",  # 32 characters, at a word
    ]
    assert lines[2]["opd_name"] == "OPD B" and lines[2]["parts"][0].startswith("1 butir menunggu penilaian (I13-L1-01 ")
    assert sum(line["count"] for line in lines) == len(pending)  # every pending thing is on some line
