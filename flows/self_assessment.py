"""Phase `self-assessment`: its flows (open, check, close, reject) and its opening work.

Opening work lives in spbe.services.opening.self_assessment; the gate rule in spbe.domain.gates.self_assessment.
"""

from __future__ import annotations

from flows.common import build_phase_flows

FLOWS = build_phase_flows("self-assessment")
open_self_assessment = FLOWS.open
check_self_assessment = FLOWS.check
close_self_assessment = FLOWS.close
reject_self_assessment = FLOWS.reject
