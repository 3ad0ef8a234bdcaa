"""Dispatchers as real processes (`spbe remind`): killed with SIGKILL mid-batch and restarted, everything
arrives and only messages that were in flight may arrive twice; two at once on one store, no key twice."""

from __future__ import annotations

import os
import signal
import subprocess
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlmodel import Session, select

from spbe import clock
from spbe.services.outbox import Notice, enqueue
from spbe.store import models as m
from spbe.store.db import session_scope
from spbe.store.tables_reminders import OutboxMessage
from tests.utils.cli import SPBE
from tests.utils.receiver import Receiver
from tests.utils.store import open_store

WIB = ZoneInfo("Asia/Jakarta")
MONDAY_9 = datetime(2025, 9, 22, 9, 0, tzinfo=WIB)


def prepare(url: str, count: int) -> tuple:
    engine = open_store(url)
    with session_scope(engine) as session:  # no phase open: the sweep adds nothing, only these keys travel
        for phase in session.exec(select(m.Phase)):
            phase.state = "pending"
    with Session(engine) as session:
        cycle = session.exec(select(m.Cycle)).one()
        people = [p.key for p in session.exec(select(m.Person).order_by(m.Person.id))]
    keys = [f"proses/{i:04d}" for i in range(count)]
    with clock.use_clock(MONDAY_9), session_scope(engine) as session:
        enqueue(
            session,
            cycle_id=cycle.id,
            notices=[Notice(people[i % len(people)], f"S {k}", "Isi\n", key=k) for i, k in enumerate(keys)],
        )
    return engine, keys


def env_for(url: str, tmp_path: Path, rx: Receiver, now: datetime) -> dict[str, str]:
    return {
        **os.environ,
        "SPBE_DATABASE_URL": url,
        "SPBE_DATA_DIR": str(tmp_path / "data"),
        "SPBE_NOW": now.isoformat(),
        "SPBE_WEBHOOK_URL": rx.url + "/hook",
        "SPBE_FORCE_CHANNEL": "webhook",
        "SPBE_ACTOR": "koordinator",  # `spbe remind` is a coordinator's
    }


def remind(env: dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen(
        [str(SPBE), "remind", "--no-flow"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def states(engine) -> dict[str, str]:
    with Session(engine) as session:
        return {r.key: r.state for r in session.exec(select(OutboxMessage))}


def test_sigkill_mid_batch_then_restart(sqlite_url: str, tmp_path: Path):
    engine, keys = prepare(sqlite_url, 400)
    with Receiver(delay=0.02) as rx:
        proc = remind(env_for(sqlite_url, tmp_path, rx, MONDAY_9))
        try:
            assert rx.wait_for(120, timeout=60), proc.communicate(timeout=5)
        finally:
            proc.send_signal(signal.SIGKILL)
            proc.wait(10)
        assert rx.wait_idle(timeout=10)  # the requests the dead process had sent are answered and counted
        at_kill = states(engine)
        in_flight = {k for k, s in at_kill.items() if s == "sending"}
        got_before = set(rx.keys)
        assert in_flight, "the kill landed between batches: nothing was in flight"
        assert len(got_before) < len(keys), "the dispatcher finished before the kill"
        assert {k for k, s in at_kill.items() if s == "sent"} <= got_before  # recorded only after delivery

        # restarted before the lease ran out: the in-flight rows are left alone
        early = subprocess.run(
            [str(SPBE), "remind", "--no-flow", "--json"],
            env=env_for(sqlite_url, tmp_path, rx, MONDAY_9 + timedelta(minutes=1)),
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert early.returncode == 0, early.stderr
        assert {k for k, s in states(engine).items() if s == "sending"} == in_flight

        # after the lease: taken back and delivered
        later = MONDAY_9 + timedelta(minutes=6)
        done = subprocess.run(
            [str(SPBE), "remind", "--no-flow"],
            env=env_for(sqlite_url, tmp_path, rx, later),
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr
        assert f"{len(in_flight)} diambil alih" in done.stdout
    final = states(engine)
    assert set(final.values()) == {"sent"}
    assert rx.keys == set(keys)
    assert rx.duplicates <= in_flight  # only messages in flight at the kill may arrive twice
    print(f"\nin flight at the kill: {len(in_flight)}; arrived twice: {len(rx.duplicates)}")


def test_two_dispatcher_processes_at_once(database_url: str, tmp_path: Path):
    engine, keys = prepare(database_url, 300)
    with Receiver(delay=0.003) as rx:
        env = env_for(database_url, tmp_path, rx, MONDAY_9)
        procs = [remind(env), remind(env)]
        outputs = [p.communicate(timeout=120) for p in procs]
        assert [p.returncode for p in procs] == [0, 0], outputs
    assert rx.keys == set(keys) and rx.duplicates == set() and len(rx.requests) == len(keys)
    with Session(engine) as session:
        workers = {r.claimed_by.split(":")[1] for r in session.exec(select(OutboxMessage))}
    assert set(states(engine).values()) == {"sent"}
    print(f"\nprocesses that delivered: {len(workers)}")
