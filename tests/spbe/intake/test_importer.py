"""Templates → filled in with openpyxl (or as CSV) → import, for both kinds, on SQLite and PostgreSQL;
re-importing adds nothing; formula-like text is stored as typed and neutralised in what we write back."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlmodel import Session, select

from spbe import clock
from spbe.errors import InputError, RefusedError
from spbe.intake import layout as L
from spbe.intake.importer import import_file
from spbe.intake.templates import issue_template
from spbe.services import submissions as svc
from spbe.services.submission_store import latest_submission
from spbe.services.thread import thread as thread_of
from spbe.settings import get_settings
from spbe.store import models as m
from spbe.store.db import session_scope
from tests.utils.cli import run_spbe
from tests.utils.intake import counts, loaded_store, the_cycle
from tests.utils.xlsx import fill, read_cells

SECRET = "uji-rahasia-templat-0123456789"
SEPT = datetime(2025, 9, 10, 3, 0, tzinfo=UTC)
OCT = datetime(2025, 10, 8, 3, 0, tzinfo=UTC)
DRIVE = "https://drive.example.go.id/file/d/sk-tim-spbe/view"
PERWAL = "https://jdih.pekalongankota.example.go.id/perwal-12-2024.pdf"


@pytest.fixture
def engine(database_url: str, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("SPBE_TEMPLATE_SECRET", SECRET)
    get_settings.cache_clear()
    return loaded_store(database_url)


def issue(engine, kind: str, subject: str, out: Path, at: datetime = SEPT):
    with clock.use_clock(at), session_scope(engine) as session:
        return issue_template(
            session, cycle=the_cycle(session), kind=kind, subject=subject, out=out, actor="koordinator"
        )


def do_import(engine, path: Path, at: datetime = SEPT, dry_run: bool = False):
    with clock.use_clock(at), Session(engine, expire_on_commit=False) as session:
        try:
            report = import_file(session, path=path, actor="koordinator", dry_run=dry_run)
        except BaseException:
            session.rollback()
            raise
        session.rollback() if dry_run else session.commit()
    return report


def test_opd_workbook_round_trip(engine, tmp_path: Path):
    path = issue(engine, "opd", "BAPPERIDA", tmp_path / "bapperida.xlsx").path
    wb = load_workbook(path)
    assert wb.sheetnames == [L.HELP_SHEET, "Penilaian Mandiri", L.LEVELS_SHEET, L.META_SHEET]
    assert wb[L.META_SHEET].sheet_state == "hidden" and wb.active.title == "Penilaian Mandiri"
    ws = wb["Penilaian Mandiri"]
    assert [ws.cell(row=r, column=1).value for r in range(2, ws.max_row + 1)] == [12, 13, 32]
    lists = [dv for dv in ws.data_validations.dataValidation if dv.type == "list"]
    assert [dv.formula1 for dv in lists] == ['"1,2,3,4,5"'] * 2
    # 12 and 13 on the capability scale, 32 (a service indicator) on the technical-function scale
    assert [str(dv.sqref) for dv in lists] == ["F2:F3", "F4"]
    assert lists[0].prompt.startswith("1 Rintisan; 2 Terkelola; 3 Terdefinisi; 4 Terpadu dan Terukur; 5 Optimum")
    assert lists[1].prompt == "1 Informasi; 2 Interaksi; 3 Transaksi; 4 Kolaborasi; 5 Optimalisasi"
    levels = wb[L.LEVELS_SHEET]
    assert [levels[f"B{r}"].value for r in range(2, 7)] == [
        "Rintisan",
        "Terkelola",
        "Terdefinisi",
        "Terpadu dan Terukur",
        "Optimum",
    ]
    assert "konsep atau rancangan" in levels["C2"].value
    assert levels["A8"].value == "Tingkat kematangan fungsi teknis layanan: indikator 32-47"
    assert [levels[f"B{r}"].value for r in range(9, 14)] == [
        "Informasi",
        "Interaksi",
        "Transaksi",
        "Kolaborasi",
        "Optimalisasi",
    ]
    help_text = "\n".join(str(c.value) for c in wb[L.HELP_SHEET]["A"])
    assert "Petunjuk pengisian" in help_text and "Selasa, 30 September 2025 pukul 16.00 WIB" in help_text

    # Text typed with a leading "=" (Excel stores it as text when typed as '=...): kept as text, never evaluated.
    fill(
        path,
        {
            12: {"level": 3, "explanation": "Peta rencana SPBE ditetapkan Perwal", "evidence": f"{PERWAL}\n{DRIVE}"},
            13: {"level": "4", "explanation": "=SUM(A1:A9) bukan rumus", "note": "@koordinator mohon dicek"},
        },
    )
    wb = load_workbook(path)
    wb["Penilaian Mandiri"]["G3"].data_type = "s"
    wb.save(path)

    before = counts(engine)
    report = do_import(engine, path)
    assert [(c["indicator"], c["version"], c["late"]) for c in report.created] == [(12, 1, False), (13, 1, False)]
    assert report.skipped == 1 and report.subject == "BAPPERIDA"
    after = counts(engine)
    assert after["submission"] == before["submission"] + 2
    assert after["auditevent"] == before["auditevent"] + 3  # two submissions and the import itself
    with Session(engine) as session:
        subs = {s.indicator_number: s for s in session.exec(select(m.Submission))}
    assert subs[12].evidence == [PERWAL, DRIVE] and subs[12].source == "import:bapperida.xlsx"
    assert subs[13].explanation == "=SUM(A1:A9) bukan rumus" and subs[13].note == "@koordinator mohon dicek"
    assert subs[13].evidence == [] and subs[13].level == 4

    again = do_import(engine, path)
    assert again.created == [] and sorted(again.unchanged) == [12, 13]
    assert counts(engine) == after  # importing twice adds nothing, not even an audit event

    # A template issued now is prefilled and neutralised (a text cell with Excel's quote prefix: the value is
    # the text itself); imported unchanged it is a no-op too.
    fresh = issue(engine, "opd", "BAPPERIDA", tmp_path / "bapperida-2.xlsx").path
    row13 = read_cells(fresh)[1]
    assert row13["explanation"] == ("=SUM(A1:A9) bukan rumus", "s")
    assert row13["note"] == ("@koordinator mohon dicek", "s")
    sheet = load_workbook(fresh)["Penilaian Mandiri"]
    assert sheet["G3"].quotePrefix and sheet["I3"].quotePrefix and not sheet["F3"].quotePrefix
    assert row13["status"][0] == "Versi 1 terkirim, menunggu reviu"
    assert read_cells(fresh)[0]["evidence"][0] == f"{PERWAL}\n{DRIVE}"
    assert do_import(engine, fresh).created == []


def test_assessor_workbook_round_trip_and_a_stale_file_is_refused_whole(engine, tmp_path: Path):
    opd = issue(engine, "opd", "BAPPERIDA", tmp_path / "opd.xlsx").path
    fill(opd, {12: {"level": 3, "evidence": PERWAL}, 13: {"level": 2, "evidence": DRIVE}})
    do_import(engine, opd)

    path = issue(engine, "assessor", "asr-01", tmp_path / "asr-01.xlsx", at=OCT).path
    rows = read_cells(path, kind="assessor")
    assert [(r["indicator"][0], r["opd"][0], r["version"][0], r["claimed_level"][0]) for r in rows] == [
        (12, "BAPPERIDA", 1, 3),
        (13, "BAPPERIDA", 1, 2),
    ]
    assert rows[0]["link_status"][0] == "belum diperiksa"
    verdicts = [dv for dv in load_workbook(path)["Reviu Asesor"].data_validations.dataValidation]
    assert {dv.formula1 for dv in verdicts} == {'"1,2,3,4,5"', '"terima,revisi"'}
    fill(
        path,
        {12: {"level": 3, "verdict": "terima"}, 13: {"verdict": "revisi", "note": "Lampirkan notulen reviu"}},
        kind="assessor",
    )
    report = do_import(engine, path, at=OCT)
    assert [(c["indicator"], c["version"]) for c in report.created] == [(12, 1), (13, 1)]
    assert do_import(engine, path, at=OCT).created == []

    with session_scope(engine) as session:  # BAPPERIDA answers the revision request
        svc.submit(
            session,
            cycle=the_cycle(session),
            opd="BAPPERIDA",
            indicator=13,
            level=2,
            evidence=[DRIVE, PERWAL],
            actor="adm-bapperida",
        )
    # The old file again, with a change on 12 and a changed verdict on 13, whose version 1 is now stale.
    stale = fill(
        path, {12: {"level": 4}, 13: {"verdict": "terima", "level": 2}}, kind="assessor", out=tmp_path / "stale.xlsx"
    )
    before = counts(engine)
    with pytest.raises(InputError) as exc:
        do_import(engine, stale, at=OCT)
    assert "baris 3, kolom A (No. Indikator)" in str(exc.value)
    assert "review is of version 1, but version 2" in str(exc.value)
    assert counts(engine) == before  # the valid change on 12 was not written either
    # Row 13 left as it was recorded: nothing to do for it; the change on 12 goes in.
    fill(path, {12: {"level": 4}}, kind="assessor")
    report = do_import(engine, path, at=OCT)
    assert [c["indicator"] for c in report.created] == [12] and report.unchanged == [13]

    with Session(engine) as session:
        entries = thread_of(session, cycle=the_cycle(session), indicator=13)
    assert [(e.kind, e.version, e.verdict) for e in entries] == [
        ("submission", 1, None),
        ("review", 1, "revise"),
        ("submission", 2, None),
    ]


def test_an_older_opd_file_does_not_undo_a_newer_version(engine, tmp_path: Path):
    with clock.use_clock(SEPT), session_scope(engine) as session:
        svc.submit(
            session,
            cycle=the_cycle(session),
            opd="BAPPERIDA",
            indicator=12,
            level=2,
            evidence=[PERWAL],
            actor="adm-bapperida",
        )
    old = issue(engine, "opd", "BAPPERIDA", tmp_path / "old.xlsx").path  # prefilled with version 1 of 12
    with clock.use_clock(datetime(2025, 9, 12, 3, tzinfo=UTC)), session_scope(engine) as session:
        svc.submit(
            session,
            cycle=the_cycle(session),
            opd="BAPPERIDA",
            indicator=12,
            level=3,
            evidence=[PERWAL, DRIVE],
            actor="adm-bapperida",
        )
    fill(old, {13: {"level": 2, "evidence": DRIVE}})
    report = do_import(engine, old, at=datetime(2025, 9, 13, 3, tzinfo=UTC))
    assert [c["indicator"] for c in report.created] == [13] and report.unchanged == [12]
    with Session(engine) as session:
        latest = latest_submission(session, cycle=the_cycle(session), indicator=12)
    assert (latest.version, latest.level) == (2, 3)
    fill(old, {12: {"level": 4}})  # but a row changed in the old file is a new claim
    assert [c["version"] for c in do_import(engine, old).created] == [3]


def test_csv_forms_round_trip(engine, tmp_path: Path):
    path = issue(engine, "opd", "BAPPERIDA", tmp_path / "bapperida.csv").path
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    header, *rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))
    assert header[:3] == ["indicator", "indicator_name", "aspect"] and header[-2:] == [
        "template_signature",
        "template_neutralised",
    ]
    col = {h: i for i, h in enumerate(header)}
    rows[0][col["level"]] = "3"
    rows[0][col["evidence"]] = f"{PERWAL} {DRIVE}"
    rows[0][col["explanation"]] = "Baris pertama\nbaris kedua; dengan titik koma"
    rows[1][col["level"]] = "2"
    rows[1][col["evidence"]] = DRIVE
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=",", lineterminator="\r\n").writerows([header, *rows])  # re-saved with commas
    path.write_text(buffer.getvalue(), encoding="utf-8")
    report = do_import(engine, path)
    assert [c["indicator"] for c in report.created] == [12, 13] and report.skipped == 1
    with Session(engine) as session:
        sub = session.exec(select(m.Submission).where(m.Submission.indicator_number == 12)).one()
    assert sub.explanation == "Baris pertama\nbaris kedua; dengan titik koma" and sub.evidence == [PERWAL, DRIVE]
    assert do_import(engine, path).created == []

    fresh = issue(engine, "opd", "BAPPERIDA", tmp_path / "again.csv").path
    assert do_import(engine, fresh).created == []  # prefilled CSV round-trips unchanged

    review = issue(engine, "assessor", "asr-01", tmp_path / "asr.csv", at=OCT).path
    header, *rows = list(csv.reader(io.StringIO(review.read_text(encoding="utf-8-sig")), delimiter=";"))
    col = {h: i for i, h in enumerate(header)}
    rows[0][col["verdict"]], rows[0][col["level"]] = "accept", "3"
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=";").writerows([header, *rows])
    review.write_text(buffer.getvalue(), encoding="utf-8")
    assert [c["indicator"] for c in do_import(engine, review, at=OCT).created] == [12]


def test_dry_run_reports_and_writes_nothing(engine, tmp_path: Path):
    path = issue(engine, "opd", "BAPPERIDA", tmp_path / "b.xlsx").path
    fill(path, {12: {"level": 3, "evidence": PERWAL}})
    before = counts(engine)
    late = datetime(2025, 10, 2, 3, tzinfo=UTC)
    with clock.use_clock(late), session_scope(engine) as session:  # a caller that commits afterwards
        report = import_file(session, path=path, actor="koordinator", dry_run=True)
    assert [(c["indicator"], c["late"]) for c in report.created] == [(12, True)] and report.dry_run
    assert counts(engine) == before
    report = do_import(engine, path, at=late)
    assert report.late == [12]
    with Session(engine) as session:
        assert session.exec(select(m.Submission)).one().late is True


def test_hyperlinked_evidence_cell_gives_its_link(engine, tmp_path: Path):
    path = issue(engine, "opd", "BAPPERIDA", tmp_path / "b.xlsx").path
    wb = load_workbook(path)
    cell = wb["Penilaian Mandiri"]["H2"]
    cell.value, cell.hyperlink = "SK Tim SPBE (Drive)", DRIVE
    wb["Penilaian Mandiri"]["F2"] = 3
    wb.save(path)
    do_import(engine, path)
    with Session(engine) as session:
        assert session.exec(select(m.Submission)).one().evidence == [DRIVE]


def test_signing_needs_the_secret(engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    path = issue(engine, "opd", "BAPPERIDA", tmp_path / "b.xlsx").path
    fill(path, {12: {"level": 3, "evidence": PERWAL}})
    monkeypatch.delenv("SPBE_TEMPLATE_SECRET")
    get_settings.cache_clear()
    with pytest.raises(RefusedError, match=r"SPBE_TEMPLATE_SECRET belum diatur.*export SPBE_TEMPLATE_SECRET="):
        issue(engine, "opd", "BAPPERIDA", tmp_path / "c.xlsx")
    with pytest.raises(RefusedError, match="SPBE_TEMPLATE_SECRET belum diatur"):
        do_import(engine, path)
    monkeypatch.setenv("SPBE_TEMPLATE_SECRET", "short")
    get_settings.cache_clear()
    with pytest.raises(RefusedError, match="lebih pendek dari 16"):
        do_import(engine, path)
    monkeypatch.setenv("SPBE_TEMPLATE_SECRET", "another-installation-secret-42")
    get_settings.cache_clear()
    before = counts(engine)
    with pytest.raises(RefusedError, match="tanda tangan templat tidak cocok"):
        do_import(engine, path)
    assert counts(engine) == before
    assert not (tmp_path / "c.xlsx").exists()


def test_the_commands_end_to_end(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    url = f"sqlite:///{tmp_path / 'data/spbe.db'}"
    env = {
        "SPBE_DATA_DIR": str(tmp_path / "data"),
        "SPBE_DATABASE_URL": url,
        "SPBE_TEMPLATE_SECRET": SECRET,
        "SPBE_NOW": "2025-09-10T10:00:00+07:00",
        "SPBE_ACTOR": "koordinator",
    }
    engine = loaded_store(url, assessors={})  # what `spbe init` does, in-process (no assessors assigned yet)
    out = tmp_path / "bapperida.xlsx"
    made = run_spbe("template", "--opd", "BAPPERIDA", "--out", str(out), env=env)
    assert made.code == 0 and "3 indikator untuk diisi" in made.out, made.err
    fill(out, {12: {"level": 3, "evidence": PERWAL}, 13: {"level": 6, "evidence": "ftp://x.example/a"}})
    bad = run_spbe("import", str(out), env=env)
    assert bad.code == 1 and bad.err.startswith("galat: bapperida.xlsx: 2 problems:"), bad.err
    assert "lembar 'Penilaian Mandiri' baris 3, kolom F (Level diklaim (1-5)): level 6 di luar 1–5" in bad.err
    assert "baris 3, kolom H (Bukti dukung (URL, satu per baris)): 'ftp://x.example/a' bukan tautan http(s)" in bad.err
    assert "Traceback" not in bad.err
    fill(out, {13: {"level": 2, "evidence": DRIVE}})
    dry = run_spbe("import", str(out), "--dry-run", env=env)
    assert dry.code == 0 and "uji coba, tidak ada yang ditulis: akan mencatat 2 versi baru" in dry.out, dry.err
    done = run_spbe("import", str(out), "--json", env=env)
    assert done.code == 0 and [c["indicator"] for c in json.loads(done.out)["created"]] == [12, 13], done.err
    mine = run_spbe(
        "review",
        "-i",
        "12",
        "--verdict",
        "revisi",
        "--note",
        "Perwal belum diundangkan",
        "--as",
        "koordinator",
        env=env,
    )
    assert mine.code == 0 and "atas nama asesor yang ditugaskan, -" in mine.err, mine.err
    with clock.use_clock(datetime(2025, 11, 10, 3, tzinfo=UTC)), session_scope(engine) as session:
        svc.submit(
            session,
            cycle=the_cycle(session),
            opd="BAPPERIDA",
            indicator=12,
            level=3,
            evidence=[PERWAL, DRIVE],
            note="Perwal sudah diundangkan",
            actor="adm-bapperida",
        )
    text = run_spbe("thread", "-i", "12", env=env)
    assert text.code == 0, text.err
    lines = text.out.splitlines()
    assert (
        lines[0].startswith("Rabu, 10 September 2025 pukul 10.00 WIB  v1  BAPPERIDA (Badan Perencanaan")
        and "mengklaim level 3" in lines[0]
        and "[import:bapperida.xlsx]" in lines[0]
    )
    assert any("v1  koordinator (Rina Kusumawati): perlu perbaikan  [cli]" in line for line in lines)
    assert "catatan: Perwal belum diundangkan" in text.out
    assert "Senin, 10 November 2025 pukul 10.00 WIB  v2  BAPPERIDA" in text.out


def test_an_apostrophe_a_person_typed_is_kept_and_only_the_templates_own_is_taken_off(engine, tmp_path: Path):
    """Typed `'=already-quoted` stays as typed, everywhere; the apostrophe a CSV template put before a formula-like
    text is stripped on the way back (the template records which cells it neutralised), and an XLSX template
    needs none (its cells carry Excel's quote prefix)."""
    with clock.use_clock(SEPT), session_scope(engine) as session:
        result = svc.submit(
            session,
            cycle=the_cycle(session),
            opd="BAPPERIDA",
            indicator=12,
            level=3,
            evidence=[PERWAL],
            explanation="=SUM(A1:A9) bukan rumus",
            note="'=already-quoted",
            actor="adm-bapperida",
        )
        assert (result.submission.explanation, result.submission.note) == (
            "=SUM(A1:A9) bukan rumus",
            "'=already-quoted",
        )

    path = issue(engine, "opd", "BAPPERIDA", tmp_path / "b.csv").path
    header, *rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig")), delimiter=";"))
    col = {h: i for i, h in enumerate(header)}
    assert rows[0][col["explanation"]] == "'=SUM(A1:A9) bukan rumus"  # neutralised for whoever opens it
    assert rows[0][col["note"]] == "'=already-quoted"  # starts with an apostrophe: nothing to neutralise
    assert rows[0][col[L.CSV_NEUTRALISED]].startswith("explanation:") and "note" not in rows[0][col[L.CSV_NEUTRALISED]]
    assert do_import(engine, path).created == []  # the round trip changes nothing

    rows[0][col["explanation"]] = "'=SUM(B1:B9)"  # typed by the person, apostrophe and all
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=";", lineterminator="\r\n").writerows([header, *rows])
    path.write_text(buffer.getvalue(), encoding="utf-8")
    do_import(engine, path)
    with Session(engine) as session:
        latest = latest_submission(session, cycle=the_cycle(session), indicator=12)
    assert (latest.version, latest.explanation, latest.note) == (2, "'=SUM(B1:B9)", "'=already-quoted")

    book = issue(engine, "opd", "BAPPERIDA", tmp_path / "b.xlsx").path
    assert read_cells(book)[0]["explanation"] == ("'=SUM(B1:B9)", "s")
    assert do_import(engine, book).created == []

    # A workbook issued before quote-prefix cells held the apostrophe in the value: still stripped there.
    wb = load_workbook(book)
    ws, meta = wb["Penilaian Mandiri"], wb[L.META_SHEET]
    ws["G2"].value = "'=SUM(B1:B9)"  # what the old template wrote for "=SUM(B1:B9)"
    for row in meta.iter_rows(max_col=2):
        if row[0].value == "neutralised":
            row[0].value = row[1].value = None
    wb.save(book)
    do_import(engine, book)
    with Session(engine) as session:
        latest = latest_submission(session, cycle=the_cycle(session), indicator=12)
    assert (latest.version, latest.explanation) == (3, "=SUM(B1:B9)")


