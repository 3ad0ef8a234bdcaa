"""The durable outbox: enqueue is idempotent by key, in the caller's transaction, on SQLite and PostgreSQL."""

from __future__ import annotations

import threading

from sqlmodel import Session, func, select

from spbe.services.cycles import load_config_files, load_cycle
from spbe.services.outbox import Notice, counts_by_state, enqueue
from spbe.store import models as m
from spbe.store.db import get_engine, session_scope, upgrade
from spbe.store.tables_reminders import OutboxMessage
from tests.conftest import CYCLE_FILE
from tests.utils.threads import in_threads


def _store(url: str) -> int:
    engine = get_engine(url)
    upgrade(engine)
    config, roster = load_config_files(CYCLE_FILE)
    with session_scope(engine) as session:
        return load_cycle(session, config=config, roster=roster, actor="tester").cycle.id


def _notice(key: str, recipient: str = "adm-bpkad") -> Notice:
    return Notice(recipient=recipient, subject="Subjek uji", body="Isi uji\n", key=key, phase="self-assessment")


def test_enqueue_is_idempotent_and_audited(database_url: str):
    cycle_id = _store(database_url)
    engine = get_engine(database_url)
    with session_scope(engine) as session:
        assert enqueue(session, cycle_id=cycle_id, notices=[_notice("a"), _notice("b"), _notice("a")]) == 2
    with session_scope(engine) as session:
        assert enqueue(session, cycle_id=cycle_id, notices=[_notice("a"), _notice("c")]) == 1
        assert enqueue(session, cycle_id=cycle_id, notices=[]) == 0
    with Session(engine) as session:
        rows = session.exec(select(OutboxMessage).order_by(OutboxMessage.id)).all()
        assert [r.key for r in rows] == ["a", "b", "c"]
        assert all(r.state == "queued" and r.attempts == 0 and r.phase == "self-assessment" for r in rows)
        assert counts_by_state(session, cycle_id=cycle_id)["queued"] == 3
        events = session.exec(select(m.AuditEvent).where(m.AuditEvent.action == "outbox.queued")).all()
        assert [e.detail["count"] for e in events] == [2, 1]


def test_enqueue_rolls_back_with_the_caller(database_url: str):
    cycle_id = _store(database_url)
    engine = get_engine(database_url)
    try:
        with session_scope(engine) as session:
            enqueue(session, cycle_id=cycle_id, notices=[_notice("x")])
            raise RuntimeError("the phase change failed")
    except RuntimeError:
        pass
    with Session(engine) as session:
        assert session.exec(select(func.count()).select_from(OutboxMessage)).one() == 0


def test_two_writers_racing_on_one_key_queue_it_once(database_url: str):
    cycle_id = _store(database_url)
    engine = get_engine(database_url)
    barrier = threading.Barrier(2, timeout=10)
    results: list[int] = []

    def writer() -> None:
        with session_scope(engine) as session:
            session.exec(select(func.count()).select_from(OutboxMessage)).one()  # open the transaction
            barrier.wait()
            results.append(enqueue(session, cycle_id=cycle_id, notices=[_notice("same")]))

    errors = in_threads(writer, timeout=30)
    assert not errors, errors
    with Session(engine) as session:
        assert session.exec(select(func.count()).select_from(OutboxMessage)).one() == 1
    assert sorted(results) == [0, 1]  # the loser's insert was ignored, never an error
