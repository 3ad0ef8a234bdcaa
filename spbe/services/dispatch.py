"""The dispatcher: claims waiting outbox rows, delivers them through the recipient's channels, records the
outcome. Safe to run as many times, and in as many processes, as you like.

- Claiming is one UPDATE over a locked selection: PostgreSQL skips rows another dispatcher holds
  (`FOR UPDATE SKIP LOCKED`); SQLite has one writer at a time. A claim is a lease: a row left "sending"
  by a crash is taken back once its lease runs out (and counts as an attempt).
- Delivery is async over one pooled httpx client, with a global bound on concurrency and each channel's
  own concurrency and rate. Results are written as they come, in small groups, so that a crash repeats
  at most the messages that were in flight; the receiver can tell those by the idempotency key.
- Channels are tried in the recipient's order within one attempt: a failure that proves the message was
  not taken (an HTTP error answer, a refused connection, a message the channel could not even build)
  moves on to the next channel; an uncertain one (no answer after sending) stops there, so no second copy
  goes out another way.
- Error texts are cleaned once, here, before anything stores, logs or mails them (`Redactor.clean`).
- Failures worth retrying (timeouts, 429 with its Retry-After, 5xx) wait with exponential backoff and
  jitter; after `max_attempts`, or when every channel refused for good, the message is dead and the
  coordinators are told by a dead-letter notice (queued in the same transaction).
- Nothing leaves outside the sending window (working days, sending hours).
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import os
import random
import socket
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.engine import Engine

from spbe import clock
from spbe.channels.base import BuildError, Outcome, Outgoing, Redactor
from spbe.channels.ratelimit import RateLimiter
from spbe.services.delivery_settings import DispatchSettings, route, safe_batch
from spbe.services.outbox_leases import Claimed, Result, claim, expired_cycles, reclaim, record_results

__all__ = ["DispatchReport", "dispatch", "dispatch_many", "dispatch_now", "worker_id"]


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


async def dispatch(
    *,
    cycle_id: int,
    settings: DispatchSettings,
    engine: Engine | None = None,
    worker: str | None = None,
    max_messages: int | None = None,
    client: Any = None,
    jitter: Callable[[], float] = random.random,
    reclaim_first: bool = True,
) -> DispatchReport:
    """Deliver what is due now, batch after batch, until nothing is left (or `max_messages` were claimed).
    `reclaim_first=False` skips taking back expired leases: for a caller that knows there are none."""
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
        if reclaim_first:
            report.reclaimed += await asyncio.to_thread(reclaim, engine, cycle_id, settings, redact)
        while max_messages is None or report.claimed < max_messages:
            now = clock.now()
            if not settings.window.contains(now):
                report.outside_window = settings.window.next_open(now)
                break
            size = safe_batch(settings)
            if max_messages is not None:
                size = min(size, max_messages - report.claimed)
            batch = await asyncio.to_thread(claim, engine, cycle_id, now, size, worker, settings)
            if not batch:
                break
            report.claimed += len(batch)
            retried_before = len(report.retried)

            async def deliver(c: Claimed) -> Result:
                async with gate:
                    return await _deliver(c, settings, per_channel, client, redact)

            pending: list[Result] = []
            flushed = time.perf_counter()
            for next_done in asyncio.as_completed([deliver(c) for c in batch]):
                pending.append(await next_done)
                if len(pending) >= settings.flush_every or time.perf_counter() - flushed >= settings.flush_seconds:
                    done, pending, flushed = pending, [], time.perf_counter()
                    await asyncio.to_thread(_record, engine, done, report, settings, redact, jitter)
            if pending:
                await asyncio.to_thread(_record, engine, pending, report, settings, redact, jitter)
            if len(batch) < size and len(report.retried) == retried_before:
                break  # a short batch with nothing put back: nothing else is due now (saves an empty claim)
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


CYCLES_AT_ONCE = 16  # a national dispatch: cycles whose claims, deliveries and results overlap


async def dispatch_many(
    cycles: list[tuple[int, DispatchSettings]],
    *,
    engine: Engine | None = None,
    at_once: int = CYCLES_AT_ONCE,
    jitter: Callable[[], float] = random.random,
) -> list[DispatchReport]:
    """`dispatch` for many cycles (a national deployment: one cycle per agency) in one event loop over one
    pooled client. One cycle at a time, a small agency's few messages each paid a new client, new
    connections and a claim round trip with nothing in flight meanwhile (bench/national.py: 114 msg/s);
    here up to `at_once` cycles run together, so one cycle's claim or result write overlaps another's
    deliveries. Each cycle keeps its own settings (channels, rates, window) and its own report."""
    import httpx

    from spbe.store.db import get_engine

    engine = engine or get_engine()
    worker = worker_id()
    widest = max((s.concurrency for _, s in cycles), default=1)
    timeout = max((s.timeout for _, s in cycles), default=10.0)
    limits = httpx.Limits(max_connections=widest, max_keepalive_connections=widest)
    gate = asyncio.Semaphore(max(1, at_once))
    async with httpx.AsyncClient(limits=limits, timeout=httpx.Timeout(timeout), verify=_tls_context()) as client:

        async def one(cycle_id: int, settings: DispatchSettings, expired: bool) -> DispatchReport:
            async with gate:
                return await dispatch(
                    cycle_id=cycle_id,
                    settings=settings,
                    engine=engine,
                    worker=worker,
                    client=client,
                    jitter=jitter,
                    reclaim_first=expired,
                )

        expired = await asyncio.to_thread(expired_cycles, engine, [cid for cid, _ in cycles], clock.now())
        return list(await asyncio.gather(*(one(cid, s, cid in expired) for cid, s in cycles)))


def _record(
    engine: Engine,
    results: list[Result],
    report: DispatchReport,
    settings: DispatchSettings,
    redact: Redactor,
    jitter: Callable[[], float],
) -> None:
    done = record_results(
        engine, results, cycle_id=report.cycle_id, worker=report.worker, settings=settings, redact=redact, jitter=jitter
    )
    report.sent += done.sent
    report.retried += done.retried
    report.dead += done.dead


async def _deliver(
    c: Claimed,
    settings: DispatchSettings,
    per_channel: dict[str, tuple[asyncio.Semaphore, RateLimiter]],
    client: Any,
    redact: Redactor,
) -> Result:
    if c.recipient is None:
        return Result(c, None, Outcome.refused(f"recipient {c.row['recipient']!r} is not in the roster"))
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
        attachments=tuple(c.row.get("attachments") or ()),
    )
    last: Result | None = None
    for channel in route(c.recipient, settings):
        if not channel.can_reach(c.recipient):
            continue
        semaphore, limiter = per_channel[channel.name]
        async with semaphore:
            await limiter.wait()
            try:
                outcome = await asyncio.wait_for(channel.send(message, client), timeout=settings.timeout * 3)
            except BuildError as exc:  # the message could not be put together: certainly not sent
                outcome = Outcome.refused(f"{channel.name}: {exc}")
            except TimeoutError:
                outcome = Outcome.retry(
                    f"{channel.name}: no answer within {settings.timeout * 3:.0f} s", uncertain=True
                )
            except Exception as exc:  # a channel bug must not take the batch down with it; it may have sent
                outcome = Outcome.retry(f"{channel.name}: {exc.__class__.__name__}: {exc}", uncertain=True)
        if outcome.error:  # one printable line, no URL query, no secret in any encoding
            outcome = dataclasses.replace(outcome, error=redact.clean(outcome.error))
        result = Result(c, channel.name, outcome)
        if outcome.delivered or outcome.uncertain:
            return result  # may have arrived: a second copy through another channel would be a repeat
        if last is None or not last.outcome.retryable or outcome.retryable:
            last = result  # keep the most hopeful failure: a retryable one beats a refusal
    return last or Result(
        c, None, Outcome.refused("no configured channel can reach this recipient (missing email/phone/telegram?)")
    )
