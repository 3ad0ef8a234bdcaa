"""Phase `document-review`: its flows (open, check, close, reject) and its opening work.

Opening work lives in spbe.services.opening.document_review; the gate rule in spbe.domain.gates.document_review.
"""

from __future__ import annotations

from flows.common import build_phase_flows

FLOWS = build_phase_flows("document-review")
open_document_review = FLOWS.open
check_document_review = FLOWS.check
close_document_review = FLOWS.close
reject_document_review = FLOWS.reject