def test_a_claim_without_evidence_is_recorded_and_warned_at_import(engine, tmp_path: Path):
    """The gate would only mention it weeks later: the import says it at once, naming row and column."""
    path = issue(engine, "opd", "BAPPERIDA", tmp_path / "b.xlsx").path
    fill(path, {12: {"level": 3, "evidence": PERWAL}, 13: {"level": 2, "explanation": "belum ada SK"}})
    report = do_import(engine, path)
    assert [c["indicator"] for c in report.created] == [12, 13]
    assert len(report.warnings) == 1 and report.as_dict()["warnings"] == report.warnings
    warning = report.warnings[0]
    assert warning.startswith("lembar 'Penilaian Mandiri' baris 3, kolom") and "indikator 13" in warning
    assert "tanpa tautan data dukung" in warning
    again = do_import(engine, path)  # unchanged, still without evidence: still said
    assert again.created == [] and len(again.warnings) == 1


@pytest.mark.parametrize("kind", [L.OPD, L.ASSESSOR, L.OPD_ITEMS, L.ASSESSOR_ITEMS])
def test_the_instruction_sheet_numbers_its_steps_without_a_gap(kind: str):
    from types import SimpleNamespace

    from spbe.intake.templates import _help_lines

    cycle = SimpleNamespace(year=2025, timezone="Asia/Jakarta")
    lines = _help_lines(kind, cycle, "BAPPERIDA", SEPT, OCT)
    numbers = [int(line.split(".", 1)[0]) for line in lines if line[:1].isdigit()]
    assert numbers == list(range(1, len(numbers) + 1)) and len(numbers) >= 8
