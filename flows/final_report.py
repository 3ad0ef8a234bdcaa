"""Phase `final-report`: opening builds the report (every format), publishes it to Prefect and queues it
for leadership; the gate holds once the dispatcher has delivered it.

Opening work (notices) lives in spbe.services.opening.final_report; the gate rule in
spbe.domain.gates.final_report; building in spbe.services.report; delivery in spbe.services.report_delivery.
"""

from __future__ import annotations

from prefect import flow

from flows.common import build_phase_flows, run_name
from spbe.services.people import Actor
from tasks.common import typed
from tasks.report import build_report_task, confirm_delivery_task, publish_report


@flow(name="final-report-build", flow_run_name=run_name("final-report", "build"), log_prints=True)
@typed
def build_final_report(actor: str, only_if_missing: bool = False) -> dict:
    """A coordinator builds the report now (a rebuilt report is a new version, sent again)."""
    return build_steps(actor, only_if_missing=only_if_missing)


def build_steps(actor: Actor, *, only_if_missing: bool = False) -> dict:
    built = build_report_task(actor, only_if_missing=only_if_missing)
    if "skipped" in built:
        print(built["skipped"])
        return built
    publish_report(built)
    summary = built["summary"]
    print(
        f"report #{summary['report_id']}: index {summary['index']} ({summary['predicate']}); "
        f"{built['queued']} message(s) queued for leadership"
    )
    return summary | {"queued": built["queued"]}


def _after_open(result: dict, actor: Actor) -> None:
    """Runs on every opening call, also the repeated one: builds only when the cycle has no report yet,
    so a crash between opening and building is mended by opening again."""
    build_steps(actor, only_if_missing=True)


def _before_check(actor: Actor) -> None:
    confirm_delivery_task(actor)


FLOWS = build_phase_flows("final-report", after_open=_after_open, before_check=_before_check)
open_final_report = FLOWS.open
check_final_report = FLOWS.check
close_final_report = FLOWS.close
reject_final_report = FLOWS.reject
