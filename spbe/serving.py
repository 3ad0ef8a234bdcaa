"""`spbe serve`: the year's engine in one process.

It connects to the Prefect server in PREFECT_API_URL (or starts a local one), serves every flow as a
deployment (coordinators press "Run" in the UI, gate approvals appear there as forms), and runs the
timekeeper, whose phase jobs trigger its own deployment (`timekeeper-job`, no actor to type) with
idempotency keys: a restart, or a second `spbe serve`, finds the run already created instead of starting
another. The timekeeper follows each run it triggered: one that ended "Unavailable" is triggered again.
"""

from __future__ import annotations

import hashlib
import signal
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from spbe import clock
from spbe.errors import PrefectUnavailable, SpbeError, error_for_state
from spbe.i18n import _
from spbe.prefect_env import api_url, forget_local_server, record_local_server, use_server

TIMEKEEPER_DEPLOYMENT = "timekeeper-job/jadwal-penjaga-waktu"  # flows.deployments names it (a test holds it)


@dataclass
class Served:
    api_url: str
    started_server: bool
    deployments: int


def idempotency_key(
    *, cycle: str, kind: str, phase: str, deadline_version: int, timeline: tuple, local_day: str, attempt: int = 0
) -> str:
    """Same timeline, same day, same job: the same key, so a restarted timekeeper creates no second run.
    A changed timeline (the previous phase closed, a deadline moved), a new day, or a retry after an outage
    gives a new attempt."""
    digest = hashlib.sha256(repr(timeline).encode()).hexdigest()[:12]
    retry = f":retry{attempt}" if attempt else ""
    return f"{cycle}:{kind}:{phase}:v{deadline_version}:{digest}:{local_day}{retry}"


def trigger_deployment(kind: str, phase: str, attempt: int = 0) -> dict:
    """The served timekeeper's phase action: create the run on the server; the served runner executes it."""
    from prefect.deployments import run_deployment
    from sqlmodel import Session, select

    from spbe.services.cycles import current_cycle
    from spbe.store import models as m
    from spbe.store.db import get_engine
    from spbe.timekeeper import PhaseTimes, timeline_fingerprint

    with Session(get_engine()) as session:
        cycle = current_cycle(session)
        phases = list(session.exec(select(m.Phase).where(m.Phase.cycle_id == cycle.id)))
    timeline = timeline_fingerprint(
        [PhaseTimes(p.name, p.state, p.opens_at, p.deadline_at, p.deadline_version, p.overlap) for p in phases]
    )
    version = next(p.deadline_version for p in phases if p.name == phase)
    day = clock.now().astimezone(ZoneInfo(cycle.timezone)).date().isoformat()
    key = idempotency_key(
        cycle=cycle.code,
        kind=kind,
        phase=phase,
        deadline_version=version,
        timeline=timeline,
        local_day=day,
        attempt=attempt,
    )
    run = run_deployment(
        TIMEKEEPER_DEPLOYMENT, parameters={"kind": kind, "phase": phase}, idempotency_key=key, timeout=0
    )
    return {"flow_run_id": str(run.id), "idempotency_key": key}


def run_outcome(flow_run_id: str) -> SpbeError | bool | None:
    """How a triggered run ended, read from its state's type and name (all a remote caller has): None while
    it is scheduled, running or paused for a coordinator; False when it completed; else the typed error."""
    import asyncio
    from uuid import UUID

    from prefect import get_client

    async def read():
        async with get_client() as client:
            return (await client.read_flow_run(UUID(flow_run_id))).state

    state = asyncio.run(read())
    if state is None or not state.is_final():
        return None
    if state.is_completed():
        return False
    ended = _("flow run {id} ended {state}: {message}")  # crashed, cancelled: try again
    return error_for_state(state.name, state.message) or PrefectUnavailable(
        ended.format(id=flow_run_id, state=state.name, message=state.message or "-")
    )


def connect_or_start_server(data_dir: Path, say: Callable[[str], None]):
    """PREFECT_API_URL when set (it must answer); else a local server with its home under the data dir."""
    from spbe.prefect_server import healthy, start_local_server
    from spbe.settings import get_settings

    api = get_settings().prefect_api_url
    if api:
        if not healthy(api):
            raise PrefectUnavailable(
                _(
                    "the Prefect server {api} (PREFECT_API_URL) does not answer /health: start that server, or "
                    "unset PREFECT_API_URL so that `spbe serve` starts a local one"
                ).format(api=api)
            )
        say(_("Prefect server: {api}").format(api=api))
        return None
    say(_("no PREFECT_API_URL: starting a local Prefect server (SQLite, under the data directory)"))
    server = start_local_server(home=data_dir / "prefect")
    use_server(server.api_url, server.ui_url)
    record_local_server(server.api_url)  # other `spbe` commands find it and use it
    say(
        _("Prefect server: {api}  (UI {ui}; logs {logs})").format(
            api=server.api_url, ui=server.ui_url, logs=server.log_path
        )
    )
    return server


