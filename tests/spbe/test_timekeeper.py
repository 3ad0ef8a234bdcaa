"""The timekeeper: jobs derived from the timeline (pure), wired into a real APScheduler with fake flows,
re-synced when the timeline changes, and one lease so that a second timekeeper does not act twice."""

from __future__ import annotations

import threading
import time as wall
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import select

from spbe import clock
from spbe.domain.reminders import ReminderRules
from spbe.store import models as m
from spbe.store.db import session_scope
from spbe.timekeeper import (
    PhaseTimes,
    Runner,
    Timekeeper,
    acquire_lease,
    derive_jobs,
    release_lease,
    run_timekeeper,
    sending_hours_cron,
    timeline_fingerprint,
)
from tests.utils.store import future_timeline, open_store

JAKARTA = "Asia/Jakarta"
WIB = ZoneInfo(JAKARTA)
RULES = ReminderRules()


def wib(*args: int) -> datetime:
    return datetime(*args, tzinfo=WIB)


PHASES = [
    PhaseTimes("socialization", "closed", wib(2025, 8, 1, 8), wib(2025, 8, 29, 16), 1),
    PhaseTimes("self-assessment", "open", wib(2025, 9, 1, 8), wib(2025, 9, 30, 16), 1),
    PhaseTimes("document-review", "pending", wib(2025, 10, 1, 8), wib(2025, 10, 31, 16), 1),
]


def test_jobs_follow_the_timeline():
    now = wib(2025, 9, 10, 12)
    jobs = {j.id: j for j in derive_jobs(PHASES, rules=RULES, now=now, zone=JAKARTA)}
    # document-review opens only after self-assessment closed: no job that could only be refused
    assert set(jobs) == {"check:self-assessment:v1", "recheck:self-assessment:v1", "remind", "digest"}
    assert jobs["check:self-assessment:v1"].run_at == wib(2025, 9, 30, 16)
    assert jobs["remind"].cron == {"hour": "8-15", "minute": "2-59/5"}
    assert jobs["digest"].cron == {"hour": "8", "minute": "0"}
    closed = [
        PHASES[0],
        PhaseTimes("self-assessment", "closed", wib(2025, 9, 1, 8), wib(2025, 9, 30, 16), 1),
        PHASES[2],
    ]
    after_close = {j.id: j for j in derive_jobs(closed, rules=RULES, now=now, zone=JAKARTA)}
    assert after_close["open:document-review"].run_at == wib(2025, 10, 1, 8)
    overlapping = [
        *PHASES[:2],
        PhaseTimes("document-review", "pending", wib(2025, 10, 1, 8), wib(2025, 10, 31, 16), 1, overlap=True),
    ]
    assert "open:document-review" in {j.id for j in derive_jobs(overlapping, rules=RULES, now=now, zone=JAKARTA)}


def test_past_moments_run_at_once_and_versions_name_jobs():
    late = wib(2025, 10, 2, 9)  # the server was off over the deadline and the opening
    jobs = {j.id: j for j in derive_jobs(PHASES, rules=RULES, now=late, zone=JAKARTA)}
    assert jobs["check:self-assessment:v1"].run_at == late
    assert "recheck:self-assessment:v1" in jobs  # still open past its deadline: looked at daily
    closed = [
        PHASES[0],
        PhaseTimes("self-assessment", "closed", wib(2025, 9, 1, 8), wib(2025, 9, 30, 16), 1),
        PHASES[2],
    ]
    after_close = {j.id: j for j in derive_jobs(closed, rules=RULES, now=late, zone=JAKARTA)}
    assert after_close["open:document-review"].run_at == late
    moved = [*PHASES[:1], PhaseTimes("self-assessment", "open", wib(2025, 9, 1, 8), wib(2025, 10, 7, 16), 2), PHASES[2]]
    ids = {j.id for j in derive_jobs(moved, rules=RULES, now=late, zone=JAKARTA)}
    assert "check:self-assessment:v2" in ids and "check:self-assessment:v1" not in ids
    assert timeline_fingerprint(moved) != timeline_fingerprint(PHASES)


def test_nothing_left_to_do_when_every_phase_is_closed():
    closed = [PhaseTimes(p.name, "closed", p.opens_at, p.deadline_at, 1) for p in PHASES]
    assert derive_jobs(closed, rules=RULES, now=wib(2026, 1, 5, 9), zone=JAKARTA) == []


@pytest.mark.parametrize(
    ("send_from", "send_until", "every", "expected"),
    [
        ("08:00", "16:00", 5, {"hour": "8-15", "minute": "2-59/5"}),
        ("07:30", "16:30", 10, {"hour": "7-16", "minute": "2-59/10"}),
        ("08:00", "09:00", 1, {"hour": "8", "minute": "0-59/1"}),
    ],
)
def test_sending_hours_cron(send_from, send_until, every, expected):
    rules = ReminderRules.from_section({"send_from": send_from, "send_until": send_until})
    assert sending_hours_cron(rules, every) == expected


