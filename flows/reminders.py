"""Reminder flows: sweep (what is due), dispatch (deliver the outbox), and remind (both, what the
timekeeper runs every few minutes inside sending hours). Short and idempotent: running one twice sends
nothing twice. Async flows: no one-second heartbeat floor per run (prefect-notes.md)."""

from __future__ import annotations

from typing import Any

from prefect import flow

from tasks.common import typed
from tasks.reminders import dispatch_task, publish_artifacts, sweep_task


def _run_name(action: str):
    def name() -> str:
        from flows.common import cycle_year

        return f"{cycle_year()} · reminders · {action}"

    return name


@flow(name="reminder-sweep", flow_run_name=_run_name("sweep"), log_prints=True)
@typed
async def reminder_sweep(dry_run: bool = False, cycle: str | None = None) -> dict[str, Any]:
    swept = sweep_task(dry_run=dry_run, cycle=cycle)
    await publish_artifacts(swept, None)
    print(f"{len(swept['queued'])} queued, {len(swept['cancelled'])} cancelled")
    return swept


@flow(name="outbox-dispatch", flow_run_name=_run_name("dispatch"), log_prints=True)
@typed
async def outbox_dispatch(cycle: str | None = None, max_messages: int | None = None) -> dict[str, Any]:
    sent = await dispatch_task(cycle=cycle, max_messages=max_messages)
    await publish_artifacts(None, sent)
    print(f"{len(sent['sent'])} sent, {len(sent['retried'])} to retry, {len(sent['dead'])} dead")
    return sent


@flow(name="remind", flow_run_name=_run_name("remind"), log_prints=True)
@typed
async def remind(dry_run: bool = False, cycle: str | None = None) -> dict[str, Any]:
    """One sweep, then one dispatch (a dry run only computes what is due)."""
    swept = sweep_task(dry_run=dry_run, cycle=cycle)
    sent = None if dry_run else await dispatch_task(cycle=cycle)
    await publish_artifacts(swept, sent)
    print(
        f"{len(swept['queued'])} queued, {len(swept['cancelled'])} cancelled"
        + (f"; {len(sent['sent'])} sent, {len(sent['retried'])} to retry, {len(sent['dead'])} dead" if sent else "")
    )
    return {"sweep": swept, "dispatch": sent}


def run_remind_flow(*, dry_run: bool = False, cycle: str | None = None) -> dict[str, Any]:
    """`remind` as one tagged flow run; returns its result with `flow_run_id` (and `ui_url` with a server)."""
    from flows.registry import run_flow

    return run_flow(remind, tags=["spbe", "reminders"], dry_run=dry_run, cycle=cycle)
