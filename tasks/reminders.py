"""Tasks of the reminder flows: one sweep, one dispatch pass (a whole batch loop, never a task per
message: a task run costs milliseconds and a row in Prefect's database), and the artifacts.
Retries cover outages only (tasks.common); both steps are idempotent, so a retry is safe: what a dispatch
sent before the store went away is sent again under the same idempotency key."""

from __future__ import annotations

from typing import Any

from prefect import task
from sqlmodel import Session

from spbe.i18n import N_, _, ngettext
from spbe.services.cycles import current_cycle
from spbe.store.db import require_schema, session_scope
from tasks.common import RETRY

ARTIFACT_ROWS = 200  # more than a person reads; the full list is in the store (`spbe outbox`)


@task(name="reminder-sweep", task_run_name="sweep reminders", **RETRY)
def sweep_task(dry_run: bool = False, cycle: str | None = None) -> dict[str, Any]:
    from spbe.services.reminders import sweep

    with session_scope(require_schema()) as session:
        row = current_cycle(session, cycle)
        return sweep(session, cycle=row, dry_run=dry_run).as_dict() | {"timezone": row.timezone}


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
async def publish_artifacts(swept: dict[str, Any] | None, dispatched: dict[str, Any] | None) -> None:
    """The tick's tables and summary, in Indonesian, sent at once on the run's own client: one by one, each
    sync call made a client of its own (a fifth of a reminder tick in the demo year)."""
    import asyncio
    from datetime import datetime

    from prefect.artifacts import acreate_markdown_artifact, acreate_table_artifact

    from spbe.formats import datetime_text

    pending = []
    summary = ["## " + _("Reminders and delivery"), ""]
    if swept is not None:
        key = f"{swept['cycle']}-reminders"
        at = datetime_text(datetime.fromisoformat(swept["at"]), swept.get("timezone") or "Asia/Jakarta")
        line = _("sweep at {at}: {queued} queued, {cancelled} cancelled, {refreshed} refreshed").format(
            at=at, queued=len(swept["queued"]), cancelled=len(swept["cancelled"]), refreshed=len(swept["refreshed"])
        )
        summary.append(f"- {line}" + (" " + _("(dry run)") if swept["dry_run"] else ""))
        if swept["queued"]:
            n = len(swept["queued"])
            pending.append(
                acreate_table_artifact(
                    table=[
                        {k: q[k] for k in ("recipient", "kind", "phase", "rule", "items", "send_after")}
                        for q in swept["queued"][:ARTIFACT_ROWS]
                    ],
                    key=f"{key}-due",
                    description=ngettext("Due now: {n} message", "Due now: {n} messages", n).format(n=n),
                )
            )
        if swept["cancelled"]:
            pending.append(
                acreate_table_artifact(
                    table=swept["cancelled"][:ARTIFACT_ROWS],
                    key=f"{key}-cancelled",
                    description=_("Cancelled before delivery (resolved, superseded, deadline moved)"),
                )
            )
    if dispatched is not None:
        key = "outbox"
        summary.append(
            "- "
            + _(
                "delivery: {sent} sent, {retried} to retry, {dead} failed, {reclaimed} taken over from a sender "
                "that stopped"
            ).format(
                sent=len(dispatched["sent"]),
                retried=len(dispatched["retried"]),
                dead=len(dispatched["dead"]),
                reclaimed=dispatched["reclaimed"],
            )
        )
        if dispatched["outside_window"]:
            summary.append("- " + _("outside sending hours; next window {at}").format(at=dispatched["outside_window"]))
        for name, label, cols in (
            ("sent", N_("messages sent: {n}"), ("recipient", "kind", "channel", "attempts", "key")),
            ("retried", N_("messages to retry: {n}"), ("recipient", "kind", "channel", "attempts", "error", "next_attempt")),  # noqa: E501
            ("dead", N_("messages failed: {n}"), ("recipient", "kind", "channel", "attempts", "error")),
        ):
            rows = dispatched[name]
            if rows:
                pending.append(
                    acreate_table_artifact(
                        table=[{c: r.get(c) for c in cols} for r in rows[:ARTIFACT_ROWS]],
                        key=f"{key}-{name}",
                        description=_(label).format(n=len(rows)),
                    )
                )
    pending.append(
        acreate_markdown_artifact(
            markdown="\n".join(summary) + "\n", key="reminders-summary", description=_("Reminder sweep and delivery")
        )
    )
    await asyncio.gather(*pending)
