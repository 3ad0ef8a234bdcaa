"""The ministry's stage `ministry-interview`: its flows (open, check, close, reject), like every phase.

Opening work (notices) lives in spbe.services.opening.ministry_stage; the gate rule in
spbe.domain.gates.ministry_interview.
"""

from __future__ import annotations

from flows.common import build_phase_flows

FLOWS = build_phase_flows("ministry-interview")
open_ministry_interview = FLOWS.open
check_ministry_interview = FLOWS.check
close_ministry_interview = FLOWS.close
reject_ministry_interview = FLOWS.reject
