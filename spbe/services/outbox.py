"""The durable outbox: every message to a person is a row, written in the transaction of the change that
causes it, and delivered later by the dispatcher (`spbe.services.dispatch`).

Queueing is idempotent by key: the same key is queued at most once per cycle, even when two writers race
(the insert ignores a conflict on the unique key instead of failing the caller's transaction).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, tuple_, update
from sqlmodel import Session, col, select

from spbe import clock
from spbe.store.audit import record
from spbe.store.tables_reminders import OPEN_STATES, OUTBOX_STATES, OutboxMessage

_CHUNK = 500


@dataclass(frozen=True)
class Notice:
    """A message to one person, queued with the state change that causes it (phase openings, invitations,
    task lists, reminders); opening a phase twice queues nothing twice, by `key`."""

    recipient: str  # person key from the roster
    subject: str
    body: str
    key: str  # idempotency key: the same key is queued (and delivered) at most once
    phase: str | None = None
    kind: str = "notice"  # notice | reminder | escalation | digest | report
    deadline_version: int | None = None  # None: the phase's current one, looked up when queued
    about: str | None = None  # what else it depends on ("assignment:12:asr-03", "decree:pending")
    attachments: tuple[str, ...] = ()  # files an e-mail carries (the report)


def enqueue(session: Session, *, cycle_id: int, notices: list[Notice]) -> int:
    """Queue notices in the caller's transaction; returns how many were new (a known key is skipped).

    Each row knows what it is about (phase, deadline version, `about`), so that `spbe.services.stale`
    can cancel or rewrite it when that changes before it goes out."""
    now = clock.now()
    unversioned = any(n.phase and n.deadline_version is None for n in notices)
    versions = _deadline_versions(session, cycle_id) if unversioned else {}
    rows = [
        {
            "cycle_id": cycle_id,
            "key": n.key,
            "kind": n.kind,
            "recipient": n.recipient,
            "phase": n.phase,
            "deadline_version": n.deadline_version if n.deadline_version is not None else versions.get(n.phase or ""),
            "about": n.about,
            "attachments": list(n.attachments) or None,
            "subject": n.subject,
            "body": n.body,
            "not_before": now,
        }
        for n in notices
    ]
    ids = insert_messages(session, rows, now=now)
    if ids:
        keys = [r["key"] for r in rows]
        record(
            session,
            cycle_id=cycle_id,
            actor="outbox",
            action="outbox.queued",
            detail={"count": len(ids), "keys": keys[:50]},
        )
    return len(ids)


def _deadline_versions(session: Session, cycle_id: int) -> dict[str, int]:
    from spbe.store import models as m

    return dict(session.exec(select(m.Phase.name, m.Phase.deadline_version).where(m.Phase.cycle_id == cycle_id)).all())


def insert_messages(session: Session, rows: Sequence[dict[str, Any]], *, now: datetime | None = None) -> dict[str, int]:
    """Insert outbox rows whose (cycle, key) is new; returns key → id of the new rows. Duplicates count once."""
    now = now or clock.now()
    unique: dict[tuple[int, str], dict[str, Any]] = {}
    for row in rows:
        unique.setdefault((row["cycle_id"], row["key"]), row)
    if not unique:
        return {}
    existing: set[tuple[int, str]] = set()
    for chunk in _chunks(list(unique)):  # one query per chunk, whatever the number of cycles
        found = session.exec(
            select(OutboxMessage.cycle_id, OutboxMessage.key).where(
                tuple_(col(OutboxMessage.cycle_id), col(OutboxMessage.key)).in_(chunk)
            )
        )
        existing.update((cycle_id, k) for cycle_id, k in found)
    fresh = [
        {"state": "queued", "attempts": 0, "created_at": now, "updated_at": now, **row}
        for ident, row in unique.items()
        if ident not in existing
    ]
    if not fresh:
        return {}
    ids: dict[str, int] = {}
    for chunk in _chunks(fresh):
        table = OutboxMessage.__table__  # type: ignore[attr-defined]
        result = insert_ignoring_conflicts(
            session, table, chunk, unique=["cycle_id", "key"], returning=(table.c.id, table.c.key)
        )
        for ident, key in result:
            ids[key] = ident
    return ids


def insert_ignoring_conflicts(session: Session, table, rows: list[dict[str, Any]], *, unique: list[str], returning=()):
    """INSERT ... ON CONFLICT (unique) DO NOTHING [RETURNING ...], on PostgreSQL and SQLite alike: two writers
    racing on one key both succeed, and the row exists once."""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    # executemany of one compiled statement (SQLAlchemy batches it into multi-row INSERTs itself), not a
    # `.values(rows)` statement compiled afresh with every value as its own bind: that compile, and psycopg
    # splitting the resulting query text, were most of a national sweep's insert time
    stmt = insert(table).on_conflict_do_nothing(index_elements=unique)
    if returning:
        stmt = stmt.returning(*returning)  # type: ignore[assignment]
    return session.connection().execute(stmt, list(rows))


def cancel(session: Session, ids: Iterable[int], *, reason: str, now: datetime | None = None) -> int:
    """Cancel messages that still wait (queued or retry); a message already sending or sent is left alone."""
    now = now or clock.now()
    total = 0
    for chunk in _chunks(list(ids)):
        result = session.exec(
            update(OutboxMessage)
            .where(col(OutboxMessage.id).in_(chunk), col(OutboxMessage.state).in_(OPEN_STATES))
            .values(state="cancelled", cancel_reason=reason, updated_at=now)
        )
        total += result.rowcount or 0  # type: ignore[union-attr]
    return total


def counts_by_state(session: Session, *, cycle_id: int) -> dict[str, int]:
    return counts_by_states(session, [cycle_id])[cycle_id]


def counts_by_states(session: Session, cycle_ids: Sequence[int]) -> dict[int, dict[str, int]]:
    """Each cycle's outbox rows by state (every state present, zeros too), in one query for all of them."""
    found: dict[int, dict[str, int]] = {cid: {} for cid in cycle_ids}
    for cycle_id, state, count in session.exec(
        select(OutboxMessage.cycle_id, OutboxMessage.state, func.count())
        .where(col(OutboxMessage.cycle_id).in_(list(cycle_ids)))
        .group_by(OutboxMessage.cycle_id, OutboxMessage.state)
    ):
        found[cycle_id][state] = int(count)
    return {cid: {state: got.get(state, 0) for state in OUTBOX_STATES} for cid, got in found.items()}


def _chunks(items: list, size: int = _CHUNK):
    for start in range(0, len(items), size):
        yield items[start : start + size]
