"""A corpus of bad files: each is refused with a clear message naming where and what would fix it, and the
store is left exactly as it was (rows and audit trail). Every file also carries one valid row, so "nothing
written" proves all-or-nothing rather than "there was nothing to write"."""

from __future__ import annotations

import csv
import io
import shutil
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlmodel import Session

from spbe import clock
from spbe.errors import InputError, RefusedError, SpbeError
from spbe.intake.importer import import_file
from spbe.intake.templates import issue_template
from spbe.settings import get_settings
from spbe.store.db import get_engine, session_scope
from tests.utils.intake import counts, loaded_store, set_assessors, the_cycle
from tests.utils.xlsx import add_row, fill, set_meta

SECRET = "uji-rahasia-templat-0123456789"
SEPT = datetime(2025, 9, 10, 3, 0, tzinfo=UTC)
GOOD = "https://drive.example.go.id/file/d/perwal/view"
SHEET = "sheet 'Penilaian Mandiri'"
LEVEL = "column F (Level diklaim (1-5))"


@pytest.fixture(scope="module")
def store(tmp_path_factory) -> tuple[str, Path, Path]:
    """One store and one pair of issued templates for the whole corpus (no case may change the store)."""
    folder = tmp_path_factory.mktemp("corpus")
    url = f"sqlite:///{folder / 'spbe.db'}"
    mp = pytest.MonkeyPatch()
    mp.setenv("SPBE_TEMPLATE_SECRET", SECRET)
    get_settings.cache_clear()
    try:
        engine = loaded_store(url)
        with clock.use_clock(SEPT), session_scope(engine) as session:
            cycle = the_cycle(session)
            xlsx = issue_template(
                session, cycle=cycle, kind="opd", subject="BAPPERIDA", out=folder / "t.xlsx", actor="koordinator"
            ).path
            csv_path = issue_template(
                session, cycle=cycle, kind="opd", subject="BAPPERIDA", out=folder / "t.csv", actor="koordinator"
            ).path
        fill(xlsx, {13: {"level": 2, "evidence": GOOD}})
        _fill_csv(csv_path, 13, level="2", evidence=GOOD)
    finally:
        mp.undo()
        get_settings.cache_clear()
    return url, xlsx, csv_path


def _fill_csv(path: Path, indicator: int, **values: str) -> None:
    header, *rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig")), delimiter=";"))
    for row in rows:
        if row[0] == str(indicator):
            for key, value in values.items():
                row[header.index(key)] = value
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=";", lineterminator="\r\n").writerows([header, *rows])
    path.write_text(buffer.getvalue(), encoding="utf-8")


