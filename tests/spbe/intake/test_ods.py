"""A template saved by LibreOffice as .ods imports like the .xlsx it came from, within the same bounds: a
million repeated empty rows cost nothing, a repeated value cannot outgrow the cell budget, a formula is
refused and never evaluated, a link inside a cell is its evidence."""

from __future__ import annotations

import zipfile
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlmodel import Session, select

from spbe import clock
from spbe.errors import InputError
from spbe.intake.importer import import_file
from spbe.intake.ods_bounds import MAX_CONTENT_BYTES
from spbe.intake.templates import issue_template
from spbe.settings import get_settings
from spbe.store import models as m
from spbe.store.db import session_scope
from tests.utils.intake import loaded_store, the_cycle
from tests.utils.ods import xlsx_to_ods
from tests.utils.xlsx import fill

SEPT = datetime(2025, 9, 10, 3, 0, tzinfo=UTC)
PERWAL = "https://jdih.pekalongankota.example.go.id/perwal-12-2024.pdf"
DRIVE = "https://drive.example.go.id/file/d/sk-tim-spbe/view"


@pytest.fixture
def engine(sqlite_url: str, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("SPBE_TEMPLATE_SECRET", "uji-rahasia-templat-0123456789")
    get_settings.cache_clear()
    return loaded_store(sqlite_url)


def template(engine, out: Path) -> Path:
    with clock.use_clock(SEPT), session_scope(engine) as session:
        return issue_template(
            session, cycle=the_cycle(session), kind="opd", subject="BAPPERIDA", out=out, actor="koordinator"
        ).path


def do_import(engine, path: Path):
    with clock.use_clock(SEPT), session_scope(engine) as session:
        return import_file(session, path=path, actor="koordinator")


def test_an_ods_template_imports_like_its_xlsx(engine, tmp_path: Path):
    xlsx = fill(
        template(engine, tmp_path / "b.xlsx"),
        {
            12: {"level": 3, "explanation": "Baris pertama\nbaris kedua", "evidence": f"{PERWAL}\n{DRIVE}"},
            13: {"level": 2, "evidence": DRIVE},
        },
    )
    ods = xlsx_to_ods(xlsx, tmp_path / "b.ods")
    with zipfile.ZipFile(ods) as archive:
        assert b"number-rows-repeated" in archive.read("content.xml")  # LibreOffice's shape: a million rows
    report = do_import(engine, ods)
    assert [c["indicator"] for c in report.created] == [12, 13] and report.kind == "opd"
    with Session(engine) as session:
        sub = session.exec(select(m.Submission).where(m.Submission.indicator_number == 12)).one()
    assert sub.level == 3 and sub.evidence == [PERWAL, DRIVE] and sub.explanation == "Baris pertama\nbaris kedua"
    assert do_import(engine, ods).created == []  # the same answers again: nothing new


def test_a_link_inside_a_cell_is_the_evidence(engine, tmp_path: Path):
    from openpyxl import load_workbook

    xlsx = template(engine, tmp_path / "b.xlsx")
    wb = load_workbook(xlsx)
    cell = wb["Penilaian Mandiri"]["H2"]
    cell.value, cell.hyperlink = "SK Tim SPBE (Drive)", DRIVE
    wb["Penilaian Mandiri"]["F2"] = 3
    wb.save(xlsx)
    do_import(engine, xlsx_to_ods(xlsx, tmp_path / "b.ods"))
    with Session(engine) as session:
        assert session.exec(select(m.Submission)).one().evidence == [DRIVE]


def test_a_formula_is_refused_naming_its_cell(engine, tmp_path: Path):
    from odf.table import TableCell, TableRow
    from odf.text import P

    xlsx = fill(template(engine, tmp_path / "b.xlsx"), {12: {"level": 3, "evidence": PERWAL}})
    row = TableRow()
    cell = TableCell(valuetype="float", value="4", formula="of:=2+2")
    cell.addElement(P(text="4"))
    for _ in range(5):
        row.addElement(TableCell())
    row.addElement(cell)  # column F, level
    ods = xlsx_to_ods(xlsx, tmp_path / "b.ods", extra={"Penilaian Mandiri": [row]})
    with pytest.raises(InputError) as refused:
        do_import(engine, ods)
    text = str(refused.value)
    assert "baris 5, kolom F" in text and "rumus (of:=2+2)" in text


def test_a_repeated_value_cannot_outgrow_the_cell_budget(engine, tmp_path: Path):
    from odf.table import TableCell, TableRow
    from odf.text import P

    xlsx = template(engine, tmp_path / "b.xlsx")
    bomb = TableRow(numberrowsrepeated=1_000_000)
    cell = TableCell(valuetype="string", numbercolumnsrepeated=1000)
    cell.addElement(P(text="x"))
    bomb.addElement(cell)
    ods = xlsx_to_ods(xlsx, tmp_path / "b.ods", extra={"Penilaian Mandiri": [bomb]})
    assert ods.stat().st_size < 50_000
    with pytest.raises(InputError, match="lebih dari 60000 sel"):
        do_import(engine, ods)


def test_not_an_ods_and_an_oversized_content_are_refused_with_what_to_do(engine, tmp_path: Path):
    fake = tmp_path / "x.ods"
    fake.write_bytes(b"PK\x03\x04 not really")
    with pytest.raises(InputError, match="ODF Spreadsheet"):
        do_import(engine, fake)
    big = tmp_path / "big.ods"
    with zipfile.ZipFile(big, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("META-INF/manifest.xml", "<manifest/>")
        archive.writestr("content.xml", b" " * (MAX_CONTENT_BYTES + 1))
    with pytest.raises(InputError, match=r"content\.xml"):
        do_import(engine, big)
