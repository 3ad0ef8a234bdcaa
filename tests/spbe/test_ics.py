"""`spbe calendar`: the .ics parses back, holds the six phases and their deadlines with alarms, and
updates (same UID, higher SEQUENCE) when a deadline moves."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from icalendar import Calendar

from spbe import clock
from spbe.domain.phases import PHASES
from spbe.ics import export_calendar
from spbe.services.cycles import load_config_files, load_cycle
from spbe.store.db import get_engine, session_scope, upgrade
from tests.conftest import CYCLE_FILE
from tests.utils.cli import run_spbe

NOW = datetime(2025, 5, 20, 2, 30, tzinfo=UTC)


def events(path: Path) -> dict[str, object]:
    cal = Calendar.from_ical(path.read_bytes())
    return {str(e["UID"]): e for e in cal.walk("VEVENT")}


def instant(value) -> datetime:
    return value.dt if hasattr(value, "dt") else value


def test_six_phases_and_deadlines_with_alarms(sqlite_store_env: str, tmp_path: Path):
    out = tmp_path / "kal" / "spbe.ics"
    with clock.use_clock(NOW):
        result = export_calendar(out)  # no store yet: from the cycle file
    assert "store not initialised" in result.source
    raw = out.read_bytes()
    assert raw.startswith(b"BEGIN:VCALENDAR\r\n") and raw.endswith(b"END:VCALENDAR\r\n")
    assert all(len(line) <= 75 for line in raw.split(b"\r\n")), "lines must be folded at 75 octets"
    cal = Calendar.from_ical(raw)
    assert str(cal["VERSION"]) == "2.0" and str(cal["X-WR-TIMEZONE"]) == "Asia/Jakarta"
    found = events(out)
    spans = [found[f"pekalongan-2025.{p}.tahap@spbe-engine"] for p in PHASES]
    deadlines = [found[f"pekalongan-2025.{p}.batas-waktu@spbe-engine"] for p in PHASES]
    assert result.events == len(found) == 13  # 6 phases, 6 deadlines, the socialization meeting
    for ev in [*spans, *deadlines]:
        assert instant(ev["DTSTAMP"]) == NOW
        assert instant(ev["DTSTART"]).tzinfo is not None and instant(ev["DTSTART"]).utcoffset() == timedelta(0)
        assert ev.walk("VALARM"), f"{ev['SUMMARY']} has no alarm"
        assert str(ev["TRANSP"]) == "TRANSPARENT" and int(ev["SEQUENCE"]) == 0
    sa_span = found["pekalongan-2025.self-assessment.tahap@spbe-engine"]
    assert str(sa_span["SUMMARY"]) == "SPBE 2025: Penilaian mandiri"
    assert instant(sa_span["DTSTART"]) == datetime(2025, 9, 1, 1, 0, tzinfo=UTC)  # 08:00 WIB
    assert instant(sa_span["DTEND"]) == datetime(2025, 9, 30, 9, 0, tzinfo=UTC)  # 16:00 WIB
    sa_deadline = found["pekalongan-2025.self-assessment.batas-waktu@spbe-engine"]
    assert instant(sa_deadline["DTEND"]) == datetime(2025, 9, 30, 9, 0, tzinfo=UTC)
    rings = {
        str(a["DESCRIPTION"]).split(":")[0]: instant(sa_deadline["DTSTART"]) + a["TRIGGER"].dt
        for a in sa_deadline.walk("VALARM")
    }
    # H-7 on working days before Tuesday 30 September is Friday 19 September, at the 08:00 sending hour
    assert rings == {
        "H-7": datetime(2025, 9, 19, 1, 0, tzinfo=UTC),
        "H-3": datetime(2025, 9, 25, 1, 0, tzinfo=UTC),
        "H-1": datetime(2025, 9, 29, 1, 0, tzinfo=UTC),
        "1 jam lagi": datetime(2025, 9, 30, 8, 0, tzinfo=UTC),
    }
    meeting = found["pekalongan-2025.socialization.acara@spbe-engine"]
    assert str(meeting["LOCATION"]).startswith("Ruang Rapat Buketan")
    assert instant(meeting["DTSTART"]) == datetime(2025, 8, 12, 2, 0, tzinfo=UTC)


def test_uids_are_stable_and_a_moved_deadline_updates_in_place(sqlite_store_env: str, tmp_path: Path):
    first, second = tmp_path / "a.ics", tmp_path / "b.ics"
    engine = get_engine()
    upgrade(engine)
    config, roster = load_config_files(CYCLE_FILE)
    with session_scope(engine) as session:
        load_cycle(session, config=config, roster=roster, actor="tester")
    export_calendar(first)
    moved = tmp_path / "cycle.toml"
    text = CYCLE_FILE.read_text(encoding="utf-8").replace(
        'deadline = "2025-09-30 16:00"', 'deadline = "2025-10-03 16:00"'
    )
    text = text.replace('roster = "roster/pekalongan"', f'roster = "{CYCLE_FILE.parent / "roster" / "pekalongan"}"')
    moved.write_text(text, encoding="utf-8")
    config, roster = load_config_files(moved)
    with session_scope(engine) as session:
        load_cycle(session, config=config, roster=roster, actor="tester")
    result = export_calendar(second)
    assert "store" in result.source and "pekalongan-2025" in result.source
    a, b = events(first), events(second)
    assert set(a) == set(b)
    uid = "pekalongan-2025.self-assessment.batas-waktu@spbe-engine"
    assert int(a[uid]["SEQUENCE"]) == 0 and int(b[uid]["SEQUENCE"]) == 1
    assert instant(b[uid]["DTEND"]) == datetime(2025, 10, 3, 9, 0, tzinfo=UTC)
    other = "pekalongan-2025.revision.batas-waktu@spbe-engine"
    assert int(b[other]["SEQUENCE"]) == 0 and instant(a[other]["DTEND"]) == instant(b[other]["DTEND"])


def test_calendar_command(tmp_path: Path):
    out = tmp_path / "spbe.ics"
    env = {"SPBE_DATABASE_URL": f"sqlite:///{tmp_path / 'none.db'}", "SPBE_NOW": "2025-05-20T09:30:00+07:00"}
    result = run_spbe("calendar", "--out", str(out), "--config", str(CYCLE_FILE), env=env)
    assert result.code == 0, result.err
    assert "13 acara (6 tahap, 6 batas waktu)" in result.out
    assert all(instant(e["DTSTAMP"]) == NOW for e in events(out).values())
    assert not (tmp_path / "none.db").exists()  # exporting never creates a store


def test_calendar_help_names_its_options():
    result = run_spbe("calendar", "--help")
    assert result.code == 0 and "--out" in result.out and "--config" in result.out
