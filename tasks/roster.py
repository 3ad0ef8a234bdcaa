"""Tasks that change the roster side of the cycle: assessor assignment and socialization attendance."""

from __future__ import annotations

from prefect import task

from spbe.services.cycles import current_cycle
from spbe.store.db import require_schema, session_scope
from tasks.common import RETRY


@task(name="assign-assessors", task_run_name="assign assessors", **RETRY)
def assign_task(
    actor: str,
    *,
    auto: bool,
    indicator: int | None,
    owner: str | None,
    assessor: str | None,
    approve: bool,
    reason: str | None = None,
) -> dict:
    from spbe.services import assignments

    with session_scope(require_schema()) as session:
        cycle = current_cycle(session)
        if approve:
            count = assignments.approve(session, cycle=cycle, actor=actor)
            return {
                "message": f"assignment approved by {actor} ({count} indicators)"
                if count
                else "assignment was already approved; nothing done",
                "approved": count,
            }
        if auto:
            result = assignments.auto_assign(session, cycle=cycle, actor=actor)
            msg = (
                f"{len(result.changed)} indicator(s) (re)assigned; spread {result.plan.spread}"
                if result.changed
                else "assignment already balanced; nothing changed"
            )
            if result.plan.unassignable:
                msg += f"; no eligible assessor for {list(result.plan.unassignable)}"
            return {"message": msg, **result.as_dict()}
        row, decree = assignments.assign(
            session, cycle=cycle, indicator=indicator, owner=owner, assessor=assessor, actor=actor, reason=reason
        )
        said = f"indicator {row.indicator_number}: owner {row.owner_opd}, assessor {row.assessor_key}"
        return {
            "message": f"{said} ({decree})" if decree else said,
            "decree": decree,
            "indicator": row.indicator_number,
            "owner": row.owner_opd,
            "assessor": row.assessor_key,
        }


@task(name="record-attendance", task_run_name="attendance of {opds}", **RETRY)
def attendance_task(actor: str, *, opds: list[str], waive: bool, reason: str | None) -> dict:
    """One attendance sheet (or one acknowledgement): all OPDs on it are recorded together, or none."""
    from spbe.services.attendance import record_attendance

    with session_scope(require_schema()) as session:
        cycle = current_cycle(session)
        rows = [
            (opd, *record_attendance(session, cycle=cycle, opd=opd, actor=actor, waive=waive, reason=reason))
            for opd in opds
        ]
    new = [opd for opd, _, created in rows if created]
    what = "waived" if waive else "recorded"
    already = [opd for opd, _, created in rows if not created]
    message = f"attendance {what} for {', '.join(new)}" if new else "nothing new"
    if already:
        message += f" ({', '.join(already)} already on record)"
    return {"message": message, "recorded": new, "already": already, "waived": waive}
