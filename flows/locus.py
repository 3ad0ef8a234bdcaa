"""Phase `locus`: its flows (open, check, close, reject) and its opening work.

Opening work lives in spbe.services.opening_work.locus; the gate rule in spbe.domain.gates.locus.
"""

from __future__ import annotations

from prefect import flow

from flows.common import build_phase_flows, run_name
from tasks.common import typed
from tasks.roster import assign_task

FLOWS = build_phase_flows("locus")
open_locus = FLOWS.open
check_locus = FLOWS.check
close_locus = FLOWS.close
reject_locus = FLOWS.reject


@flow(name="locus-assign", flow_run_name=run_name("locus", "assign"), log_prints=True)
@typed
def assign_assessors(
    actor: str,
    auto: bool = False,
    indicator: int | None = None,
    owner: str | None = None,
    assessor: str | None = None,
    approve: bool = False,
    reason: str | None = None,
) -> dict:
    """Assign assessors (automatically or one indicator by hand), approve the whole assignment (the decree),
    or amend a closed decree (with a reason)."""
    result = assign_task(
        actor, auto=auto, indicator=indicator, owner=owner, assessor=assessor, approve=approve, reason=reason
    )
    print(result["message"])
    return result
