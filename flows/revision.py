"""Phase `revision`: its flows (open, check, close, reject) and its opening work.

Opening work lives in spbe.services.opening.revision; the gate rule in spbe.domain.gates.revision.
"""

from __future__ import annotations

from flows.common import build_phase_flows

FLOWS = build_phase_flows("revision")
open_revision = FLOWS.open
check_revision = FLOWS.check
close_revision = FLOWS.close
reject_revision = FLOWS.reject
