"""Tasks of the reminder flows: one sweep, one dispatch pass (a whole batch loop, never a task per
message: a task run costs milliseconds and a row in Prefect's database), and the artifacts.
Retries cover outages only (tasks.common); both steps are idempotent, so a retry is safe: what a dispatch
sent before the store went away is sent again under the same idempotency key."""

from __future__ import annotations

from typing import Any

from prefect import task
from sqlmodel import Session

from spbe.services.cycles import current_cycle
from spbe.store.db import require_schema, session_scope
from tasks.common import RETRY

ARTIFACT_ROWS = 200  # more than a person reads; the full list is in the store (`spbe outbox`)


@task(name="reminder-sweep", task_run_name="sweep reminders", **RETRY)
def sweep_task(dry_run: bool = False, cycle: str | None = None) -> dict[str, Any]:
    from spbe.services.reminders import sweep

    with session_scope(require_schema()) as session:
        return sweep(session, cycle=current_cycle(session, cycle), dry_run=dry_run).as_dict()


@task(name="outbox-dispatch", task_run_name="dispatch the outbox", **RETRY)
async def dispatch_task(cycle: str | None = None, max_messages: int | None = None) -> dict[str, Any]:
    from spbe.services.delivery_settings import settings_for
    from spbe.services.dispatch import dispatch

    engine = require_schema()
    with Session(engine) as session:
        row = current_cycle(session, cycle)
    report = await dispatch(cycle_id=row.id, settings=settings_for(row), engine=engine, max_messages=max_messages)
    return report.as_dict()


@task(name="publish-reminder-artifacts", task_run_name="publish due, sent, retried and dead")
def publish_artifacts(swept: dict[str, Any] | None, dispatched: dict[str, Any] | None) -> None:
    from prefect.artifacts import create_markdown_artifact, create_table_artifact

    summary = ["## Pengingat dan pengiriman", ""]
    if swept is not None:
        key = f"{swept['cycle']}-reminders"
        summary.append(
            f"- sapuan {swept['at']}: {len(swept['queued'])} antre, {len(swept['cancelled'])} dibatalkan, "
            f"{len(swept['refreshed'])} diperbarui" + (" (uji kering)" if swept["dry_run"] else "")
        )
        if swept["queued"]:
            create_table_artifact(
                table=[
                    {k: q[k] for k in ("recipient", "kind", "phase", "rule", "items", "send_after")}
                    for q in swept["queued"][:ARTIFACT_ROWS]
                ],
                key=f"{key}-due",
                description=f"Due now: {len(swept['queued'])} message(s)",
            )
        if swept["cancelled"]:
            create_table_artifact(
                table=swept["cancelled"][:ARTIFACT_ROWS],
                key=f"{key}-cancelled",
                description="Cancelled before delivery (resolved, superseded, deadline moved)",
            )
    if dispatched is not None:
        key = "outbox"
        summary.append(
            f"- kirim: {len(dispatched['sent'])} terkirim, {len(dispatched['retried'])} dicoba ulang, "
            f"{len(dispatched['dead'])} gagal, {dispatched['reclaimed']} diambil alih dari pengirim yang berhenti"
        )
        if dispatched["outside_window"]:
            summary.append(f"- di luar jam kirim; jendela berikutnya {dispatched['outside_window']}")
        for name, cols in (
            ("sent", ("recipient", "kind", "channel", "attempts", "key")),
            ("retried", ("recipient", "kind", "channel", "attempts", "error", "next_attempt")),
            ("dead", ("recipient", "kind", "channel", "attempts", "error")),
        ):
            rows = dispatched[name]
            if rows:
                create_table_artifact(
                    table=[{c: r.get(c) for c in cols} for r in rows[:ARTIFACT_ROWS]],
                    key=f"{key}-{name}",
                    description=f"{name}: {len(rows)} message(s)",
                )
    create_markdown_artifact(
        markdown="\n".join(summary) + "\n", key="reminders-summary", description="Reminder sweep and dispatch"
    )
