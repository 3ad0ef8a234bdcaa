"""The timekeeper: an APScheduler 3.x scheduler whose jobs are derived from the timeline in the database
and only ever trigger idempotent flows. Every cron runs in the cycle's own time zone (`Cycle.timezone`:
Asia/Jakarta for WIB, Asia/Makassar for WITA, Asia/Jayapura for WIT), the zone its sending window uses.

- `derive_jobs` is pure: phases + rules + now → job specs (phase openings at `opens_at`, gate checks at
  deadlines, the reminder sweep and dispatch every few minutes inside sending hours, the daily digest).
  A moment already past is run at once (catch-up); a check job's id carries the deadline version, so an
  extended deadline replaces it.
- Jobs are re-derived at start and whenever the timeline changes (a phase's state, opening, deadline or
  deadline version); a resync job looks every minute.
- Several timekeepers may run on one database: each job first takes (or renews) a lease row, so only
  one of them acts, and the flows are idempotent anyway. A crashed holder's lease runs out.
- An outage (`Unavailable`: the store or the Prefect server down) is not a "no": the job is tried again
  with backoff, and the outage is recorded in the audit trail (`timekeeper.outage`, then
  `timekeeper.recovered`) as soon as the store takes it, so a coordinator sees it in `spbe audit`. A
  refusal waits for the timeline to change. A served run (triggered on the Prefect server) is followed
  until it ends: one that ended "Unavailable" (its tasks' own retries exhausted) is triggered again.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import threading
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from spbe import clock
from spbe.domain.reminders import ReminderRules
from spbe.errors import SpbeError, Unavailable

log = logging.getLogger("spbe.timekeeper")
LEASE_NAME = "timekeeper"
RESYNC_SECONDS = 60
ACTIVE = ("open", "awaiting_approval")
RETRY_SECONDS = (30, 60, 120, 300, 900)  # after an outage: the n-th retry waits this long (the last repeats)


@dataclass(frozen=True)
class PhaseTimes:
    """What the timekeeper needs of a phase (a `PhaseInfo` or a `Phase` row both fit)."""

    name: str
    state: str
    opens_at: datetime
    deadline_at: datetime
    deadline_version: int
    overlap: bool = False


@dataclass(frozen=True)
class JobSpec:
    id: str
    kind: str  # open | check | remind | digest
    run_at: datetime | None = None  # a one-off job
    cron: dict[str, str] = field(default_factory=dict)  # a repeating job (CronTrigger fields)
    phase: str | None = None
    start: datetime | None = None  # a repeating job's first possible moment


def timeline_fingerprint(phases: Sequence[PhaseTimes]) -> tuple:
    return tuple(
        (p.name, p.state, p.opens_at.isoformat(), p.deadline_at.isoformat(), p.deadline_version)
        for p in sorted(phases, key=lambda p: p.name)
    )


def derive_jobs(
    phases: Sequence[PhaseTimes], *, rules: ReminderRules, now: datetime, zone: str, every_minutes: int = 5
) -> list[JobSpec]:
    """The jobs the timeline calls for now; cron fields are local times of `zone` (the cycle's). Pure."""
    jobs: list[JobSpec] = []
    previous: PhaseTimes | None = None
    for p in phases:  # in phase order
        # a phase opens after the previous one closed (or, with overlap, once it is open): no job that can only fail
        ready = previous is None or previous.state == "closed" or (p.overlap and previous.state != "pending")
        previous = p
        if p.state == "pending" and ready:
            jobs.append(JobSpec(f"open:{p.name}", "open", run_at=max(p.opens_at, now), phase=p.name))
        elif p.state == "open":
            jobs.append(
                JobSpec(f"check:{p.name}:v{p.deadline_version}", "check", run_at=max(p.deadline_at, now), phase=p.name)
            )
            # still open after its deadline (the gate was unmet): look again every day at the deadline's local
            # time, so the phase closes (or asks for approval) once the late work is in. Derived while the phase is
            # open, starting after the deadline: the timeline does not change when a check finds the gate unmet.
            local = p.deadline_at.astimezone(ZoneInfo(zone))
            jobs.append(
                JobSpec(
                    f"recheck:{p.name}:v{p.deadline_version}",
                    "check",
                    phase=p.name,
                    cron={"hour": str(local.hour), "minute": str(local.minute)},
                    start=p.deadline_at + timedelta(minutes=1),
                )
            )
    if any(p.state in ACTIVE or p.state == "pending" for p in phases):
        jobs.append(JobSpec("remind", "remind", cron=sending_hours_cron(rules, every_minutes)))
        if rules.digest:
            at = rules.send_from
            jobs.append(JobSpec("digest", "digest", cron={"hour": str(at.hour), "minute": str(at.minute)}))
    return jobs


def sending_hours_cron(rules: ReminderRules, every_minutes: int) -> dict[str, str]:
    """Every few minutes from `send_from` to `send_until`, every day: the sending window itself decides
    about weekends and holidays (a Saturday declared a working day is then covered too). The minute is
    offset by two, so that the 08:00 tick belongs to the digest job alone."""
    last = (datetime.combine(datetime.min, rules.send_until) - timedelta(minutes=1)).time()
    hours = f"{rules.send_from.hour}-{last.hour}" if last.hour != rules.send_from.hour else str(last.hour)
    offset = 2 % every_minutes
    return {"hour": hours, "minute": f"{offset}-59/{every_minutes}"}


# --- the lease ---------------------------------------------------------------------------------------


def acquire_lease(engine, *, holder: str, seconds: float, name: str = LEASE_NAME) -> bool:
    """Take or renew the named lease; True when `holder` has it now. Two atomic statements, no race."""
    from sqlalchemy import or_, update
    from sqlmodel import Session

    from spbe.services.outbox import insert_ignoring_conflicts
    from spbe.store.tables_reminders import SchedulerLease

    now = clock.now()
    table = SchedulerLease.__table__  # type: ignore[attr-defined]
    with Session(engine) as session:
        inserted = insert_ignoring_conflicts(
            session,
            table,
            [{"name": name, "holder": holder, "acquired_at": now, "expires_at": now + timedelta(seconds=seconds)}],
            unique=["name"],
            returning=(table.c.name,),
        ).all()
        if not inserted:
            result = session.execute(
                update(table)
                .where(table.c.name == name, or_(table.c.holder == holder, table.c.expires_at <= now))
                .values(holder=holder, expires_at=now + timedelta(seconds=seconds))
            )
            inserted = result.rowcount == 1  # type: ignore[attr-defined]
        session.commit()
    return bool(inserted)


def release_lease(engine, *, holder: str, name: str = LEASE_NAME) -> None:
    from sqlalchemy import update
    from sqlmodel import Session

    from spbe.store.tables_reminders import SchedulerLease

    table = SchedulerLease.__table__  # type: ignore[attr-defined]
    with Session(engine) as session:
        session.execute(
            update(table).where(table.c.name == name, table.c.holder == holder).values(expires_at=clock.now())
        )
        session.commit()


# --- what the jobs run -------------------------------------------------------------------------------


def run_remind(*, dry_run: bool = False, cycle: str | None = None, use_prefect: bool | None = None) -> dict:
    """One sweep and dispatch: a Prefect flow run (with artifacts) when a Prefect server is configured
    (PREFECT_API_URL) or asked for; else the same services directly, without a temporary server's
    ten-second start (and without the temporary servers that several threads would each start)."""
    if use_prefect is None:
        from spbe.prefect_env import api_url

        use_prefect = bool(api_url())
    if use_prefect:
        from flows.reminders import run_remind_flow

        return run_remind_flow(dry_run=dry_run, cycle=cycle)
    return remind_once(dry_run=dry_run, cycle=cycle)


def remind_once(*, dry_run: bool = False, cycle: str | None = None) -> dict[str, Any]:
    """One sweep (its own transaction), then one dispatch pass: what the timekeeper's job does, without
    Prefect (see `flows.reminders.remind` for the same as a flow run with artifacts)."""
    from sqlmodel import Session

    from spbe.services.cycles import current_cycle
    from spbe.services.delivery_settings import settings_for
    from spbe.services.dispatch import dispatch_now
    from spbe.services.reminders import sweep
    from spbe.store.db import require_schema, session_scope

    engine = require_schema()
    with session_scope(engine) as session:
        swept = sweep(session, cycle=current_cycle(session, cycle), dry_run=dry_run).as_dict()
    if dry_run:
        return {"sweep": swept, "dispatch": None}
    with Session(engine) as session:
        row = current_cycle(session, cycle)
    report = dispatch_now(cycle_id=row.id, settings=settings_for(row), engine=engine)
    return {"sweep": swept, "dispatch": report.as_dict()}


def default_action(action: str, phase: str) -> Any:
    """The timekeeper's own flow, in this process (imported when a job first runs)."""
    from flows.registry import run_flow, run_tags
    from flows.timekeeper import timekeeper_job

    return run_flow(timekeeper_job, tags=run_tags(phase), kind=action, phase=phase)


@dataclass
class Runner:
    """What each kind of job calls; tests inject fakes.

    `phase_action(kind, phase, attempt)` runs or triggers the timekeeper's flow; a triggered (served) run
    returns {"flow_run_id": ...}, and `run_outcome(flow_run_id)` then tells how it ended: None while it
    runs (or waits for a coordinator's approval), else the typed error it ended with, or False for success."""

    phase_action: Callable[..., Any] = default_action
    remind: Callable[[], Any] = run_remind
    run_outcome: Callable[[str], SpbeError | bool | None] | None = None


@dataclass
class Outage:
    """One job's outage: from its first failure until it succeeds again."""

    job: str
    error: str
    first_at: datetime
    last_at: datetime
    attempts: int = 1
    recorded: bool = False  # the `timekeeper.outage` audit event is written


# --- the scheduler -----------------------------------------------------------------------------------


class Timekeeper:
    def __init__(
        self,
        *,
        engine=None,
        runner: Runner | None = None,
        holder: str | None = None,
        every_minutes: int = 5,
        lease_seconds: float = 3 * RESYNC_SECONDS,
        resync_seconds: float = RESYNC_SECONDS,
    ) -> None:
        from apscheduler.schedulers.background import BackgroundScheduler

        from spbe.store.db import get_engine

        self.engine = engine or get_engine()
        self.runner = runner or Runner()
        self.holder = holder or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self.every_minutes = every_minutes
        self.lease_seconds = lease_seconds
        self.resync_seconds = resync_seconds
        self.scheduler = BackgroundScheduler(
            timezone="UTC",  # every trigger carries the cycle's zone itself
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 3600},
        )
        self.zone = "UTC"  # the cycle's time zone, read with the timeline
        self.fingerprint: tuple | None = None
        self.ran: list[tuple[str, str | None, str]] = []  # (kind, phase, outcome): what this process did
        self.outages: dict[str, Outage] = {}  # by job key, until the job succeeds again
        self.following: dict[str, tuple[str, str]] = {}  # served run id -> (kind, phase)
        self._lock = threading.Lock()
        # one job body at a time: several flows started at once from scheduler threads leaked temporary
        # Prefect servers (prefect-notes.md); the jobs are short, and coalescing absorbs a late tick
        self._job_lock = threading.Lock()

    # the timeline
    def _timeline(self) -> tuple[list[PhaseTimes], ReminderRules, str]:
        from sqlmodel import Session, select

        from spbe.services.cycles import current_cycle, rules_for
        from spbe.store import models as m

        with Session(self.engine) as session:
            cycle = current_cycle(session)
            phases = [
                PhaseTimes(p.name, p.state, p.opens_at, p.deadline_at, p.deadline_version, p.overlap)
                for p in session.exec(select(m.Phase).where(m.Phase.cycle_id == cycle.id).order_by(m.Phase.seq))
            ]
            rules, _ = rules_for(cycle)
            zone = cycle.timezone
        return phases, rules, zone

    def sync(self) -> bool:
        """Re-derive the jobs when the timeline changed; True when it did."""
        with self._lock:
            phases, rules, zone = self._timeline()
            fingerprint = (zone, timeline_fingerprint(phases))
            if fingerprint == self.fingerprint:
                return False
            self.zone = zone
            wanted = derive_jobs(phases, rules=rules, now=clock.now(), zone=zone, every_minutes=self.every_minutes)
            self._apply(wanted)
            self.fingerprint = fingerprint
            log.info("timekeeper: %d job(s) from the timeline", len(wanted))
            return True

    def _apply(self, wanted: list[JobSpec]) -> None:
        from apscheduler.jobstores.base import JobLookupError
        from apscheduler.triggers.cron import CronTrigger
        from apscheduler.triggers.date import DateTrigger

        keep = {spec.id for spec in wanted} | {"resync"}
        for job in self.scheduler.get_jobs():
            if job.id not in keep and not job.id.startswith("retry:"):
                with contextlib.suppress(JobLookupError):  # a one-off job that has just run and gone
                    job.remove()
        for spec in wanted:
            if spec.run_at is not None:
                trigger: Any = DateTrigger(run_date=spec.run_at, timezone=self.zone)
                grace = None  # a moment already past still runs: catch-up
            else:
                trigger = CronTrigger(timezone=self.zone, start_date=spec.start, **spec.cron)
                grace = 3600
            existing = self.scheduler.get_job(spec.id)
            if existing is not None and spec.run_at is None and existing.trigger.timezone == ZoneInfo(self.zone):
                continue  # a repeating job keeps its schedule
            self.scheduler.add_job(
                self._run,
                trigger,
                id=spec.id,
                args=(spec.kind, spec.phase),
                replace_existing=True,
                misfire_grace_time=grace,
                name=spec.id,
            )

    # the jobs
    def _run(self, kind: str, phase: str | None, attempt: int = 0) -> None:
        job = f"{kind}:{phase}" if phase else kind
        try:
            if not acquire_lease(self.engine, holder=self.holder, seconds=self.lease_seconds):
                log.info("timekeeper: another timekeeper holds the lease; %s skipped here", job)
                self.ran.append((kind, phase, "skipped: lease held elsewhere"))
                return
            with self._job_lock:
                if kind in ("open", "check"):
                    result = self.runner.phase_action(kind, phase or "", attempt)
                    if isinstance(result, dict) and result.get("flow_run_id") and self.runner.run_outcome:
                        self.following[str(result["flow_run_id"])] = (kind, phase or "")
                else:
                    self.runner.remind()
            self.ran.append((kind, phase, "ok"))
            self._recovered(job)
        except Exception as exc:  # one line in the log; an outage is retried and recorded, a refusal is not
            outage = as_outage(exc)
            log.warning("timekeeper: %s failed: %s: %s", job, exc.__class__.__name__, exc)
            self.ran.append((kind, phase, f"failed: {exc.__class__.__name__}"))
            if outage is not None:
                self._outage(job, kind, phase, outage)
        finally:
            if kind in ("open", "check"):
                self._resync_soon()

    def _outage(self, job: str, kind: str, phase: str | None, error: BaseException) -> None:
        """Try the job again later (open and check jobs are one-off; a repeating job comes back by itself)
        and note the outage, to the audit trail when the store takes it."""
        now = clock.now()
        outage = self.outages.get(job)
        if outage is None:
            outage = self.outages[job] = Outage(job, f"{error.__class__.__name__}: {error}", now, now)
        else:
            outage.attempts, outage.last_at, outage.error = (
                outage.attempts + 1,
                now,
                f"{error.__class__.__name__}: {error}",
            )
        if kind in ("open", "check"):
            delay = RETRY_SECONDS[min(outage.attempts - 1, len(RETRY_SECONDS) - 1)]
            from apscheduler.triggers.date import DateTrigger

            self.scheduler.add_job(
                self._run,
                DateTrigger(run_date=now + timedelta(seconds=delay), timezone=self.zone),
                id=f"retry:{job}",
                args=(kind, phase, outage.attempts),
                replace_existing=True,
                misfire_grace_time=None,
                name=f"retry:{job}",
            )
            log.warning("timekeeper: %s will be tried again in %g s (attempt %d)", job, delay, outage.attempts + 1)
        self._write_outages()

    def _recovered(self, job: str) -> None:
        self._write_outages()  # an outage the store could not take while it lasted is written first
        outage = self.outages.pop(job, None)
        if outage is not None:
            log.warning("timekeeper: %s works again after %d failed attempt(s)", job, outage.attempts)
            self._audit(
                "timekeeper.recovered",
                job,
                {
                    "since": outage.first_at.isoformat(),
                    "attempts": outage.attempts,
                    "error": outage.error[:500],
                },
            )

    def _write_outages(self) -> None:
        for outage in self.outages.values():
            if not outage.recorded:
                outage.recorded = self._audit(
                    "timekeeper.outage", outage.job, {"since": outage.first_at.isoformat(), "error": outage.error[:500]}
                )

    def _audit(self, action: str, job: str, detail: dict) -> bool:
        """One audit event as the timekeeper; False when the store does not take it yet (still down)."""
        from spbe.services.cycles import current_cycle
        from spbe.services.people import TIMEKEEPER
        from spbe.store.audit import record
        from spbe.store.db import session_scope

        try:
            with session_scope(self.engine) as session:
                cycle = current_cycle(session)
                record(session, cycle_id=cycle.id, actor=TIMEKEEPER.id, action=action, subject=job, detail=detail)
            return True
        except SpbeError:
            return False

    def _follow(self) -> None:
        """Served runs this timekeeper triggered: one that ended on an outage is triggered again."""
        if self.runner.run_outcome is None:
            return
        for run_id, (kind, phase) in list(self.following.items()):
            try:
                outcome = self.runner.run_outcome(run_id)
            except Exception as exc:  # the Prefect server itself is away: look again at the next tick
                log.warning("timekeeper: cannot read flow run %s: %s", run_id, exc.__class__.__name__)
                continue
            if outcome is None:
                continue
            del self.following[run_id]
            job = f"{kind}:{phase}"
            if outcome is False:
                self._recovered(job)
            elif isinstance(outcome, Unavailable):
                log.warning("timekeeper: flow run %s (%s) ended on an outage: %s", run_id, job, outcome)
                self._outage(job, kind, phase, outcome)
            else:
                log.warning("timekeeper: flow run %s (%s) ended %s: %s", run_id, job, outcome.state_name, outcome)

    def _resync_soon(self) -> None:
        try:
            self.sync()
        except Exception as exc:
            log.warning("timekeeper: resync failed: %s: %s", exc.__class__.__name__, exc)

    def _tick(self) -> None:
        try:
            if acquire_lease(self.engine, holder=self.holder, seconds=self.lease_seconds):
                self._write_outages()
                self._follow()
                self._resync_soon()
        except Exception as exc:  # the store is away: one line, and the next tick looks again
            log.warning("timekeeper: resync failed: %s: %s", exc.__class__.__name__, exc)

    def start(self) -> None:
        self.sync()
        self.scheduler.add_job(
            self._tick,
            "interval",
            seconds=self.resync_seconds,
            id="resync",
            replace_existing=True,
            misfire_grace_time=self.resync_seconds,
        )
        self.scheduler.start()
        acquire_lease(self.engine, holder=self.holder, seconds=self.lease_seconds)

    def stop(self) -> None:
        if self.scheduler.running:
            self.scheduler.shutdown(wait=True)
        release_lease(self.engine, holder=self.holder)

    def describe(self) -> list[dict[str, Any]]:
        return [
            {"id": j.id, "next_run": j.next_run_time.isoformat() if j.next_run_time else None}
            for j in sorted(self.scheduler.get_jobs(), key=lambda j: (j.next_run_time is None, j.next_run_time))
        ]


def as_outage(exc: BaseException) -> BaseException | None:
    """The outage an error stands for: a typed `Unavailable`, a Prefect server that does not answer, or an
    unexpected error (safe to retry: every job is idempotent); None for a refusal or bad input."""
    if isinstance(exc, Unavailable):
        return exc
    if isinstance(exc, SpbeError):
        return None
    from spbe.prefect_env import prefect_outage

    return prefect_outage(exc) or exc


def run_timekeeper(
    stop_event: threading.Event,
    *,
    engine=None,
    runner: Runner | None = None,
    on_start: Callable[[Timekeeper], None] | None = None,
    **kwargs: Any,
) -> Timekeeper:
    """Run the timekeeper until `stop_event` is set (SIGTERM, Ctrl-C, or a caller that serves more)."""
    keeper = Timekeeper(engine=engine, runner=runner, **kwargs)
    keeper.start()
    try:
        if on_start is not None:
            on_start(keeper)
        stop_event.wait()
    finally:
        keeper.stop()
    return keeper
