"""The dispatcher: claims waiting outbox rows, delivers them through the recipient's channels, records the
outcome. Safe to run as many times, and in as many processes, as you like.

- Claiming is one UPDATE over a locked selection: PostgreSQL skips rows another dispatcher holds
  (`FOR UPDATE SKIP LOCKED`); SQLite has one writer at a time. A claim is a lease: a row left "sending"
  by a crash is taken back once its lease runs out (and counts as an attempt).
- Delivery is async over one pooled httpx client, with a global bound on concurrency and each channel's
  own concurrency and rate. Results are written as they come, in small groups, so that a crash repeats
  at most the messages that were in flight; the receiver can tell those by the idempotency key.
- Channels are tried in the recipient's order within one attempt: a failure that proves the message was
  not taken (an HTTP error answer, a refused connection) moves on to the next channel; an uncertain one
  (no answer after sending) stops there, so no second copy goes out another way.
- Failures worth retrying (timeouts, 429 with its Retry-After, 5xx) wait with exponential backoff and
  jitter; after `max_attempts`, or when every channel refused for good, the message is dead and the
  coordinators are told by a dead-letter notice (queued in the same transaction).
- Nothing leaves outside the sending window (working days, sending hours).
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import logging
import os
import random
import socket
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import and_, bindparam, select, update
from sqlalchemy.engine import Engine
from sqlmodel import Session

from spbe import clock
from spbe.channels.base import Channel, Outcome, Outgoing, Recipient, Redactor, guard_library_logs
from spbe.channels.ratelimit import RateLimiter
from spbe.channels.registry import build_channels
from spbe.domain.reminders import ReminderRules, SendingWindow, retry_delay
from spbe.errors import ConfigError
from spbe.store import models as m
from spbe.store.audit import record
from spbe.store.tables_reminders import OPEN_STATES, OutboxMessage

log = logging.getLogger("spbe.dispatch")
DISPATCH_ACTOR = "system:dispatcher"
OUTBOX = OutboxMessage.__table__  # type: ignore[attr-defined]


@dataclass
class DispatchSettings:
    rules: ReminderRules
    window: SendingWindow
    channels: dict[str, Channel]
    order: tuple[str, ...]
    forced: str | None = None
    concurrency: int = 16
    timeout: float = 10.0
    batch_size: int = 200
    flush_every: int = 50  # results written per transaction while a batch is in flight ...
    flush_seconds: float = 0.25  # ... or sooner: what a crash may repeat is what was not yet written

    @property
    def redactor(self) -> Redactor:
        return Redactor(s for ch in self.channels.values() for s in ch.secrets)


def settings_for(
    cycle: m.Cycle, *, env: Mapping[str, str] | None = None, data_dir: Path | None = None
) -> DispatchSettings:
    """Channels and limits from the cycle's config, with `SPBE_WEBHOOK_URL` and `SPBE_FORCE_CHANNEL` applied."""
    from spbe.services.cycles import cycle_config_for, rules_for
    from spbe.settings import get_settings

    env = os.environ if env is None else env
    rules, window = rules_for(cycle)
    section = cycle_config_for(cycle.config_path).section("channels")
    return settings_from_section(
        section,
        rules=rules,
        window=window,
        env=env,
        data_dir=data_dir or get_settings().data_dir,
        source=Path(cycle.config_path).name,
    )