def _wait_for_deployments(stop: threading.Event, path: str, timeout: float = 120) -> bool:
    """The timekeeper starts once `serve` has registered the deployments it will trigger."""
    import httpx

    url = f"{(api_url() or '').rstrip('/')}/deployments/name/{path}"
    waited = 0.0
    while not stop.is_set() and waited < timeout:
        try:
            if httpx.get(url, timeout=5).status_code == 200:
                return True
        except httpx.HTTPError:
            pass
        stop.wait(0.5)
        waited += 0.5
    return False


def frozen_clock_notice(now: datetime, zone: str = "Asia/Jakarta") -> str:
    """What `spbe serve` says at start under SPBE_NOW: the engine reads the frozen time, but the schedule
    that wakes the timekeeper and the reminders is the real clock's."""
    from spbe.formats import datetime_text

    return _(
        "SPBE_NOW is set: every job reads the time as {now}, but the schedule runs on the real clock (the "
        "timekeeper and the reminders wake every few real minutes, each judging the frozen time); unset SPBE_NOW "
        "for a real deployment"
    ).format(now=datetime_text(now, zone))


def _cycle_zone(engine) -> str:
    from sqlmodel import Session

    from spbe.services.cycles import current_cycle

    try:
        with Session(engine) as session:
            return current_cycle(session).timezone
    except SpbeError:
        return "Asia/Jakarta"  # no cycle loaded yet: the zone the cycle files default to


def serve_forever(*, every_minutes: int, limit: int | None, say: Callable[[str], None]) -> None:
    """Run until SIGTERM or Ctrl-C: deployments served in this thread, the timekeeper in another."""
    import os

    from spbe.prefect_env import apply_defaults
    from spbe.settings import get_settings
    from spbe.store.db import require_schema

    apply_defaults()
    os.environ.setdefault("PREFECT_RUNNER_POLL_FREQUENCY", "2")  # for Prefect: pick up a triggered run in ~2 s
    engine = require_schema()
    settings = get_settings()
    if settings.now is not None:
        say(frozen_clock_notice(settings.now, _cycle_zone(engine)))
    from spbe.flow_client import stop_background

    if stop_background(settings.data_dir):  # one engine per data directory: this one takes over
        say(_("stopped the background engine of this data directory (spbe serve takes over)"))
    server = connect_or_start_server(settings.data_dir, say)
    stop = threading.Event()
    keeper_thread = None
    flow_service = None
    try:
        from prefect import serve

        from flows.deployments import runner_deployments
        from spbe.flow_service import FlowService
        from spbe.formats import number_text
        from spbe.timekeeper import Runner, run_timekeeper

        deployments = runner_deployments()
        flow_service = FlowService(settings.data_dir, background=False, settings=settings).start()
        say(
            _("serving {n} deployments (e.g. {example}); UI {ui}").format(
                n=number_text(len(deployments), 0),
                example=f"{deployments[0].flow_name}/{deployments[0].name}",
                ui=f"{(api_url() or '').removesuffix('/api')}/deployments",
            )
        )

        def started(keeper) -> None:
            say(
                _("timekeeper {holder} (zone {zone}): {n} job(s) from the timeline").format(
                    holder=keeper.holder, zone=keeper.zone, n=number_text(len(keeper.describe()), 0)
                )
            )

        def keep_time() -> None:
            while not _wait_for_deployments(stop, TIMEKEEPER_DEPLOYMENT):
                if stop.is_set():
                    return
                say(_("the deployments are not registered yet: the timekeeper waits for them (no job runs meanwhile)"))
            if not stop.is_set():
                run_timekeeper(
                    stop,
                    engine=engine,
                    runner=Runner(phase_action=trigger_deployment, run_outcome=run_outcome),
                    on_start=started,
                    every_minutes=every_minutes,
                )

        keeper_thread = threading.Thread(target=keep_time, name="timekeeper", daemon=True)
        keeper_thread.start()

        def terminate(signum, _frame) -> None:
            say(
                _("{signal}: shutting down (running flow runs finish first)").format(
                    signal=signal.Signals(signum).name
                )
            )
            stop.set()
            raise KeyboardInterrupt

        signal.signal(signal.SIGTERM, terminate)
        serve(*deployments, limit=limit, print_starting_message=False)
    except KeyboardInterrupt:
        pass
    finally:
        stop.set()
        if flow_service is not None:
            flow_service.close()
        if keeper_thread is not None:
            keeper_thread.join(timeout=30)
        if server is not None:
            forget_local_server()
            server.stop()
        say(_("spbe serve stopped"))
