"""The ministry's stage `ministry-visit`: its flows (open, check, close, reject), like every phase.

Opening work (notices) lives in spbe.services.opening.ministry_stage; the gate rule in
spbe.domain.gates.ministry_visit.
"""

from __future__ import annotations

from flows.common import build_phase_flows

FLOWS = build_phase_flows("ministry-visit")
open_ministry_visit = FLOWS.open
check_ministry_visit = FLOWS.check
close_ministry_visit = FLOWS.close
reject_ministry_visit = FLOWS.reject
