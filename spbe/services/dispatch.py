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
import contextlib
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
from spbe.services.outbox_leases import (
    Claimed,
    CycleOutcomes,
    Recorded,
    Result,
    claim,
    claim_many,
    expired_cycles,
    reclaim,
    record_groups,
    record_results,
)

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
    lane = _Lane.of(settings)
    redact = lane.redact
    try:
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

            pending: list[Result] = []
            flushed = time.perf_counter()
            for next_done in asyncio.as_completed([lane.deliver(c, client) for c in batch]):
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


async def dispatch_many(
    cycles: list[tuple[int, DispatchSettings]],
    *,
    engine: Engine | None = None,
    concurrency: int | None = None,
    jitter: Callable[[], float] = random.random,
) -> list[DispatchReport]:
    """`dispatch` for many cycles (a national deployment: one cycle per agency) in one event loop over one
    pooled client, claiming and recording across cycles. Run cycle by cycle, a small agency's ~6 messages
    each paid a claim transaction and a result transaction of their own, and those (not the deliveries)
    bound the run; here one claim takes a batch from every cycle whose window is open, the next claim
    overlaps the deliveries of the last, and results are written in groups across cycles. Each message
    still goes out with its own cycle's settings (channels, route, limits, retries, dead letters); at most
    `concurrency` (default: the widest cycle's) are in flight at once. One report per cycle, in order."""
    import httpx

    from spbe.store.db import get_engine

    engine = engine or get_engine()
    worker = worker_id()
    widest = concurrency or max((s.concurrency for _, s in cycles), default=1)
    timeout = max((s.timeout for _, s in cycles), default=10.0)
    limits = httpx.Limits(max_connections=widest, max_keepalive_connections=widest)
    started = time.perf_counter()
    async with httpx.AsyncClient(limits=limits, timeout=httpx.Timeout(timeout), verify=_tls_context()) as client:
        run = _NationalRun(cycles, engine=engine, worker=worker, client=client, jitter=jitter, concurrency=widest)
        await run.reclaim()
        await run.deliver_all()
    finished, seconds = clock.now(), time.perf_counter() - started
    for report in run.reports.values():
        report.finished, report.seconds = finished, seconds
    return [run.reports[cycle_id] for cycle_id, _ in cycles]


@dataclass
class _Lane:
    """One cycle's delivery limits: its own concurrency, and each of its channels' concurrency and rate."""

    settings: DispatchSettings
    redact: Redactor
    gate: asyncio.Semaphore
    per_channel: dict[str, tuple[asyncio.Semaphore, RateLimiter]]

    @classmethod
    def of(cls, settings: DispatchSettings) -> _Lane:
        per_channel = {
            name: (asyncio.Semaphore(ch.concurrency or settings.concurrency), RateLimiter(ch.rate_per_second))
            for name, ch in settings.channels.items()
        }
        return cls(settings, settings.redactor, asyncio.Semaphore(settings.concurrency), per_channel)

    async def deliver(self, c: Claimed, client: Any) -> Result:
        async with self.gate:
            return await _deliver(c, self.settings, self.per_channel, client, self.redact)


