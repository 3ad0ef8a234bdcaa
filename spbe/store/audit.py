"""The audit trail: one call beside every state change, inside the same session (same transaction)."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from spbe import clock
from spbe.store.models import AuditEvent


def record(
    session: Session,
    *,
    cycle_id: int | None,
    actor: str,
    action: str,
    subject: str | None = None,
    reason: str | None = None,
    detail: dict[str, Any] | None = None,
    flow_run_id: str | None = None,
) -> AuditEvent:
    event = AuditEvent(
        cycle_id=cycle_id,
        at=clock.now(),
        actor=actor,
        action=action,
        subject=subject,
        reason=reason,
        detail=detail or {},
        flow_run_id=flow_run_id or _current_flow_run_id(),
    )
    session.add(event)
    return event


def _current_flow_run_id() -> str | None:
    """The Prefect flow run this change happens in, if any, without importing Prefect when it is absent."""
    import sys

    if "prefect" not in sys.modules:
        return None
    from prefect.context import FlowRunContext

    ctx = FlowRunContext.get()
    return str(ctx.flow_run.id) if ctx and ctx.flow_run else None