def settings_from_section(
    section: Mapping[str, Any],
    *,
    rules: ReminderRules,
    window: SendingWindow,
    env: Mapping[str, str],
    data_dir: Path,
    source: str = "config",
) -> DispatchSettings:
    try:
        channels = build_channels(section, data_dir=data_dir, env=env)
    except ConfigError as exc:
        raise ConfigError(exc.problems, source=source) from None
    order = tuple(section.get("order", ["webhook", "file"]))
    problems = [f"[channels] order names {name!r}, which is not configured" for name in order if name not in channels]
    forced = env.get("SPBE_FORCE_CHANNEL") or None
    if forced and forced not in channels:
        problems.append(f"SPBE_FORCE_CHANNEL={forced}: no such channel configured; configured: {', '.join(channels)}")
    concurrency = section.get("concurrency", 16)
    timeout = section.get("timeout_seconds", 10)
    if isinstance(concurrency, bool) or not isinstance(concurrency, int) or concurrency < 1:
        problems.append(f"[channels] concurrency must be a whole number >= 1, got {concurrency!r}")
        concurrency = 16
    if isinstance(timeout, bool) or not isinstance(timeout, int | float) or timeout <= 0:
        problems.append(f"[channels] timeout_seconds must be a positive number, got {timeout!r}")
        timeout = 10
    if problems:
        raise ConfigError(problems, source=source)
    settings = DispatchSettings(rules, window, channels, order, forced, int(concurrency), float(timeout))
    guard_library_logs(settings.redactor)
    return settings


@dataclass
class DispatchReport:
    cycle_id: int
    worker: str
    started: datetime
    finished: datetime | None = None
    outside_window: datetime | None = None  # when nothing could leave: the next window opens then
    claimed: int = 0
    reclaimed: int = 0
    sent: list[dict[str, Any]] = field(default_factory=list)
    retried: list[dict[str, Any]] = field(default_factory=list)
    dead: list[dict[str, Any]] = field(default_factory=list)
    seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "worker": self.worker,
            "started": self.started.isoformat(),
            "finished": self.finished.isoformat() if self.finished else None,
            "outside_window": self.outside_window.isoformat() if self.outside_window else None,
            "claimed": self.claimed,
            "reclaimed": self.reclaimed,
            "sent": self.sent,
            "retried": self.retried,
            "dead": self.dead,
            "seconds": round(self.seconds, 3),
        }


def worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


@dataclass
class _Claimed:
    row: dict[str, Any]
    recipient: Recipient | None
    cycle_code: str


@dataclass
class _Result:
    claimed: _Claimed
    channel: str | None
    outcome: Outcome


async def dispatch(
    *,
    cycle_id: int,
    settings: DispatchSettings,
    engine: Engine | None = None,
    worker: str | None = None,
    max_messages: int | None = None,
    client: Any = None,
    jitter: Callable[[], float] = random.random,
) -> DispatchReport:
    """Deliver what is due now, batch after batch, until nothing is left (or `max_messages` were claimed)."""
    import httpx

    from spbe.store.db import get_engine

    engine = engine or get_engine()
    worker = worker or worker_id()
    report = DispatchReport(cycle_id, worker, clock.now())
    started = time.perf_counter()
    own_client = client is None
    if own_client:
        limits = httpx.Limits(max_connections=settings.concurrency, max_keepalive_connections=settings.concurrency)
        client = httpx.AsyncClient(limits=limits, timeout=httpx.Timeout(settings.timeout), verify=_tls_context())
    gate = asyncio.Semaphore(settings.concurrency)
    per_channel = {
        name: (asyncio.Semaphore(ch.concurrency or settings.concurrency), RateLimiter(ch.rate_per_second))
        for name, ch in settings.channels.items()
    }
    redact = settings.redactor
    try:
        report.reclaimed += await asyncio.to_thread(_reclaim, engine, cycle_id, settings, redact)
        while max_messages is None or report.claimed < max_messages:
            now = clock.now()
            if not settings.window.contains(now):
                report.outside_window = settings.window.next_open(now)
                break
            size = safe_batch(settings)
            if max_messages is not None:
                size = min(size, max_messages - report.claimed)
            batch = await asyncio.to_thread(_claim, engine, cycle_id, now, size, worker, settings)
            if not batch:
                break
            report.claimed += len(batch)

            async def deliver(c: _Claimed) -> _Result:
                async with gate:
                    return await _deliver(c, settings, per_channel, client, redact)

            pending: list[_Result] = []
            flushed = time.perf_counter()
            for next_done in asyncio.as_completed([deliver(c) for c in batch]):
                pending.append(await next_done)
                if len(pending) >= settings.flush_every or time.perf_counter() - flushed >= settings.flush_seconds:
                    done, pending, flushed = pending, [], time.perf_counter()
                    await asyncio.to_thread(_record, engine, done, worker, settings, report, redact, jitter)
            if pending:
                await asyncio.to_thread(_record, engine, pending, worker, settings, report, redact, jitter)
    finally:
        if own_client:
            await client.aclose()
    report.finished = clock.now()
    report.seconds = time.perf_counter() - started
    return report