class Recorder:
    def __init__(self) -> None:
        self.calls: list[tuple] = []
        self.event = threading.Event()

    def phase_action(self, action: str, phase: str, attempt: int = 0) -> None:
        self.calls.append((action, phase))
        self.event.set()

    def remind(self) -> None:
        self.calls.append(("remind",))


def test_wired_scheduler_runs_due_phase_jobs_and_resyncs(sqlite_store_env: str):
    engine = open_store(sqlite_store_env, phase="self-assessment")
    future_timeline(engine, due_now="document-review")  # an opening already past: its job runs at once
    with session_scope(engine) as session:  # allowed to overlap the open self-assessment
        session.exec(select(m.Phase).where(m.Phase.name == "document-review")).one().overlap = True
    recorder = Recorder()
    keeper = Timekeeper(engine=engine, runner=Runner(recorder.phase_action, recorder.remind))
    keeper.start()
    try:
        assert recorder.event.wait(10), keeper.describe()
        assert recorder.calls == [("open", "document-review")]
        ids = {j["id"] for j in keeper.describe()}
        assert {"check:self-assessment:v1", "remind", "digest", "resync"} <= ids
        with session_scope(engine) as session:  # the deadline is extended: the check job follows
            phase = session.exec(select(m.Phase).where(m.Phase.name == "self-assessment")).one()
            phase.deadline_at += timedelta(days=7)
            phase.deadline_version += 1
        assert keeper.sync() is True and keeper.sync() is False
        ids = {j["id"] for j in keeper.describe()}
        assert "check:self-assessment:v2" in ids and "check:self-assessment:v1" not in ids
        job = keeper.scheduler.get_job("remind")
        assert job.trigger.timezone == ZoneInfo("Asia/Jakarta") and job.coalesce and job.max_instances == 1
    finally:
        keeper.stop()


def test_one_lease_two_timekeepers(sqlite_store_env: str):
    engine = open_store(sqlite_store_env)
    start = datetime(2025, 9, 22, 2, 0, tzinfo=UTC)
    with clock.use_clock(start):
        assert acquire_lease(engine, holder="a", seconds=60)
        assert not acquire_lease(engine, holder="b", seconds=60)
        assert acquire_lease(engine, holder="a", seconds=60)  # renewal
    with clock.use_clock(start + timedelta(seconds=61)):  # a died: its lease ran out
        assert acquire_lease(engine, holder="b", seconds=60)
        assert not acquire_lease(engine, holder="a", seconds=60)
        release_lease(engine, holder="b")  # a clean stop hands over at once
        assert acquire_lease(engine, holder="a", seconds=60)


def test_second_timekeeper_skips_its_jobs(sqlite_store_env: str):
    engine = open_store(sqlite_store_env)
    future_timeline(engine)
    first, second = Recorder(), Recorder()
    a = Timekeeper(engine=engine, runner=Runner(first.phase_action, first.remind), holder="a")
    b = Timekeeper(engine=engine, runner=Runner(second.phase_action, second.remind), holder="b")
    a.start()
    b.start()
    try:
        a._run("remind", None)
        b._run("remind", None)
        a._run("check", "self-assessment")
    finally:
        a.stop()
        b.stop()
    assert first.calls == [("remind",), ("check", "self-assessment")] and second.calls == []
    assert b.ran == [("remind", None, "skipped: lease held elsewhere")]


def test_run_timekeeper_stops_cleanly_and_reports_failures(sqlite_store_env: str):
    engine = open_store(sqlite_store_env)
    future_timeline(engine)
    stop = threading.Event()

    def failing(action: str, phase: str, attempt: int = 0) -> None:
        raise RuntimeError("the phase flow refused")

    seen: list[Timekeeper] = []

    def started(keeper: Timekeeper) -> None:
        seen.append(keeper)
        keeper._run("check", "self-assessment")
        stop.set()

    begin = wall.monotonic()
    keeper = run_timekeeper(stop, engine=engine, runner=Runner(failing, lambda: None), on_start=started)
    assert wall.monotonic() - begin < 10 and not keeper.scheduler.running
    assert keeper.ran == [("check", "self-assessment", "failed: RuntimeError")]


