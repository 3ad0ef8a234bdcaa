"""The item-by-item templates (Pemdi) through the one importer: an OPD's workbook lists its items with
the level's criterion and the aimed level, comes back all or nothing with sheet/row/column errors, and
re-importing adds nothing; an assessor's workbook (or CSV) lists the answered items to judge."""

from __future__ import annotations

from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlmodel import Session, select

from spbe import clock
from spbe.errors import InputError
from spbe.intake import layout as L
from spbe.intake.importer import import_file
from spbe.intake.templates import issue_template
from spbe.settings import get_settings
from spbe.store import tables_items as t
from spbe.store.db import session_scope
from tests.utils.intake import counts
from tests.utils.pemdi import DR_OPEN, SA_OPEN, pemdi_cycle, pemdi_store

SECRET = "uji-rahasia-templat-0123456789"
LINK = "https://bukti.example/i2/sk.pdf"


@pytest.fixture
def engine(sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("SPBE_TEMPLATE_SECRET", SECRET)
    get_settings.cache_clear()
    return pemdi_store(sqlite_url, tmp_path)


def issue(engine, kind: str, subject: str, out: Path, at=SA_OPEN):
    with clock.use_clock(at), session_scope(engine) as session:
        return issue_template(
            session, cycle=pemdi_cycle(session), kind=kind, subject=subject, out=out, actor="koordinator"
        )


def do_import(engine, path: Path, *, actor: str, at=SA_OPEN):
    with clock.use_clock(at), Session(engine, expire_on_commit=False) as session:
        try:
            report = import_file(session, path=path, actor=actor)
        except BaseException:
            session.rollback()
            raise
        session.commit()
    return report


def fill(path: Path, kind: str, values: dict[str, dict[str, object]], extra: list[dict[str, object]] = ()) -> None:
    wb = load_workbook(path)
    ws = wb[L.DATA_SHEET[kind]]
    labels = L.header_map(kind)
    cols = {labels[str(c.value).casefold()]: c.column for c in ws[1] if c.value is not None}
    rows = {ws.cell(row=r, column=cols["code"]).value: r for r in range(2, ws.max_row + 1)}
    for code, cells in values.items():
        for key, value in cells.items():
            ws.cell(row=rows[code], column=cols[key], value=value)
    for cells in extra:
        row = ws.max_row + 1
        for key, value in cells.items():
            ws.cell(row=row, column=cols[key], value=value)
    wb.save(path)


def test_opd_items_workbook_round_trip(engine, tmp_path: Path):
    info = issue(engine, "opd", "BAG-ORG", tmp_path / "bag-org.xlsx")
    assert info.kind == L.OPD_ITEMS and info.rows == 7
    wb = load_workbook(info.path)
    ws = wb[L.DATA_SHEET[L.OPD_ITEMS]]
    header = [c.value for c in ws[1]]
    assert header[:5] == ["Indikator", "Nama indikator", "Tingkat", "Kriteria tingkat", "Kode butir"]
    assert [ws.cell(row=r, column=5).value for r in range(2, 9)] == [
        "I2-L1-01",
        "I2-L1-02",
        "I2-L2-01",
        "I2-L2-02",
        "I2-L3-01",
        "I2-L4-01",
        "I2-L5-01",
    ]
    assert ws.cell(row=2, column=4).value  # the level's criterion is shown
    fill(
        info.path,
        L.OPD_ITEMS,
        {
            "I2-L1-01": {"aim": 2, "evidence": LINK, "note": "SK tim"},
            "I2-L1-02": {"evidence": f"{LINK}?v=2"},
            "I2-L2-01": {"aim": "2", "evidence": "https://bukti.example/i2/l2.pdf"},
        },
    )
    report = do_import(engine, info.path, actor="adm-bag-org")
    assert report.created[0] == {"indicator": "I2", "aim": 2, "row": report.created[0]["row"]}
    assert [c.get("item") for c in report.created[1:]] == ["I2-L1-01", "I2-L1-02", "I2-L2-01"]
    before = counts(engine)
    again = do_import(engine, info.path, actor="adm-bag-org")
    assert again.created == [] and again.unchanged == ["I2-L1-01", "I2-L1-02", "I2-L2-01"]
    assert counts(engine) == before
    prefilled = issue(engine, "opd", "BAG-ORG", tmp_path / "again.xlsx")
    cells = load_workbook(prefilled.path)[L.DATA_SHEET[L.OPD_ITEMS]]
    assert cells.cell(row=2, column=11).value == 2 and cells.cell(row=2, column=12).value == LINK


def test_a_bad_items_workbook_is_refused_whole_naming_sheet_row_and_column(engine, tmp_path: Path):
    path = issue(engine, "opd", "BAG-ORG", tmp_path / "bag-org.xlsx").path
    fill(
        path,
        L.OPD_ITEMS,
        {
            "I2-L1-01": {"aim": 2, "evidence": LINK},
            "I2-L1-02": {"evidence": "javascript:alert(1)"},
            "I2-L2-01": {"aim": 3},
        },
        extra=[{"code": "I9-L1-01", "evidence": LINK}, {"code": "I2-L9-01", "evidence": LINK}],
    )
    before = counts(engine)
    with pytest.raises(InputError) as bad:
        do_import(engine, path, actor="adm-bag-org")
    text = "\n".join(bad.value.problems)
    sheet = L.DATA_SHEET[L.OPD_ITEMS]
    assert f"lembar '{sheet}' baris 3" in text and "bukan tautan http" in text
    assert "tingkat sasaran I2 3, tetapi 2" in text
    assert "butir I9-L1-01 dijawab oleh DINKOMINFO, bukan BAG-ORG" in text
    assert "butir 'I2-L9-01' tidak ada dalam katalog" in text
    assert counts(engine) == before
    with Session(engine) as session:
        assert session.exec(select(t.AimedLevel)).all() == []


def test_assessor_items_template_lists_answered_items_and_imports_judgements(engine, tmp_path: Path):
    from spbe.services import items as svc

    with clock.use_clock(SA_OPEN), session_scope(engine) as session:
        cycle = pemdi_cycle(session)
        for code in ("I2-L1-01", "I2-L1-02"):
            svc.submit_item(session, cycle=cycle, actor="adm-bag-org", code=code, evidence=[LINK])
    info = issue(engine, "assessor", "asr-03", tmp_path / "asr-03.csv", at=DR_OPEN)
    assert info.kind == L.ASSESSOR_ITEMS and info.rows == 2
    text = info.path.read_bytes().decode("utf-8-sig")
    header, first, second = text.splitlines()[:3]
    keys = header.split(";")
    assert keys[:4] == ["indicator", "level", "code", "text"]

    def set_cell(line: str, **cells: str) -> str:
        parts = line.split(";")
        for key, value in cells.items():
            parts[keys.index(key)] = value
        return ";".join(parts)

    rows = [
        header,
        set_cell(first, verdict="diterima"),
        set_cell(second, verdict="revisi", kind="bukti_tidak_tepat", note="SK belum ditandatangani"),
    ]
    info.path.write_bytes(("\ufeff" + "\r\n".join(rows) + "\r\n").encode("utf-8"))
    report = do_import(engine, info.path, actor="asr-03", at=DR_OPEN)
    assert [(c["item"], c["version"]) for c in report.created] == [("I2-L1-01", 1), ("I2-L1-02", 1)]
    with Session(engine) as session:
        reviews = session.exec(select(t.ItemReview).order_by(t.ItemReview.id)).all()
        assert [(r.item_code, r.verdict, r.kind, r.reviewer) for r in reviews] == [
            ("I2-L1-01", "diterima", None, "asr-03"),
            ("I2-L1-02", "revisi", "bukti_tidak_tepat", "asr-03"),
        ]


def test_an_item_answered_without_evidence_is_warned_at_import(engine, tmp_path: Path):
    info = issue(engine, "opd", "BAG-ORG", tmp_path / "bag-org.xlsx")
    fill(info.path, L.OPD_ITEMS, {"I2-L1-01": {"evidence": LINK}, "I2-L1-02": {"note": "menyusul minggu depan"}})
    report = do_import(engine, info.path, actor="adm-bag-org")
    assert [c.get("item") for c in report.created] == ["I2-L1-01", "I2-L1-02"]
    assert len(report.warnings) == 1
    assert "butir I2-L1-02 dijawab tanpa bukti" in report.warnings[0] and "baris 3" in report.warnings[0]