@functools.cache
def _tls_context():
    """Loading the CA bundle costs ~30 ms; a dispatcher that runs every few minutes loads it once."""
    import ssl

    import certifi

    return ssl.create_default_context(cafile=certifi.where())


def dispatch_now(**kwargs: Any) -> DispatchReport:
    """`dispatch` for synchronous callers (CLI, the timekeeper's threads)."""
    return asyncio.run(dispatch(**kwargs))


def safe_batch(settings: DispatchSettings) -> int:
    """No more rows per claim than the slowest channel can send in half a lease: a claim must not run out
    while its rows still wait behind a rate limit, or another dispatcher would take them back and send
    them a second time."""
    rates = [ch.rate_per_second for ch in settings.channels.values() if ch.rate_per_second]
    if not rates:
        return settings.batch_size
    return max(1, min(settings.batch_size, int(settings.rules.lease_seconds * 0.5 * min(rates))))


def route(recipient: Recipient, settings: DispatchSettings) -> list[Channel]:
    """The channels to try, in order: the forced one, else the person's own order, else the config's."""
    if settings.forced:
        names: tuple[str, ...] = (settings.forced,)
    else:
        names = tuple(n for n in recipient.channels if n in settings.channels) or settings.order
    return [settings.channels[n] for n in names if n in settings.channels]


async def _deliver(
    c: _Claimed,
    settings: DispatchSettings,
    per_channel: dict[str, tuple[asyncio.Semaphore, RateLimiter]],
    client: Any,
    redact: Redactor,
) -> _Result:
    if c.recipient is None:
        return _Result(c, None, Outcome.refused(f"recipient {c.row['recipient']!r} is not in the roster"))
    message = Outgoing(
        id=c.row["id"],
        key=c.row["key"],
        kind=c.row["kind"],
        phase=c.row["phase"],
        subject=c.row["subject"],
        body=c.row["body"],
        recipient=c.recipient,
        attempt=c.row["attempts"],
        cycle=c.cycle_code,
    )
    last: _Result | None = None
    for channel in route(c.recipient, settings):
        if not channel.can_reach(c.recipient):
            continue
        semaphore, limiter = per_channel[channel.name]
        async with semaphore:
            await limiter.wait()
            try:
                outcome = await asyncio.wait_for(channel.send(message, client), timeout=settings.timeout * 3)
            except TimeoutError:
                outcome = Outcome.retry(
                    f"{channel.name}: no answer within {settings.timeout * 3:.0f} s", uncertain=True
                )
            except Exception as exc:  # a channel bug must not take the batch down with it
                outcome = Outcome.retry(f"{channel.name}: {exc.__class__.__name__}: {exc}", uncertain=True)
        if outcome.error:
            outcome = dataclasses.replace(outcome, error=redact(outcome.error))
        result = _Result(c, channel.name, outcome)
        if outcome.delivered or outcome.uncertain:
            return result  # may have arrived: a second copy through another channel would be a repeat
        if last is None or not last.outcome.retryable or outcome.retryable:
            last = result  # keep the most hopeful failure: a retryable one beats a refusal
    return last or _Result(
        c, None, Outcome.refused("no configured channel can reach this recipient (missing email/phone/telegram?)")
    )


# --- the store side: claim, reclaim, record ----------------------------------------------------------