class _NationalRun:
    """The state of one `dispatch_many`: the cycles' lanes and reports, what is in flight, what awaits
    writing. A claimer keeps deliveries fed (it claims again once fewer than half a batch wait), deliveries
    put their results on a queue, and one writer records them in groups across cycles."""

    def __init__(
        self,
        cycles: list[tuple[int, DispatchSettings]],
        *,
        engine: Engine,
        worker: str,
        client: Any,
        jitter: Callable[[], float],
        concurrency: int,
    ) -> None:
        self.engine, self.worker, self.client, self.jitter = engine, worker, client, jitter
        self.settings = dict(cycles)
        now = clock.now()
        self.reports = {cycle_id: DispatchReport(cycle_id, worker, now) for cycle_id in self.settings}
        self.open = list(self.settings)  # cycles that may still have something due in their window
        self.lanes: dict[int, _Lane] = {}
        self.gate = asyncio.Semaphore(max(1, concurrency))
        every = list(self.settings.values())
        self.lease_seconds = max((s.rules.lease_seconds for s in every), default=300.0)
        self.flush_every = min((s.flush_every for s in every), default=50)
        self.flush_seconds = min((s.flush_seconds for s in every), default=0.25)
        self.results: asyncio.Queue[Result | None] = asyncio.Queue()
        self.waiting = 0  # claimed, not yet delivered
        self.drained = asyncio.Event()  # set whenever fewer than half a batch wait
        self.full = asyncio.Event()  # set when a group's worth of results waits to be written
        self.batch = 1  # the size of the last claim
        self.hurry = False  # everything is delivered: write what is left without waiting for a group
        self.retried = 0  # retries recorded so far: one since the last claim may be due again at once

    async def reclaim(self) -> None:
        """Expired leases, as `dispatch` takes them back: one query says which cycles have any, and only
        those pay `reclaim`'s transaction."""
        expired = await asyncio.to_thread(expired_cycles, self.engine, list(self.settings), clock.now())
        for cycle_id in sorted(expired):
            settings = self.settings[cycle_id]
            self.reports[cycle_id].reclaimed += await asyncio.to_thread(
                reclaim, self.engine, cycle_id, settings, self.lane(cycle_id).redact
            )

    def lane(self, cycle_id: int) -> _Lane:
        if cycle_id not in self.lanes:
            self.lanes[cycle_id] = _Lane.of(self.settings[cycle_id])
        return self.lanes[cycle_id]

    async def deliver_all(self) -> None:
        """Claim, deliver and record until nothing is due; a round whose results put something back for
        a retry that is due at once (a Retry-After of 0) claims again, as `dispatch` does."""
        writer = asyncio.create_task(self._write())
        deliveries: set[asyncio.Task] = set()
        try:
            while True:
                retried_before, self.hurry = self.retried, False
                await self._claim_until_short(deliveries)
                if deliveries:
                    await asyncio.gather(*deliveries)
                await self._flushed(writer)
                if self.retried == retried_before:
                    break  # nothing was put back since the last claim: nothing else is due now
        finally:
            self.results.put_nowait(None)
            self.full.set()
            await writer

    async def _claim_until_short(self, deliveries: set[asyncio.Task]) -> None:
        """Claim batch after batch until a short one; each next claim once fewer than half a batch waits,
        so that it overlaps the deliveries (what waits stays under 1.5 batches: within the lease, as
        `safe_batch` has it)."""
        while True:
            batch = await self._claim()
            for c in batch:
                task = asyncio.create_task(self._deliver(c))
                deliveries.add(task)
                task.add_done_callback(deliveries.discard)
            if len(batch) < self.batch:
                return
            self.drained.clear()
            if self.waiting >= self.low_water:
                await self.drained.wait()

    @property
    def low_water(self) -> int:
        return max(1, self.batch // 2)

    async def _claim(self) -> list[Claimed]:
        now = clock.now()
        self._close_windows(now)
        if not self.open:
            self.batch = 1
            return []
        self.batch = min(safe_batch(self.settings[cycle_id]) for cycle_id in self.open)
        batch = await asyncio.to_thread(
            claim_many, self.engine, self.open, now, self.batch, self.worker, lease_seconds=self.lease_seconds
        )
        for c in batch:
            self.reports[c.row["cycle_id"]].claimed += 1
        self.waiting += len(batch)
        return batch

    def _close_windows(self, now: datetime) -> None:
        """Leave out the cycles whose sending window is closed now; their reports say when it opens."""
        still = []
        for cycle_id in self.open:
            window = self.settings[cycle_id].window
            if window.contains(now):
                still.append(cycle_id)
            elif self.reports[cycle_id].outside_window is None:
                self.reports[cycle_id].outside_window = window.next_open(now)
        self.open = still

    async def _deliver(self, c: Claimed) -> None:
        try:
            async with self.gate:
                result = await self.lane(c.row["cycle_id"]).deliver(c, self.client)
        finally:
            self.waiting -= 1
            if self.waiting < self.low_water:
                self.drained.set()
        self.results.put_nowait(result)
        if self.results.qsize() >= self.flush_every:
            self.full.set()

    async def _flushed(self, writer: asyncio.Task) -> None:
        """Wait until every result so far is written (now, not after `flush_seconds`); a writer that
        failed raises its error here instead of leaving this wait hanging."""
        self.hurry = True
        self.full.set()
        joined = asyncio.create_task(self.results.join())
        await asyncio.wait([joined, writer], return_when=asyncio.FIRST_COMPLETED)
        if not joined.done():
            joined.cancel()
            writer.result()  # raises the writer's error
            raise RuntimeError("the result writer ended early")

    async def _write(self) -> None:
        """Record results in groups (`flush_every` of them, or what came within `flush_seconds`, or what
        came while the last group was written), one transaction per group across cycles; ends at the None
        that `deliver_all` puts last."""
        closing = False
        while not closing:
            first = await self.results.get()
            group = [] if first is None else [first]
            closing = first is None
            if not (closing or self.hurry) and self.results.qsize() + 1 < self.flush_every:
                self.full.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self.full.wait(), self.flush_seconds)
            while not self.results.empty():
                item = self.results.get_nowait()
                closing = closing or item is None
                if item is not None:
                    group.append(item)
            try:
                if group:
                    await asyncio.to_thread(self._record, group)
            finally:
                for _ in range(len(group) + (1 if closing else 0)):
                    self.results.task_done()

    def _record(self, group: list[Result]) -> None:
        by_cycle: dict[int, list[Result]] = {}
        for r in group:
            by_cycle.setdefault(r.claimed.row["cycle_id"], []).append(r)
        groups = [
            CycleOutcomes(cycle_id, self.settings[cycle_id], self.lane(cycle_id).redact, results)
            for cycle_id, results in by_cycle.items()
        ]
        for cycle_id, done in record_groups(self.engine, groups, worker=self.worker, jitter=self.jitter).items():
            _add(self.reports[cycle_id], done)
            self.retried += len(done.retried)


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
    _add(report, done)


def _add(report: DispatchReport, done: Recorded) -> None:
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
                async with asyncio.timeout(settings.timeout * 3):  # no extra task per message, as wait_for makes
                    outcome = await channel.send(message, client)
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
