"""Tasks that move a phase: each opens its own unit of work, so a state change and its audit event
(and notices) commit together or not at all. Retries cover outages only (tasks.common); a refusal ends
the task Failed ("Refused") and is raised to the flow as the RefusedError it is.

`actor` is a roster id as typed, or `TIMEKEEPER` when the timekeeper's own flow calls: tasks are not
deployments, so no form can hand them the timekeeper."""

from __future__ import annotations

from prefect import task

from spbe import clock
from spbe.i18n import _
from spbe.services.cycles import current_cycle
from spbe.services.people import Actor, actor_id
from spbe.store.db import require_schema, session_scope
from tasks.common import RETRY


@task(name="open-phase", task_run_name="open {phase}", **RETRY)
def open_phase_task(phase: str, actor: Actor, early: bool = False, reason: str | None = None) -> dict:
    from spbe.services.opening_work import OPENING_WORK
    from spbe.services.phases import open_phase

    with session_scope(require_schema()) as session:
        cycle = current_cycle(session)
        change = open_phase(
            session,
            cycle=cycle,
            name=phase,
            actor=actor,
            now=clock.now(),
            opening_work=OPENING_WORK[phase],
            early=early,
            reason=reason,
        )
        return change.as_dict() | {"cycle": cycle.code, "year": cycle.year, "actor": actor_id(actor)}


@task(name="check-gate", task_run_name="check gate of {phase}", **RETRY)
def check_gate_task(phase: str, actor: Actor) -> dict:
    from spbe.services.phases import check_gate

    with session_scope(require_schema()) as session:
        cycle = current_cycle(session)
        change = check_gate(session, cycle=cycle, name=phase, now=clock.now(), actor=actor)
        return change.as_dict() | {"cycle": cycle.code, "year": cycle.year, "per_opd": list(change.gate.per_opd)}


@task(name="close-phase", task_run_name="close {phase}", **RETRY)
def close_phase_task(phase: str, actor: Actor, force: bool = False, reason: str | None = None) -> dict:
    from spbe.services.phases import close_phase

    with session_scope(require_schema()) as session:
        cycle = current_cycle(session)
        change = close_phase(session, cycle=cycle, name=phase, actor=actor, now=clock.now(), force=force, reason=reason)
        return change.as_dict() | {"cycle": cycle.code, "year": cycle.year}


@task(name="reject-closing", task_run_name="reject closing of {phase}", **RETRY)
def reject_task(phase: str, actor: Actor, note: str) -> dict:
    from spbe.services.phases import reject_approval

    with session_scope(require_schema()) as session:
        cycle = current_cycle(session)
        return reject_approval(session, cycle=cycle, name=phase, actor=actor, note=note).as_dict()


@task(name="publish-gate-artifacts", task_run_name="publish progress of {phase}")
def publish_gate_artifacts(phase: str, result: dict) -> None:
    from prefect.artifacts import create_markdown_artifact, create_progress_artifact, create_table_artifact

    gate = result["gate"]
    key = f"{result['cycle']}-{phase}".lower()
    create_progress_artifact(
        progress=float(gate["percent"]),
        key=f"{key}-progress",
        description=_("phase {phase}: {done}/{total} done").format(phase=phase, done=gate["done"], total=gate["total"]),
    )
    rows = [
        {"OPD": opd, "selesai": done, "total": total, "persen": round(100 * done / total, 1) if total else 100.0}
        for opd, done, total in result.get("per_opd", [])
    ]
    create_table_artifact(
        table=rows or [{"OPD": "-", "selesai": 0, "total": 0, "persen": 100.0}],
        key=f"{key}-per-opd",
        description=_("Completion per OPD, phase {phase}").format(phase=phase),
    )
    if gate["outstanding"]:
        lines = "\n".join(f"- {o['text']}" for o in gate["outstanding"][:100])
        create_markdown_artifact(
            markdown="### "
            + _("phase {phase}: {n} outstanding").format(phase=phase, n=len(gate["outstanding"]))
            + f"\n\n{lines}",
            key=f"{key}-outstanding",
            description=_("Outstanding items, phase {phase}").format(phase=phase),
        )


@task(name="publish-open-summary", task_run_name="summarise opening of {phase}")
def publish_open_summary(phase: str, result: dict) -> None:
    """What an opening did, on its run's page: the CLI's runs and the timekeeper's alike (#14)."""
    from prefect.artifacts import create_markdown_artifact

    lines = [
        "## " + _("Phase {phase} opened").format(phase=phase),
        "",
        f"- {result['message']}",
        "- " + _("by: {actor}").format(actor=result.get("actor", "-")),
    ]
    create_markdown_artifact(
        markdown="\n".join(lines),
        key=f"{result['cycle']}-{phase}-opened".lower(),
        description=_("Opening summary, phase {phase}").format(phase=phase),
    )


@task(name="publish-close-summary", task_run_name="summarise closing of {phase}")
def publish_close_summary(phase: str, result: dict) -> None:
    from prefect.artifacts import create_markdown_artifact

    gate = result.get("gate") or {}
    lines = [
        f"## Tahap {phase} ditutup",
        "",
        f"- {result['message']}",
        f"- selesai: {gate.get('done', '-')}/{gate.get('total', '-')}",
    ]
    from spbe.services.phases import unlisted_notes

    lines += [f"- catatan: {n}" for n in unlisted_notes(gate)[:50]]
    if result.get("details", {}).get("unmet") or gate.get("outstanding"):
        lines += ["", "### Belum terpenuhi saat ditutup (override tercatat)", ""]
        lines += [f"- {o['text']}" for o in gate.get("outstanding", [])[:100]]
    create_markdown_artifact(
        markdown="\n".join(lines),
        key=f"{result['cycle']}-{phase}-closed".lower(),
        description=_("Closing summary, phase {phase}").format(phase=phase),
    )
