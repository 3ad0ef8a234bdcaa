"""The store side of delivery: claim due rows under a lease, take back rows whose lease ran out, and record
outcomes. Claiming is one UPDATE over a locked selection (PostgreSQL skips rows another dispatcher holds
with `FOR UPDATE SKIP LOCKED`; SQLite has one writer at a time)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, bindparam, select, update
from sqlalchemy.engine import Engine
from sqlmodel import Session

from spbe import clock
from spbe.channels.base import Outcome, Recipient, Redactor
from spbe.domain.reminders import retry_delay
from spbe.services.dead_letters import DISPATCH_ACTOR, notify_dead
from spbe.services.delivery_settings import DispatchSettings
from spbe.store import models as m
from spbe.store.audit import record
from spbe.store.tables_reminders import OPEN_STATES, OutboxMessage

log = logging.getLogger("spbe.dispatch")
OUTBOX = OutboxMessage.__table__  # type: ignore[attr-defined]
SENT_CHUNK = 1000  # ids per "sent" UPDATE


@dataclass
class Claimed:
    row: dict[str, Any]
    recipient: Recipient | None
    cycle_code: str


@dataclass
class Result:
    claimed: Claimed
    channel: str | None
    outcome: Outcome


@dataclass
class Recorded:
    """Report entries of one recorded group: sent, retried (with the next attempt) and dead."""

    sent: list[dict[str, Any]] = field(default_factory=list)
    retried: list[dict[str, Any]] = field(default_factory=list)
    dead: list[dict[str, Any]] = field(default_factory=list)


def claim(
    engine: Engine, cycle_id: int, now: datetime, size: int, worker: str, settings: DispatchSettings
) -> list[Claimed]:
    lease = now + timedelta(seconds=settings.rules.lease_seconds)
    with Session(engine, expire_on_commit=False) as session:
        pick = (
            select(OUTBOX.c.id)
            .where(OUTBOX.c.cycle_id == cycle_id, OUTBOX.c.state.in_(OPEN_STATES), OUTBOX.c.not_before <= now)
            .order_by(OUTBOX.c.not_before, OUTBOX.c.id)
            .limit(size)
        )
        if engine.dialect.name == "postgresql":
            pick = pick.with_for_update(skip_locked=True)
        stmt = (
            update(OUTBOX)
            .where(OUTBOX.c.id.in_(pick.scalar_subquery()))
            .values(
                state="sending", lease_until=lease, claimed_by=worker, attempts=OUTBOX.c.attempts + 1, updated_at=now
            )
            .returning(
                OUTBOX.c.id,
                OUTBOX.c.key,
                OUTBOX.c.kind,
                OUTBOX.c.phase,
                OUTBOX.c.recipient,
                OUTBOX.c.subject,
                OUTBOX.c.body,
                OUTBOX.c.attempts,
                OUTBOX.c.attachments,
            )
        )
        rows = [dict(r._mapping) for r in session.execute(stmt)]
        if not rows:
            session.commit()
            return []
        keys = {r["recipient"] for r in rows}
        P = m.Person
        people = {  # the recipients and the cycle's code in one narrow query: a national dispatch claims per cycle
            key: Recipient(key, name, email, phone, telegram, tuple(channels or ()))
            for key, name, email, phone, telegram, channels in session.execute(
                select(P.key, P.name, P.email, P.phone, P.telegram, P.channels).where(
                    P.cycle_id == cycle_id, P.key.in_(keys)  # type: ignore[attr-defined]
                )
            )
        }
        code = session.execute(select(m.Cycle.code).where(m.Cycle.id == cycle_id)).scalar_one()
        session.commit()
    rows.sort(key=lambda r: r["id"])
    return [Claimed(r, people.get(r["recipient"]), code) for r in rows]


def expired_cycles(engine: Engine, cycle_ids: list[int], now: datetime) -> set[int]:
    """The cycles among `cycle_ids` with a row left "sending" past its lease: one query for a national
    dispatch, so that only those cycles pay `reclaim`'s transaction."""
    with Session(engine) as session:
        return set(
            session.execute(
                select(OUTBOX.c.cycle_id)
                .where(OUTBOX.c.cycle_id.in_(cycle_ids), OUTBOX.c.state == "sending", OUTBOX.c.lease_until < now)
                .distinct()
            ).scalars()
        )


