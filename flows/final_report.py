"""Phase `final-report`: its flows (open, check, close, reject) and its opening work.

Opening work lives in spbe.services.opening.final_report; the gate rule in spbe.domain.gates.final_report.
"""

from __future__ import annotations

from flows.common import build_phase_flows

FLOWS = build_phase_flows("final-report")
open_final_report = FLOWS.open
check_final_report = FLOWS.check
close_final_report = FLOWS.close
reject_final_report = FLOWS.reject