def _claim(
    engine: Engine, cycle_id: int, now: datetime, size: int, worker: str, settings: DispatchSettings
) -> list[_Claimed]:
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
            )
        )
        rows = [dict(r._mapping) for r in session.execute(stmt)]
        if not rows:
            session.commit()
            return []
        keys = {r["recipient"] for r in rows}
        people = {
            p.key: Recipient(p.key, p.name, p.email, p.phone, p.telegram, tuple(p.channels or ()))
            for p in session.execute(
                select(m.Person).where(m.Person.cycle_id == cycle_id, m.Person.key.in_(keys))  # type: ignore[attr-defined]
            ).scalars()
        }
        code = session.get(m.Cycle, cycle_id).code  # type: ignore[union-attr]
        session.commit()
    rows.sort(key=lambda r: r["id"])
    return [_Claimed(r, people.get(r["recipient"]), code) for r in rows]


def _reclaim(engine: Engine, cycle_id: int, settings: DispatchSettings, redact: Redactor) -> int:
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
            _notify_dead(session, cycle_id, dead_rows, settings)
            record(
                session,
                cycle_id=cycle_id,
                actor=DISPATCH_ACTOR,
                action="outbox.reclaimed",
                detail={"ids": [r.id for r in back], "dead_ids": [r["id"] for r in dead_rows]},
            )
        session.commit()
    return len(dead) + len(back)


def _record(
    engine: Engine,
    results: list[_Result],
    worker: str,
    settings: DispatchSettings,
    report: DispatchReport,
    redact: Redactor,
    jitter: Callable[[], float],
) -> None:
    now = clock.now()
    sent, retry, dead = [], [], []
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
        error = redact(outcome.error) or "failed"
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
    cycle_id = report.cycle_id
    with Session(engine, expire_on_commit=False) as session:
        if sent:  # delivered is delivered, even if our lease ran out meanwhile
            session.execute(
                update(OUTBOX)
                .where(OUTBOX.c.id == bindparam("b_id"))
                .values(
                    state="sent",
                    sent_at=bindparam("b_now"),
                    channel=bindparam("b_channel"),
                    lease_until=None,
                    last_error=None,
                    updated_at=bindparam("b_now"),
                ),
                sent,
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
            _notify_dead(session, cycle_id, report.dead[-len(dead) :], settings)
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


def _notify_dead(session: Session, cycle_id: int, dead: list[dict[str, Any]], settings: DispatchSettings) -> None:
    """Tell the coordinators what could not be delivered, in one notice per batch (never about a notice of
    this kind itself, which would loop when the coordinators' own channel is the one that is down)."""
    from spbe.messages import render
    from spbe.services.outbox import Notice, enqueue

    dead = [d for d in dead if d.get("kind") != "dead_letter"]
    if not dead:
        return
    cycle = session.get(m.Cycle, cycle_id)
    people = {p.key: p for p in session.execute(select(m.Person).where(m.Person.cycle_id == cycle_id)).scalars()}
    coordinators = [p for p in people.values() if p.role == "coordinator"]
    ids = sorted(d["id"] for d in dead)
    messages = [
        {**d, "recipient_name": people[d["recipient"]].name if d["recipient"] in people else d["recipient"]}
        for d in sorted(dead, key=lambda d: d["id"])
    ]
    notices = []
    for person in coordinators:
        subject, body = render(
            "dead_letter.txt.j2",
            cycle=cycle,
            person=person,
            messages=messages,
            max_attempts=settings.rules.max_attempts,
        )
        key = f"{cycle.code}/dead-letter/{ids[0]}-{ids[-1]}-{len(ids)}/{person.key}"  # type: ignore[union-attr]
        notices.append(Notice(person.key, subject, body, key=key, kind="dead_letter"))
    enqueue(session, cycle_id=cycle_id, notices=notices)
    for d in dead:
        record(
            session,
            cycle_id=cycle_id,
            actor=DISPATCH_ACTOR,
            action="outbox.dead",
            subject=d["key"],
            reason=d.get("error"),
            detail={"id": d["id"], "recipient": d["recipient"]},
        )