def test_open_phase_is_rechecked_daily_after_its_deadline():
    from datetime import UTC, datetime, timedelta

    from spbe.timekeeper import PhaseTimes, derive_jobs

    deadline = datetime(2025, 10, 31, 9, 0, tzinfo=UTC)  # 16:00 WIB
    phase = PhaseTimes("document-review", "open", datetime(2025, 10, 1, 1, 0, tzinfo=UTC), deadline, 1)
    for now in (deadline - timedelta(days=1), deadline, deadline + timedelta(hours=1)):
        # the same job before and after the deadline: an unmet check changes no state, so no resync would add it
        jobs = {j.id: j for j in derive_jobs([phase], rules=RULES, now=now, zone=JAKARTA)}
        recheck = jobs["recheck:document-review:v1"]
        assert (recheck.kind, recheck.phase, recheck.cron) == (
            "check",
            "document-review",
            {"hour": "16", "minute": "0"},
        )
        assert recheck.start == deadline + timedelta(minutes=1)
    closed = PhaseTimes("document-review", "closed", phase.opens_at, deadline, 1)
    assert not any(j.id.startswith("recheck") for j in derive_jobs([closed], rules=RULES, now=deadline, zone=JAKARTA))


# --- the cycle's own time zone -----------------------------------------------------------------------

WITA = ZoneInfo("Asia/Makassar")


def test_jobs_of_a_city_in_wita_keep_its_local_times():
    def wita(*args: int) -> datetime:
        return datetime(*args, tzinfo=WITA)

    phases = [
        PhaseTimes("socialization", "closed", wita(2025, 8, 1, 8), wita(2025, 8, 29, 16), 1),
        PhaseTimes("self-assessment", "open", wita(2025, 9, 1, 8), wita(2025, 9, 30, 16), 1),
    ]
    jobs = {j.id: j for j in derive_jobs(phases, rules=RULES, now=wita(2025, 10, 1, 9), zone="Asia/Makassar")}
    assert jobs["recheck:self-assessment:v1"].cron == {"hour": "16", "minute": "0"}  # 16:00 WITA, not 15:00
    assert jobs["remind"].cron == {"hour": "8-15", "minute": "2-59/5"}  # read in the zone the trigger is given


def test_a_wita_cycle_end_to_end_opening_at_0800_and_sending_0800_to_1600_wita(tmp_path, sqlite_store_env: str):
    """A cycle in Asia/Makassar: the opening job fires at 08:00 WITA (00:00 UTC), reminder ticks run
    08:02-15:57 WITA, and the sending window is 08:00-16:00 WITA: nothing leaves at 07:59 WITA, which is
    already 08:59 in Jakarta."""
    from spbe.services.cycles import current_cycle
    from spbe.services.delivery_settings import settings_for
    from tests.utils.store import cycle_file_in_zone, open_store

    engine = open_store(sqlite_store_env, phase="locus", config=cycle_file_in_zone(tmp_path))
    with session_scope(engine) as session:  # locus closed: socialization opens next, 1 Aug 08:00 WITA
        for p in session.exec(select(m.Phase)):
            p.state = "closed" if p.name == "locus" else "pending"
        cycle = current_cycle(session)
        assert cycle.timezone == "Asia/Makassar"
        window = settings_for(cycle).window
    recorder = Recorder()
    keeper = Timekeeper(engine=engine, runner=Runner(recorder.phase_action, recorder.remind))
    with clock.use_clock(datetime(2025, 7, 31, 12, tzinfo=UTC)):
        keeper.sync()
    assert keeper.zone == "Asia/Makassar"
    opening = keeper.scheduler.get_job("open:socialization").trigger.run_date
    assert opening == datetime(2025, 8, 1, 8, 0, tzinfo=WITA) != datetime(2025, 8, 1, 8, 0, tzinfo=WIB)
    remind = keeper.scheduler.get_job("remind").trigger
    assert remind.timezone == WITA
    first = remind.get_next_fire_time(None, datetime(2025, 8, 1, 0, 0, tzinfo=UTC))  # 08:00 WITA
    assert first == datetime(2025, 8, 1, 8, 2, tzinfo=WITA)
    last = remind.get_next_fire_time(None, datetime(2025, 8, 1, 7, 58, tzinfo=UTC))  # 15:58 WITA
    assert last == datetime(2025, 8, 2, 8, 2, tzinfo=WITA)  # the 15:57 tick was the day's last
    digest = keeper.scheduler.get_job("digest").trigger
    assert digest.get_next_fire_time(None, datetime(2025, 8, 1, tzinfo=UTC)) == datetime(2025, 8, 1, 8, tzinfo=WITA)
    friday = datetime(2025, 8, 1, tzinfo=WITA)
    assert not window.contains(friday.replace(hour=7, minute=59)) and window.contains(friday.replace(hour=8))
    assert window.contains(friday.replace(hour=15, minute=59)) and not window.contains(friday.replace(hour=16))


