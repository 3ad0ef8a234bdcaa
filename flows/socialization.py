"""Phase `socialization`: its flows (open, check, close, reject) and its opening work.

Opening work lives in spbe.services.opening.socialization; the gate rule in spbe.domain.gates.socialization.
"""

from __future__ import annotations

from prefect import flow

from flows.common import build_phase_flows, run_name
from tasks.common import typed
from tasks.roster import attendance_task

FLOWS = build_phase_flows("socialization")
open_socialization = FLOWS.open
check_socialization = FLOWS.check
close_socialization = FLOWS.close
reject_socialization = FLOWS.reject


@flow(name="socialization-attend", flow_run_name=run_name("socialization", "attend"), log_prints=True)
@typed
def record_attendance(actor: str, opds: list[str], waive: bool = False, reason: str | None = None) -> dict:
    """Record an OPD admin's attendance and acknowledgement, or a coordinator's waiver."""
    result = attendance_task(actor, opds=opds, waive=waive, reason=reason)
    print(result["message"])
    return result
