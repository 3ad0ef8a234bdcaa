"""`spbe calendar`: the .ics parses back, holds the six phases and their deadlines with alarms, and
updates (same UID, higher SEQUENCE) when a deadline moves."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import pytest
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
    for ev in spans:  # all-day: one bar from the opening day to the deadline day, not a timed event on every day
        assert type(instant(ev["DTSTART"])) is date and type(instant(ev["DTEND"])) is date
    for ev in deadlines:
        assert instant(ev["DTSTART"]).tzinfo is not None and instant(ev["DTSTART"]).utcoffset() == timedelta(0)
        assert instant(ev["DTEND"]) - instant(ev["DTSTART"]) <= timedelta(hours=1)  # short, ending at the deadline
    for ev in [*spans, *deadlines]:
        assert ev.walk("VALARM"), f"{ev['SUMMARY']} has no alarm"
        assert str(ev["TRANSP"]) == "TRANSPARENT" and int(ev["SEQUENCE"]) == 0
    sa_span = found["pekalongan-2025.self-assessment.tahap@spbe-engine"]
    assert str(sa_span["SUMMARY"]) == "SPBE 2025: Penilaian mandiri"
    assert instant(sa_span["DTSTART"]) == date(2025, 9, 1)  # Monday
    assert instant(sa_span["DTEND"]) == date(2025, 10, 1)  # exclusive: the bar ends on Tuesday 30 September
    # 'besok dibuka' on the last working day before: Friday 29 August at 08:00, not Sunday 31 August
    (opening,) = sa_span.walk("VALARM")
    assert datetime.combine(date(2025, 9, 1), time(0)) + opening["TRIGGER"].dt == datetime(2025, 8, 29, 8, 0)
    workdays = load_config_files(CYCLE_FILE)[0].calendar
    for ev in spans:
        (alarm,) = ev.walk("VALARM")
        ring = datetime.combine(instant(ev["DTSTART"]), time(0)) + alarm["TRIGGER"].dt
        assert ring.weekday() != 6 and workdays.is_working_day(ring.date()), (str(ev["SUMMARY"]), ring)
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


def test_a_real_calendar_client_reads_it_back(sqlite_store_env: str, tmp_path: Path):
    """khal (Debian's package; `make ui-deps` installs it) lists each phase once as an all-day span, not on
    every one of its days (it printed 419 lines for 13 timed events)."""
    import shutil
    import subprocess

    khal = shutil.which("khal")
    if khal is None:
        pytest.skip(
            "khal is not installed (Debian package `khal`: `make ui-deps`); the icalendar test above still runs"
        )
    out = tmp_path / "spbe.ics"
    with clock.use_clock(NOW):
        export_calendar(out)
    env = {"HOME": str(tmp_path), "PATH": "/usr/bin:/bin", "TZ": "Asia/Jakarta", "LANG": "C.UTF-8"}
    (tmp_path / "kal").mkdir()
    (tmp_path / "khal.conf").write_text(
        f"[calendars]\n[[spbe]]\npath = {tmp_path / 'kal'}\ntype = calendar\n"
        "[locale]\ntimeformat = %H:%M\ndateformat = %Y-%m-%d\nlongdateformat = %Y-%m-%d\n"
        "datetimeformat = %Y-%m-%d %H:%M\nlongdatetimeformat = %Y-%m-%d %H:%M\ndefault_timezone = Asia/Jakarta\n"
        "local_timezone = Asia/Jakarta\n",
        encoding="utf-8",
    )
    conf = ["-c", str(tmp_path / "khal.conf")]
    subprocess.run([khal, *conf, "import", "--batch", "-a", "spbe", str(out)], env=env, check=True, timeout=60)
    listed = subprocess.run(
        [khal, *conf, "list", "--once", "--format", "{start-date} {end-date} {title}", "2025-06-01", "400d"],
        env=env,
        check=True,
        timeout=60,
        capture_output=True,
        text=True,
    ).stdout.splitlines()
    spans = [line for line in listed if line.split(" ", 2)[-1].startswith("SPBE 2025: ")]
    assert len(spans) == 6, listed  # each phase once, however many days it spans
    assert "2025-09-01 2025-09-30 SPBE 2025: Penilaian mandiri" in spans
    assert len(listed) < 60, f"{len(listed)} lines"
