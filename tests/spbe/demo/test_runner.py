"""The demo year's machinery without the year: its queue, its daily re-checks, its batching and set-up.

tests/e2e/test_year_scenario.py walks a whole year through real flows; these look at the runner's own
decisions, which no flow run checks.
"""

from __future__ import annotations

import os
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from spbe.demo.participants import Act
from spbe.demo.runner import START, Year, prepare
from tests.utils.store import loaded_store

WIB = ZoneInfo("Asia/Jakarta")


@pytest.fixture
def year(sqlite_store_env: str, tmp_path: Path) -> Year:
    loaded_store(sqlite_store_env)
    return Year(seed=2025, data_dir=tmp_path, evidence_base="http://127.0.0.1:9", say=print, progress=lambda s: None)


def wib(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=WIB)


def test_the_first_sync_queues_the_first_opening_once(year: Year):
    assert year.clock() == datetime.fromisoformat(START)
    year.sync_timekeeper()
    year.sync_timekeeper()  # a second sync adds nothing already scheduled
    assert [(e.kind, e.phase, e.at) for e in year.queue] == [("open", "locus", wib("2025-06-02T08:00"))]


def test_reminder_ticks_on_working_days_only(year: Year):
    year.schedule_reminder_ticks()
    ticks = sorted(e.at for e in year.queue)
    days = [t.astimezone(WIB).date() for t in ticks]
    assert all(year.calendar.is_working_day(d) for d in days) and len(days) == len(set(days))
    assert date(2025, 8, 18) not in days and date(2025, 8, 19) in days  # cuti bersama skipped
    assert {(t.astimezone(WIB).hour, t.astimezone(WIB).minute) for t in ticks} == {(8, 2)}


def test_a_daily_recheck_lands_on_the_next_working_day_after_now(year: Year):
    year.clock.advance_to(wib("2025-08-15T17:00"))  # Friday after work; Mon 18 Aug is cuti bersama
    cron = {"hour": "16", "minute": "1"}
    assert year.next_daily(cron, None) == wib("2025-08-19T16:01")
    year.clock.advance_to(wib("2025-08-19T09:00"))
    assert year.next_daily(cron, None) == wib("2025-08-19T16:01")  # later the same working day
    assert year.next_daily(cron, wib("2025-08-21T00:00")) == wib("2025-08-21T16:01")  # not before its start


def act(at: str, kind: str, actor: str, **extra) -> Act:
    return Act(wib(at), kind, actor, phase=extra.pop("phase", "self-assessment"), **extra)


def test_batches_one_file_per_person_per_day_and_one_attendance_sheet(year: Year):
    acts = [
        act("2025-09-10T09:00", "submit", "adm-a", opd="A", indicator=1),
        act("2025-09-10T14:00", "submit", "adm-a", opd="A", indicator=2),
        act("2025-09-11T09:00", "submit", "adm-a", opd="A", indicator=3),
        act("2025-09-10T10:00", "submit", "adm-b", opd="B", indicator=4),
        *[act(f"2025-08-12T09:{m:02d}", "attend", f"adm-{m}", opd=f"O{m}", phase="socialization") for m in range(5)],
        act("2025-08-13T10:00", "attend", "adm-late", opd="L", phase="socialization"),
    ]
    groups = year.batches(acts)
    shape = sorted((g[0].actor, g[0].kind, len(g)) for g in groups)
    assert shape == [
        ("adm-a", "submit", 1),  # 11 Sep
        ("adm-a", "submit", 2),  # both of 10 Sep in one file
        ("adm-b", "submit", 1),
        ("adm-late", "attend", 1),  # acknowledged later, on their own
        ("koordinator", "attend", 5),  # the briefing's sheet, recorded by the coordinator
    ]
    assert [g[0].at for g in groups] == sorted(g[0].at for g in groups)


# what prepare() writes into the process environment (each test restores it)
PREPARED_SETTINGS = ("SPBE_DATA_DIR", "SPBE_DATABASE_URL", "SPBE_CYCLE_CONFIG", "SPBE_ACTOR", "SPBE_WEBHOOK_URL")


def test_prepare_writes_a_loopback_only_cycle_and_points_the_settings_at_it(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
):
    for key in (*PREPARED_SETTINGS, "SPBE_TEMPLATE_SECRET"):
        monkeypatch.setenv(key, "")  # restored after the test: prepare() sets them for the process
    monkeypatch.setenv("SPBE_NOW", "2025-01-01T00:00:00+07:00")
    stale = tmp_path / "inbox"
    stale.mkdir()
    (stale / "old.csv").write_text("x")
    cycle_file = prepare(tmp_path, "http://127.0.0.1:4321")
    text = cycle_file.read_text(encoding="utf-8")
    assert 'allow_networks = ["127.0.0.1/32"]' in text and "allow_networks = []" not in text
    roster = text.split('roster = "', 1)[1].split('"', 1)[0]
    assert Path(roster).is_absolute() and Path(roster).is_dir()
    assert not stale.exists()  # a repeatable year starts from nothing
    assert os.environ["SPBE_DATABASE_URL"] == f"sqlite:///{tmp_path / 'spbe.db'}"
    assert os.environ["SPBE_WEBHOOK_URL"] == "http://127.0.0.1:4321/spbe"
    assert len(os.environ["SPBE_TEMPLATE_SECRET"]) >= 16 and "SPBE_NOW" not in os.environ


def test_prepare_takes_the_2026_cycle_and_refuses_an_unknown_one(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    from spbe.errors import InputError

    for key in (*PREPARED_SETTINGS, "SPBE_TEMPLATE_SECRET"):
        monkeypatch.setenv(key, "")  # restored after the test: prepare() sets them for the process
    with pytest.raises(InputError, match="pekalongan-2025, pekalongan-2026"):
        prepare(tmp_path, "http://127.0.0.1:4321", "pekalongan-2027")
    assert not (tmp_path / "pekalongan-2027-demo.toml").exists()
    cycle_file = prepare(tmp_path, "http://127.0.0.1:4321", "pekalongan-2026")
    text = cycle_file.read_text(encoding="utf-8")
    assert cycle_file.name == "pekalongan-2026-demo.toml" and 'framework = "pemdi-2026"' in text
    assert "dns = false" in text and "[phases.ministry-upload]" in text
