"""The phase flows on the session's Prefect test server: a refusal ends the run Failed ("Refused") with its
reason, as the server records it too; an outage is retried by the task and, if it lasts, ends the run
"Unavailable"; the timekeeper's own flow does only what is due; no deployment parameter grants a privilege."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import threading
from datetime import UTC, datetime

import pytest
from sqlmodel import Session, select

from flows.registry import phase_flows, run_action, run_flow
from spbe import clock
from spbe.errors import RefusedError, StoreUnavailable, Unavailable, error_for_state
from spbe.store import models as m
from tests.utils.store import audit_actions, loaded_store, phase_state

JUNE = datetime(2025, 6, 2, 2, 0, tzinfo=UTC)  # 09:00 WIB, locus has opened
MAY = datetime(2025, 5, 20, 2, 0, tzinfo=UTC)


async def _server_state(run_id: str):
    from uuid import UUID

    from prefect import get_client

    async with get_client() as client:
        return (await client.read_flow_run(UUID(run_id))).state


class Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def prefect_records():
    handler = Records()
    loggers = [logging.getLogger(n) for n in ("prefect.task_runs", "prefect.flow_runs")]
    for logger in loggers:
        logger.addHandler(handler)
    yield handler.records
    for logger in loggers:
        logger.removeHandler(handler)


def test_a_refusal_ends_the_run_refused_with_its_reason(prefect_harness, sqlite_store_env, prefect_records):
    engine = loaded_store(sqlite_store_env)
    before = audit_actions(engine)
    with clock.use_clock(JUNE):
        state = phase_flows("locus").open(actor="asr-01", return_state=True)
    assert state.is_failed() and state.name == "Refused"
    assert "'asr-01' berperan sebagai asesor: hanya koordinator yang boleh membuka tahap locus" in state.message
    with pytest.raises(RefusedError, match="hanya koordinator"):  # in this process: the error itself
        state.result()
    recorded = asyncio.run(_server_state(str(state.state_details.flow_run_id)))
    assert recorded.type.value == "FAILED" and recorded.name == "Refused"  # what the UI shows, and a remote caller
    assert isinstance(error_for_state(recorded.name, recorded.message), RefusedError)
    assert phase_state(engine, "locus") == "pending" and audit_actions(engine) == before
    assert not [r for r in prefect_records if r.exc_info], "a refusal is logged without a traceback"


def test_run_flow_raises_the_typed_error_with_its_run(prefect_harness, sqlite_store_env):
    loaded_store(sqlite_store_env)
    opens = r"dibuka pada Senin, 2 Juni 2025 pukul 08\.00 WIB"
    with clock.use_clock(MAY), pytest.raises(RefusedError, match=opens) as refused:
        run_action("open", "locus", actor="koordinator")
    assert refused.value.exit_code == 2 and refused.value.flow_run_id
    from flows.locus import assign_assessors
    from flows.socialization import record_attendance

    with pytest.raises(RefusedError, match="hanya koordinator yang boleh menyetujui penugasan"):
        run_flow(assign_assessors, actor="adm-dinkominfo", approve=True)
    with pytest.raises(RefusedError, match=r"'asr-01' \(asesor\) tidak boleh mencatat kehadiran DINKOMINFO"):
        run_flow(record_attendance, actor="asr-01", opds=["DINKOMINFO"])


def test_a_short_outage_is_retried_by_the_task_and_the_run_completes(
    prefect_harness, sqlite_store_env, monkeypatch: pytest.MonkeyPatch
):
    """The store is locked by another process when the opening task first runs: the task waits its backoff
    and runs again; the run completes and the phase is open, once."""
    from spbe.settings import get_settings
    from spbe.store.db import dispose_engines

    monkeypatch.setenv("SPBE_LOCK_TIMEOUT", "0.3")
    get_settings.cache_clear()
    dispose_engines()
    engine = loaded_store(sqlite_store_env)
    holder = sqlite3.connect(engine.url.database, isolation_level=None, check_same_thread=False)
    holder.execute("BEGIN EXCLUSIVE")
    threading.Timer(1.0, lambda: holder.execute("ROLLBACK")).start()  # the other process finishes
    try:
        with clock.use_clock(JUNE):
            state = phase_flows("locus").open(actor="koordinator", return_state=True)
    finally:
        holder.close()
    assert state.is_completed(), state.message
    assert phase_state(engine, "locus") == "open" and audit_actions(engine).count("phase.opened") == 1
    runs = asyncio.run(_task_runs(str(state.state_details.flow_run_id)))
    opening = [r for r in runs if r.name.startswith("open")]
    assert len(opening) == 1 and opening[0].run_count >= 2  # the same task run, tried again


async def _task_runs(flow_run_id: str):
    from uuid import UUID

    from prefect import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId

    async with get_client() as client:
        return await client.read_task_runs(flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[UUID(flow_run_id)])))


def test_a_lasting_outage_ends_the_run_unavailable(prefect_harness, sqlite_store_env, monkeypatch: pytest.MonkeyPatch):
    import flows.common
    from spbe.settings import get_settings
    from spbe.store.db import dispose_engines
    from tasks.phases import open_phase_task

    monkeypatch.setenv("SPBE_LOCK_TIMEOUT", "0.2")
    get_settings.cache_clear()
    dispose_engines()
    monkeypatch.setattr(flows.common, "open_phase_task", open_phase_task.with_options(retry_delay_seconds=0))
    engine = loaded_store(sqlite_store_env)
    holder = sqlite3.connect(engine.url.database, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        with clock.use_clock(JUNE), pytest.raises(StoreUnavailable, match="database is locked") as outage:
            run_action("open", "locus", actor="koordinator")
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert outage.value.exit_code == 3 and outage.value.flow_run_id
    recorded = asyncio.run(_server_state(outage.value.flow_run_id))
    assert recorded.name == "Unavailable" and isinstance(error_for_state(recorded.name, recorded.message), Unavailable)
    assert phase_state(engine, "locus") == "pending"


def test_the_timekeepers_flow_opens_only_what_is_due_as_the_timekeeper(prefect_harness, sqlite_store_env):
    from flows.timekeeper import timekeeper_job

    engine = loaded_store(sqlite_store_env)
    with clock.use_clock(MAY), pytest.raises(RefusedError, match="hanya setelah waktunya tiba"):
        run_flow(timekeeper_job, kind="open", phase="locus")
    with clock.use_clock(JUNE):
        opened = run_flow(timekeeper_job, kind="open", phase="locus")
        checked = run_flow(timekeeper_job, kind="check", phase="locus")
    assert opened["after"] == "open" and checked["gate"]["met"] is False
    with Session(engine) as session:
        event = session.exec(select(m.AuditEvent).where(m.AuditEvent.action == "phase.opened")).one()
    assert event.actor == "system:timekeeper" and event.flow_run_id == opened["flow_run_id"]


def test_an_opening_run_from_the_cli_leaves_its_summary_on_the_run_page(prefect_harness, sqlite_store_env):
    """The CLI's door (`run_action`) publishes what the opening did, in Indonesian, as the gate check does."""
    from tests.flows.test_reminders import artifacts

    loaded_store(sqlite_store_env)
    with clock.use_clock(JUNE):
        opened = run_action("open", "locus", actor="koordinator")
        again = run_action("open", "locus", actor="koordinator")  # already open: nothing done, nothing published
    found = asyncio.run(artifacts(opened["flow_run_id"]))
    summary = found["pekalongan-2025-locus-opened"]
    assert "Tahap locus dibuka" in summary.data and "oleh: koordinator" in summary.data
    assert summary.description == "Ringkasan pembukaan, tahap locus"
    assert asyncio.run(artifacts(again["flow_run_id"])) == {}


def test_no_deployment_parameter_grants_a_privilege():
    """The Run forms: actors are roster ids (checked against the roster); nothing says "automatic",
    "system" or "skip"; the timekeeper's own flow asks only what and which phase."""
    from flows.deployments import entries

    for entry in entries():
        fields = set(entry.load().parameters.model_dump()["properties"])
        assert not fields & {"automatic", "system", "skip_checks", "privileged"}, (entry.entrypoint, fields)
        if entry.function == "timekeeper_job":
            assert fields == {"kind", "phase"}
        elif entry.module.startswith("flows.reminders"):
            assert "actor" not in fields  # what is due is sent, to whom it is due: nothing to choose
        else:
            assert "actor" in fields, entry.entrypoint