# --- outages: retried with backoff, recorded for the coordinator --------------------------------------


def _audit(engine, prefix: str) -> list[m.AuditEvent]:
    from sqlmodel import Session, col

    with Session(engine) as session:
        return list(session.exec(select(m.AuditEvent).where(col(m.AuditEvent.action).startswith(prefix))))


def test_a_store_outage_is_retried_with_backoff_and_recorded_once_the_store_is_back(
    sqlite_store_env: str, monkeypatch: pytest.MonkeyPatch
):
    """A lock held past the lock timeout during a gate-check job: not a "no". The job is tried again
    later (not at the next timeline change), and the outage reaches the audit trail when the store does."""
    import sqlite3

    import spbe.timekeeper as tk
    from spbe.settings import get_settings
    from spbe.store.db import dispose_engines

    monkeypatch.setenv("SPBE_LOCK_TIMEOUT", "0.2")
    get_settings.cache_clear()
    dispose_engines()
    monkeypatch.setattr(tk, "RETRY_SECONDS", (0.5,))
    engine = open_store(sqlite_store_env)
    future_timeline(engine)
    recorder = Recorder()
    keeper = Timekeeper(engine=engine, runner=Runner(recorder.phase_action, recorder.remind))
    keeper.start()
    holder = sqlite3.connect(engine.url.database, isolation_level=None)
    try:
        holder.execute("BEGIN EXCLUSIVE")  # another process holds the store
        keeper._run("check", "self-assessment")
        assert keeper.ran[-1] == ("check", "self-assessment", "failed: StoreUnavailable")
        assert keeper.scheduler.get_job("retry:check:self-assessment") is not None
        assert keeper.outages["check:self-assessment"].recorded is False  # the store cannot take it yet
        assert recorder.calls == []
        holder.execute("ROLLBACK")  # the store is back
        assert recorder.event.wait(10), keeper.describe()
    finally:
        holder.close()
        keeper.stop()
    assert recorder.calls == [("check", "self-assessment")]
    assert "check:self-assessment" not in keeper.outages
    outage, recovered = _audit(engine, "timekeeper.outage"), _audit(engine, "timekeeper.recovered")
    assert len(outage) == 1 and outage[0].actor == "system:timekeeper" and "locked" in outage[0].detail["error"]
    assert len(recovered) == 1 and recovered[0].subject == "check:self-assessment"
    assert recovered[0].detail["attempts"] == 1


def test_a_refusal_is_not_retried_and_no_outage_is_recorded(sqlite_store_env: str):
    from spbe.errors import RefusedError

    engine = open_store(sqlite_store_env)
    future_timeline(engine)

    def refusing(kind: str, phase: str, attempt: int = 0) -> None:
        raise RefusedError("phase self-assessment cannot open yet")

    keeper = Timekeeper(engine=engine, runner=Runner(refusing, lambda: None))
    keeper.start()
    try:
        keeper._run("open", "self-assessment")
        assert keeper.scheduler.get_job("retry:open:self-assessment") is None
    finally:
        keeper.stop()
    assert keeper.ran == [("open", "self-assessment", "failed: RefusedError")] and not keeper.outages
    assert _audit(engine, "timekeeper.") == []


def test_a_served_run_that_ended_on_an_outage_is_triggered_again(sqlite_store_env: str):
    """Served, the timekeeper only sees the run's state (its type and name): "Unavailable" means its tasks'
    own retries ran out, so the job is triggered again with a new attempt (a new idempotency key)."""
    from spbe.errors import Unavailable, error_for_state

    engine = open_store(sqlite_store_env)
    future_timeline(engine)
    triggered: list[int] = []
    ends = {"run-0": error_for_state("Unavailable", "penyimpanan tidak tersedia"), "run-1": False}

    def trigger(kind: str, phase: str, attempt: int = 0) -> dict:
        triggered.append(attempt)
        return {"flow_run_id": f"run-{attempt}"}

    keeper = Timekeeper(engine=engine, runner=Runner(trigger, lambda: None, run_outcome=ends.get))
    keeper.start()
    try:
        keeper._run("check", "self-assessment")
        assert keeper.following == {"run-0": ("check", "self-assessment")}
        assert isinstance(ends["run-0"], Unavailable)  # rebuilt from the state's name
        keeper._follow()
        retry = keeper.scheduler.get_job("retry:check:self-assessment")
        assert retry is not None and retry.args == ("check", "self-assessment", 1)
        keeper._run(*retry.args)
        keeper._follow()
    finally:
        keeper.stop()
    assert triggered == [0, 1] and not keeper.following and not keeper.outages
    assert [e.action for e in _audit(engine, "timekeeper.")] == ["timekeeper.outage", "timekeeper.recovered"]