@pytest.fixture
def engine(store, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("SPBE_TEMPLATE_SECRET", SECRET)
    get_settings.cache_clear()
    return get_engine(store[0])


def _import(engine, path: Path):
    with clock.use_clock(SEPT), Session(engine) as session:
        try:
            import_file(session, path=path, actor="koordinator")
            session.commit()
        finally:
            session.rollback()


def _cells(values: dict) -> Callable[[Path], None]:
    return lambda p: fill(p, {12: values})


def _formula(cell: str, text: str) -> Callable[[Path], None]:
    def mutate(p: Path) -> None:
        wb = load_workbook(p)
        ws = wb["Penilaian Mandiri"]
        ws[cell] = text  # openpyxl stores "=..." as a formula cell, as Excel does when one is typed
        ws["F2"] = ws["F2"].value if cell == "F2" else 3
        wb.save(p)
        assert load_workbook(p)["Penilaian Mandiri"][cell].data_type == "f"

    return mutate


def _extra_column(p: Path) -> None:
    wb = load_workbook(p)
    ws = wb["Penilaian Mandiri"]
    ws["J1"], ws["J2"] = "Tambahan", "data yang akan hilang"
    wb.save(p)


def _drop_meta(p: Path) -> None:
    wb = load_workbook(p)
    del wb["_meta"]
    wb.save(p)


XLSX_CASES: dict[str, tuple[Callable[[Path], None], type[SpbeError], list[str]]] = {
    "level 0": (_cells({"level": 0, "evidence": GOOD}), InputError, [f"{SHEET} row 2, {LEVEL}: 0 is outside 1-5"]),
    "level 6": (
        _cells({"level": 6, "evidence": GOOD}),
        InputError,
        [f"row 2, {LEVEL}: 6 is outside 1-5; pick a level"],
    ),
    "level 3.5": (_cells({"level": 3.5, "evidence": GOOD}), InputError, [f"row 2, {LEVEL}: 3.5 is not a whole number"]),
    "level tiga": (
        _cells({"level": "tiga", "evidence": GOOD}),
        InputError,
        [f"row 2, {LEVEL}: 'tiga' is not a whole number; write the level as a digit from 1 to 5"],
    ),
    "level empty": (_cells({"evidence": GOOD}), InputError, [f"row 2, {LEVEL}: is empty; pick a level from 1 to 5"]),
    "unknown indicator": (
        lambda p: add_row(p, {"indicator": 99, "level": 3, "evidence": GOOD}),
        InputError,
        ["row 5, column A (No. Indikator): indicator 99 does not exist in cycle pekalongan-2025 (1-47)"],
    ),
    "another OPD's indicator": (
        lambda p: add_row(p, {"indicator": 1, "level": 3, "evidence": GOOD}),
        InputError,
        [
            "row 5, column A (No. Indikator): indicator 1 is assigned to DINKOMINFO, not BAPPERIDA; "
            "remove the row (this file is for BAPPERIDA only)"
        ],
    ),
    "duplicate rows": (
        lambda p: add_row(p, {"indicator": 13, "level": 3, "evidence": GOOD}),
        InputError,
        [f"row 5, column A (No. Indikator): indicator 13 appears again (first at {SHEET} row 3)"],
    ),
    "tampered OPD": (
        lambda p: set_meta(p, "subject", "DINKOMINFO"),
        RefusedError,
        ["signature does not match its cycle and OPD (pekalongan-2025, DINKOMINFO)", "issue a fresh template"],
    ),
    "tampered cycle": (lambda p: set_meta(p, "cycle", "pekalongan-2024"), RefusedError, ["signature does not match"]),
    "forged signature": (lambda p: set_meta(p, "signature", "0" * 64), RefusedError, ["signature does not match"]),
    "huge cell": (
        _cells({"level": 3, "evidence": GOOD, "explanation": "x" * 100_000}),
        InputError,
        ["row 2, column G (Penjelasan): has 32767 characters; no cell may exceed 8000"],  # openpyxl caps at Excel's max
    ),
    "explanation too long": (
        _cells({"level": 3, "evidence": GOOD, "explanation": "x" * 5000}),
        InputError,
        ["row 2, column G (Penjelasan): has 5000 characters; the limit is 4000: shorten it"],
    ),
    "formula as level": (
        _formula("F2", "=1+2"),
        InputError,
        [f"row 2, {LEVEL}: holds a formula (=1+2); formulas are not evaluated: type the value itself"],
    ),
    "formula as evidence": (
        _formula("H2", '=HYPERLINK("http://x.example","klik")'),
        InputError,
        ["row 2, column H (Bukti dukung (URL, satu per baris)): holds a formula"],
    ),
    "evidence not a link": (
        _cells({"level": 3, "evidence": "lihat lampiran"}),
        InputError,
        ["row 2, column H (Bukti dukung (URL, satu per baris)): 'lihat' is not an http(s) link"],
    ),
    "a column added": (_extra_column, InputError, ["column J: header 'Tambahan' is not a template column"]),
    "metadata sheet removed": (_drop_meta, InputError, ["not an SPBE template"]),
    "not a workbook": (lambda p: p.write_bytes(b"PK\x03\x04 not really a zip"), InputError, ["not an .xlsx workbook"]),
}


@pytest.mark.parametrize("case", list(XLSX_CASES))
def test_a_bad_workbook_is_refused_whole(case: str, store, engine, tmp_path: Path):
    mutate, error, expected = XLSX_CASES[case]
    path = tmp_path / "isian.xlsx"
    shutil.copy(store[1], path)
    mutate(path)
    before = counts(engine)
    with pytest.raises(error) as raised:
        _import(engine, path)
    message = str(raised.value)
    for text in expected:
        assert text in message, message
    assert "Traceback" not in message
    assert counts(engine) == before


def test_every_problem_is_listed_at_once(store, engine, tmp_path: Path):
    path = shutil.copy(store[1], tmp_path / "isian.xlsx")
    fill(path, {12: {"level": 0, "evidence": "ftp://x.example/a"}, 32: {"level": "tiga", "evidence": GOOD}})
    add_row(path, {"indicator": 1, "level": 3})
    with pytest.raises(InputError) as raised:
        _import(engine, path)
    assert len(raised.value.problems) == 4, raised.value.problems
    assert str(raised.value).startswith("isian.xlsx: 4 problems:")


CSV_CASES: dict[str, tuple[Callable[[str], bytes], list[str]]] = {
    "non-UTF-8": (
        lambda t: t.replace(";;2;;", ";Penjelasan dengan é;2;;", 1).encode("latin-1"),
        ["not UTF-8 text (invalid byte at offset", "save it as 'CSV UTF-8' in Excel"],
    ),
    "no metadata columns": (
        lambda t: b"indicator;level;explanation;evidence;note\r\n12;3;;https://x.example/a;\r\n",
        ["template metadata columns are missing"],
    ),
    "metadata differs between rows": (
        lambda t: t.replace(";BAPPERIDA;", ";DINKOMINFO;", 1).encode(),
        ["line 3: template metadata differs from line 2"],
    ),
    "tampered OPD": (lambda t: t.replace(";BAPPERIDA;", ";DINKOMINFO;").encode(), ["signature does not match"]),
    "level 6": (lambda t: t.replace(";;2;;", ";;6;;", 1).encode(), ["line 3, column 'level': 6 is outside 1-5"]),
    "formula text as level": (
        lambda t: t.replace(";;2;;", ";;=1+2;;", 1).encode(),
        ["line 3, column 'level': '=1+2' is not a whole number"],
    ),
}


@pytest.mark.parametrize("case", list(CSV_CASES))
def test_a_bad_csv_is_refused_whole(case: str, store, engine, tmp_path: Path):
    mutate, expected = CSV_CASES[case]
    path = tmp_path / "isian.csv"
    path.write_bytes(mutate(store[2].read_text(encoding="utf-8")))
    before = counts(engine)
    with pytest.raises(SpbeError) as raised:
        _import(engine, path)
    for text in expected:
        assert text in str(raised.value), str(raised.value)
    assert counts(engine) == before


def test_the_valid_csv_base_imports(store, engine, tmp_path: Path):
    """The corpus's CSV base is itself valid: the refusals above come from the mutation alone."""
    path = shutil.copy(store[2], tmp_path / "isian.csv")
    before = counts(engine)
    with clock.use_clock(SEPT), Session(engine) as session:
        report = import_file(session, path=path, actor="koordinator")
        assert [c["indicator"] for c in report.created] == [13]
        session.rollback()
    assert counts(engine) == before


def test_other_extensions_are_refused(store, engine, tmp_path: Path):
    path = tmp_path / "isian.xls"
    path.write_bytes(b"\xd0\xcf\x11\xe0 old excel")
    with pytest.raises(InputError, match=r"cannot import \.xls: use the \.xlsx template"):
        _import(engine, path)


def test_bad_assessor_files_and_conflict_of_interest_at_review_time(store, engine, tmp_path: Path):
    url = f"sqlite:///{tmp_path / 'own.db'}"
    own = loaded_store(url, assessors={12: "asr-01", 13: "asr-01"})
    with clock.use_clock(SEPT), session_scope(own) as session:
        cycle = the_cycle(session)
        from spbe.services.submissions import submit

        for n in (12, 13):
            submit(session, cycle=cycle, opd="BAPPERIDA", indicator=n, level=3, evidence=[GOOD], actor="adm-bapperida")
        path = issue_template(
            session, cycle=cycle, kind="assessor", subject="asr-01", out=tmp_path / "a.xlsx", actor="koordinator"
        ).path
        # Made after the template was issued: asr-05 belongs to BAPPERIDA, the owner of 12.
        set_assessors(session, cycle, {12: "asr-05"})
        conflict = issue_template(
            session, cycle=cycle, kind="assessor", subject="asr-05", out=tmp_path / "c.xlsx", actor="koordinator"
        ).path
    fill(path, {12: {"verdict": "mungkin"}, 13: {"verdict": "terima"}}, kind="assessor")
    before = counts(own)
    with pytest.raises(InputError) as raised:
        _import(own, path)
    text = str(raised.value)
    assert "sheet 'Reviu Asesor' row 2, column K (Keputusan (terima/revisi)): 'mungkin' is not a verdict" in text
    assert "row 3, column J (Level tervalidasi (1-5)): accepting needs the validated level" in text
    fill(path, {12: {"verdict": "revisi", "level": None}, 13: {"verdict": "terima", "level": 3}}, kind="assessor")
    with pytest.raises(InputError) as raised:
        _import(own, path)
    assert "row 2, column L (Catatan asesor): a revision request needs a note" in str(raised.value)
    fill(path, {12: {"note": "Lengkapi notulen"}}, kind="assessor")
    with pytest.raises(InputError) as raised:  # 12 now belongs to asr-05: this file may no longer post for it
        _import(own, path)
    assert "indicator 12 is assigned to assessor asr-05, not asr-01" in str(raised.value)
    fill(conflict, {12: {"verdict": "terima", "level": 3}}, kind="assessor")
    with pytest.raises(InputError) as raised:
        _import(own, conflict)
    assert "row 2, column A (No. Indikator): conflict of interest: asr-05 belongs to BAPPERIDA" in str(raised.value)
    assert counts(own) == before


def test_a_zip_bomb_is_refused_before_it_is_inflated(store, engine, tmp_path: Path):
    import zipfile

    path = tmp_path / "bom.xlsx"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", b"\0" * (25 * 1024 * 1024))
    assert path.stat().st_size < 100_000
    with pytest.raises(InputError, match=r"unpacks to 26214400 bytes; the limit is 20971520"):
        _import(engine, path)
