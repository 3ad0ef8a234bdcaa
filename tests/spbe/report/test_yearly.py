"""Year over year: recorded results win over the cycle file, and a year under another framework (SPBE
years in a Pemdi 2026 cycle) is said to be on a different scale wherever both indices appear."""

from __future__ import annotations

import json
from decimal import Decimal as D

from openpyxl import load_workbook

from spbe.frameworks import load_framework
from spbe.history import GroupValue, OfficialResult
from spbe.report import render_html, render_json, render_markdown, render_xlsx
from spbe.report.charts import draw_all, trend_runs
from spbe.report.model import ReportData
from tests.utils.report import assemble_claimed

FW59 = load_framework("permenpanrb-59-2020")
PEMDI = load_framework("pemdi-2026")
FRAMEWORKS = {FW59.id: FW59, PEMDI.id: PEMDI}
MINISTRY_ASPECTS = ["5", "3.75", "3.75", "5", "3", "2.6667", "4.3", "5"]
SCALES = "berada pada skala yang berbeda"


def pemdi_report(**kwargs) -> ReportData:
    official = [
        OfficialResult(
            2025,
            FW59.id,
            D("4.2125000000"),
            "Memuaskan",
            tuple(GroupValue("aspect", n, D(v)) for n, v in zip(FW59.aspects(), MINISTRY_ASPECTS, strict=True)),
        )
    ]
    args = {"history": {2024: D("3.76"), 2025: D("4.21")}, "official": official, "frameworks": FRAMEWORKS, **kwargs}
    return assemble_claimed(PEMDI, year=2026, level=4, **args)


def test_spbe_years_in_a_pemdi_cycle_are_on_another_scale_in_the_data():
    data = pemdi_report()
    assert [(p.year, p.framework_id, p.source) for p in data.history] == [
        (2024, FW59.id, "config"),
        (2025, FW59.id, "official"),
        (2026, PEMDI.id, "current"),
    ]
    assert data.history[1].delta == D("0.45")  # 2024 → 2025: both 59/2020
    assert data.history[2].delta is None  # 2025 → 2026: another scale, no change computed
    assert data.history[1].predicate == "Memuaskan" and data.history[2].predicate == "Memuaskan"  # 4,00 Pemdi
    (note,) = data.history_notes
    assert note.startswith("Indeks tahun 2024, 2025 (PermenPANRB No. 59 Tahun 2020") and SCALES in note
    assert "dan indeks 2026 (PermenPANRB No. 8 Tahun 2026 (Evaluasi Kinerja Pemerintah Digital))" in note
    (table,) = data.group_history
    assert table.framework_id == FW59.id and table.years == (2025,) and table.current_year is None
    assert not table.comparable and "skala berbeda dari indeks 2026" in (table.note or "")
    assert [str(r.values[0]) for r in table.rows] == ["5.00", "3.75", "3.75", "5.00", "3.00", "2.67", "4.30", "5.00"]
    assert [len(run) for run in trend_runs(data)] == [2, 1]  # the chart draws 59/2020 and Pemdi apart


def test_every_format_says_so_where_both_indices_appear(tmp_path):
    data = pemdi_report()
    charts = draw_all(data)
    md = render_markdown.render(data, charts)
    page = render_html.render(data, charts)
    as_json = json.loads(render_json.render(data))
    assert SCALES in md and md.count("(skala berbeda)") == 2  # the two 59/2020 rows
    assert "skala berbeda dari indeks 2026" in md
    assert SCALES in page and page.count("(skala berbeda)") == 2 and "skala berbeda dari indeks 2026" in page
    assert SCALES in as_json["history_notes"][0] and as_json["history"][2]["change"] is None
    assert as_json["history_by_group"][0]["comparable"] is False
    path = tmp_path / "r.xlsx"
    path.write_bytes(render_xlsx.render(data, charts))
    wb = load_workbook(path)
    texts = {c.value for ws in wb.worksheets for row in ws.iter_rows() for c in row if isinstance(c.value, str)}
    assert any(SCALES in t for t in texts) and any("skala berbeda dari indeks 2026" in t for t in texts)
    assert sum("(skala berbeda)" in t for t in texts) == 1  # both rows carry the same text cell value
    assert any("Periodisitas evaluasi Pemdi belum dikonfirmasi" in t for t in texts)
    assert "Periodisitas evaluasi Pemdi belum dikonfirmasi" in md and "Periodisitas" in page


def test_a_cycle_file_value_that_differs_from_the_record_is_noted():
    data = pemdi_report(history={2025: D("4.10")})
    assert any(
        "Riwayat 2025 di berkas siklus (4,10) berbeda dari hasil resmi tercatat (4,21)" in n for n in data.history_notes
    )
    assert data.history[0].published == D("4.2125000000")


def test_the_same_framework_compares_per_aspect_with_the_current_year():
    aspects = tuple(GroupValue("aspect", n, D(v)) for n, v in zip(FW59.aspects(), MINISTRY_ASPECTS, strict=True))
    official = [OfficialResult(2024, FW59.id, D("4.2125"), None, aspects)]
    data = assemble_claimed(FW59, year=2025, level=4, target_index=D("4.20"), official=official, frameworks=FRAMEWORKS)
    assert data.history_notes == () and [p.delta for p in data.history] == [None, D("-0.21")]
    (table,) = data.group_history
    assert table.years == (2024, 2025) and table.current_year == 2025 and table.comparable
    first = table.rows[0]
    assert (first.values, first.change) == ((D("5.00"), D("4.00")), D("-1.00"))
    md = render_markdown.render(data)
    assert "### Aspek dari tahun ke tahun (permenpanrb-59-2020)" in md
    assert "| Kebijakan Internal Tata Kelola SPBE | 13,00 | 5,00 | 4,00 | -1,00 |" in md
