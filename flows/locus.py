"""Phase `locus`: its flows (open, check, close, reject) and its opening work.

Opening work lives in spbe.services.opening.locus; the gate rule in spbe.domain.gates.locus.
"""

from __future__ import annotations

from flows.common import build_phase_flows

FLOWS = build_phase_flows("locus")
open_locus = FLOWS.open
check_locus = FLOWS.check
close_locus = FLOWS.close
reject_locus = FLOWS.reject
