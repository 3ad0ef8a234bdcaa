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

WIB = ZoneInfo("Asia/Jakarta")
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
    jobs = {j.id: j for j in derive_jobs(PHASES, rules=RULES, now=now)}
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
    assert {j.id: j for j in derive_jobs(closed, rules=RULES, now=now)}["open:document-review"].run_at == wib(
        2025, 10, 1, 8
    )
    overlapping = [
        *PHASES[:2],
        PhaseTimes("document-review", "pending", wib(2025, 10, 1, 8), wib(2025, 10, 31, 16), 1, overlap=True),
    ]
    assert "open:document-review" in {j.id for j in derive_jobs(overlapping, rules=RULES, now=now)}


def test_past_moments_run_at_once_and_versions_name_jobs():
    late = wib(2025, 10, 2, 9)  # the server was off over the deadline and the opening
    jobs = {j.id: j for j in derive_jobs(PHASES, rules=RULES, now=late)}
    assert jobs["check:self-assessment:v1"].run_at == late
    assert "recheck:self-assessment:v1" in jobs  # still open past its deadline: looked at daily
    closed = [
        PHASES[0],
        PhaseTimes("self-assessment", "closed", wib(2025, 9, 1, 8), wib(2025, 9, 30, 16), 1),
        PHASES[2],
    ]
    assert {j.id: j for j in derive_jobs(closed, rules=RULES, now=late)}["open:document-review"].run_at == late
    moved = [*PHASES[:1], PhaseTimes("self-assessment", "open", wib(2025, 9, 1, 8), wib(2025, 10, 7, 16), 2), PHASES[2]]
    ids = {j.id for j in derive_jobs(moved, rules=RULES, now=late)}
    assert "check:self-assessment:v2" in ids and "check:self-assessment:v1" not in ids
    assert timeline_fingerprint(moved) != timeline_fingerprint(PHASES)


def test_nothing_left_to_do_when_every_phase_is_closed():
    closed = [PhaseTimes(p.name, "closed", p.opens_at, p.deadline_at, 1) for p in PHASES]
    assert derive_jobs(closed, rules=RULES, now=wib(2026, 1, 5, 9)) == []


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

    def phase_action(self, action: str, phase: str) -> None:
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

    def failing(action: str, phase: str) -> None:
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
        recheck = {j.id: j for j in derive_jobs([phase], rules=RULES, now=now)}["recheck:document-review:v1"]
        assert (recheck.kind, recheck.phase, recheck.cron) == (
            "check",
            "document-review",
            {"hour": "16", "minute": "0"},
        )
        assert recheck.start == deadline + timedelta(minutes=1)
    closed = PhaseTimes("document-review", "closed", phase.opens_at, deadline, 1)
    assert not any(j.id.startswith("recheck") for j in derive_jobs([closed], rules=RULES, now=deadline))