def reclaim(engine: Engine, cycle_id: int, settings: DispatchSettings, redact: Redactor) -> int:
    """Rows left "sending" past their lease (the dispatcher died mid-send) wait again, or die if spent."""
    now = clock.now()
    with Session(engine, expire_on_commit=False) as session:
        expired = and_(OUTBOX.c.cycle_id == cycle_id, OUTBOX.c.state == "sending", OUTBOX.c.lease_until < now)
        pick = select(OUTBOX.c.id).where(expired)
        if engine.dialect.name == "postgresql":
            pick = pick.with_for_update(skip_locked=True)
        spent = OUTBOX.c.attempts >= settings.rules.max_attempts
        error = "lease expired: the dispatcher stopped while sending; the receiver may have it already"
        dead = session.execute(
            update(OUTBOX)
            .where(OUTBOX.c.id.in_(pick.where(spent).scalar_subquery()))
            .values(state="dead", lease_until=None, last_error=error, updated_at=now)
            .returning(
                OUTBOX.c.id,
                OUTBOX.c.key,
                OUTBOX.c.kind,
                OUTBOX.c.recipient,
                OUTBOX.c.subject,
                OUTBOX.c.attempts,
                OUTBOX.c.channel,
            )
        ).all()
        back = session.execute(
            update(OUTBOX)
            .where(OUTBOX.c.id.in_(pick.where(~spent).scalar_subquery()))
            .values(state="retry", lease_until=None, not_before=now, last_error=error, updated_at=now)
            .returning(OUTBOX.c.id)
        ).all()
        if dead or back:
            dead_rows = [dict(r._mapping) | {"error": error} for r in dead]
            notify_dead(session, cycle_id, dead_rows, max_attempts=settings.rules.max_attempts)
            record(
                session,
                cycle_id=cycle_id,
                actor=DISPATCH_ACTOR,
                action="outbox.reclaimed",
                detail={"ids": [r.id for r in back], "dead_ids": [r["id"] for r in dead_rows]},
            )
        session.commit()
    return len(dead) + len(back)


def record_results(
    engine: Engine,
    results: list[Result],
    *,
    cycle_id: int,
    worker: str,
    settings: DispatchSettings,
    redact: Redactor,
    jitter: Callable[[], float],
) -> Recorded:
    """Write a group of delivery outcomes in one transaction; returns what was sent, retried and given up."""
    now = clock.now()
    sent, retry, dead = [], [], []
    report = Recorded()
    for r in results:
        row, outcome = r.claimed.row, r.outcome
        entry = {
            "id": row["id"],
            "key": row["key"],
            "recipient": row["recipient"],
            "kind": row["kind"],
            "subject": row["subject"],
            "channel": r.channel,
            "attempts": row["attempts"],
        }
        if outcome.delivered:
            sent.append({"b_id": row["id"], "b_channel": r.channel, "b_now": now})
            report.sent.append(entry)
            continue
        error = redact.clean(outcome.error) or "failed"  # again: a Result may come from elsewhere than _deliver
        entry["error"] = error
        if outcome.retryable and row["attempts"] < settings.rules.max_attempts:
            delay = retry_delay(row["attempts"], settings.rules, retry_after=outcome.retry_after, jitter=jitter())
            when = settings.window.next_open(now + timedelta(seconds=delay))
            retry.append(
                {
                    "b_id": row["id"],
                    "b_channel": r.channel,
                    "b_error": error,
                    "b_when": when,
                    "b_now": now,
                    "b_worker": worker,
                }
            )
            report.retried.append(entry | {"next_attempt": when.isoformat()})
            log.warning(
                "outbox %s (%s): attempt %s failed, retry at %s: %s",
                row["id"],
                row["recipient"],
                row["attempts"],
                when.isoformat(),
                error,
            )
        else:
            dead.append({"b_id": row["id"], "b_channel": r.channel, "b_error": error, "b_now": now, "b_worker": worker})
            report.dead.append(entry)
            log.error(
                "outbox %s (%s): given up after %s attempt(s): %s", row["id"], row["recipient"], row["attempts"], error
            )
    with Session(engine, expire_on_commit=False) as session:
        by_channel: dict[str | None, list[int]] = {}
        for s in sent:
            by_channel.setdefault(s["b_channel"], []).append(s["b_id"])
        for channel, ids in by_channel.items():  # delivered is delivered, even if our lease ran out meanwhile
            for start in range(0, len(ids), SENT_CHUNK):  # one UPDATE per channel, not one per message
                session.execute(
                    update(OUTBOX)
                    .where(OUTBOX.c.id.in_(ids[start : start + SENT_CHUNK]))
                    .values(state="sent", sent_at=now, channel=channel, lease_until=None, last_error=None)
                    .values(updated_at=now)
                )
        mine = and_(
            OUTBOX.c.id == bindparam("b_id"), OUTBOX.c.state == "sending", OUTBOX.c.claimed_by == bindparam("b_worker")
        )
        if retry:
            session.execute(
                update(OUTBOX)
                .where(mine)
                .values(
                    state="retry",
                    not_before=bindparam("b_when"),
                    channel=bindparam("b_channel"),
                    last_error=bindparam("b_error"),
                    lease_until=None,
                    updated_at=bindparam("b_now"),
                ),
                retry,
            )
        if dead:
            session.execute(
                update(OUTBOX)
                .where(mine)
                .values(
                    state="dead",
                    channel=bindparam("b_channel"),
                    last_error=bindparam("b_error"),
                    lease_until=None,
                    updated_at=bindparam("b_now"),
                ),
                dead,
            )
            notify_dead(session, cycle_id, report.dead, max_attempts=settings.rules.max_attempts)
        record(
            session,
            cycle_id=cycle_id,
            actor=DISPATCH_ACTOR,
            action="outbox.delivered",
            detail={
                "worker": worker,
                "sent": [s["b_id"] for s in sent],
                "retry": [s["b_id"] for s in retry],
                "dead": [s["b_id"] for s in dead],
            },
        )
        session.commit()
    return report
