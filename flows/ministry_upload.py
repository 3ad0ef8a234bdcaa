"""The ministry's stage `ministry-upload`: its flows (open, check, close, reject), like every phase.

Opening work (notices) lives in spbe.services.opening.ministry_stage; the gate rule in
spbe.domain.gates.ministry_upload.
"""

from __future__ import annotations

from flows.common import build_phase_flows

FLOWS = build_phase_flows("ministry-upload")
open_ministry_upload = FLOWS.open
check_ministry_upload = FLOWS.check
close_ministry_upload = FLOWS.close
reject_ministry_upload = FLOWS.reject
