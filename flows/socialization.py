"""Phase `socialization`: its flows (open, check, close, reject) and its opening work.

Opening work lives in spbe.services.opening.socialization; the gate rule in spbe.domain.gates.socialization.
"""

from __future__ import annotations

from flows.common import build_phase_flows

FLOWS = build_phase_flows("socialization")
open_socialization = FLOWS.open
check_socialization = FLOWS.check
close_socialization = FLOWS.close
reject_socialization = FLOWS.reject
