"""Tasks of the final report: build it, publish it to Prefect, hand it to leadership, confirm delivery."""

from __future__ import annotations

from prefect import task

from spbe.i18n import _
from spbe.services.cycles import current_cycle
from spbe.services.people import Actor, actor_id
from spbe.settings import get_settings
from spbe.store.db import require_schema, session_scope
from tasks.common import RETRY


@task(name="build-report", task_run_name="build the final report", **RETRY)
def build_report_task(actor: Actor, only_if_missing: bool = False) -> dict:
    """A coordinator builds (or rebuilds) the report; the opening of final-report builds it once."""
    from sqlmodel import select

    from spbe.services.people import require_coordinator_or_timekeeper
    from spbe.services.report import build_report, report_summary_markdown, report_table_rows
    from spbe.services.report_delivery import send_report
    from spbe.store import models as m

    with session_scope(require_schema()) as session:
        cycle = current_cycle(session)
        require_coordinator_or_timekeeper(session, cycle, actor, doing=_("build the final report"))
        if only_if_missing and session.exec(select(m.Report).where(m.Report.cycle_id == cycle.id)).first():
            return {"skipped": "a report was already built for this cycle", "cycle": cycle.code}
        out_dir = get_settings().data_dir / "reports" / cycle.code
        result = build_report(session, cycle=cycle, out_dir=out_dir, actor=actor_id(actor))
        queued = send_report(session, cycle=cycle, result=result, actor=actor_id(actor))
        return {
            "summary": result.summary(),
            "markdown": report_summary_markdown(result),
            "rows": report_table_rows(result),
            "queued": queued,
            "cycle": cycle.code,
        }


@task(name="confirm-report-delivery", task_run_name="confirm report delivery", **RETRY)
def confirm_delivery_task(actor: Actor) -> dict:
    from spbe.services.people import require_coordinator_or_timekeeper
    from spbe.services.report_delivery import confirm_delivery

    with session_scope(require_schema()) as session:
        cycle = current_cycle(session)
        require_coordinator_or_timekeeper(session, cycle, actor, doing=_("confirm the report's delivery"))
        waiting = confirm_delivery(session, cycle=cycle, actor=actor_id(actor))
        return {"waiting": waiting}


@task(name="publish-report", task_run_name="publish the report to Prefect")
def publish_report(built: dict) -> None:
    from prefect.artifacts import create_markdown_artifact, create_table_artifact

    key = f"{built['cycle']}-final-report".lower()
    create_markdown_artifact(markdown=built["markdown"], key=key, description="Laporan akhir SPBE")
    create_table_artifact(table=built["rows"], key=f"{key}-indicators", description="Nilai per indikator")
