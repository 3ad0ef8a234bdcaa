"""The ministry's stage `ministry-result`: its flows (open, check, close, reject), like every phase.

Opening work (notices) lives in spbe.services.opening.ministry_stage; the gate rule in
spbe.domain.gates.ministry_result.
"""

from __future__ import annotations

from flows.common import build_phase_flows

FLOWS = build_phase_flows("ministry-result")
open_ministry_result = FLOWS.open
check_ministry_result = FLOWS.check
close_ministry_result = FLOWS.close
reject_ministry_result = FLOWS.reject
