"""Phase `document-review`: its flows (open, check, close, reject) and its opening work.

Opening tells each assessor what awaits them (spbe.services.opening.document_review) and then checks
every evidence link, so dead or private links reach their OPD before the assessors find them.
The gate rule is spbe.domain.gates.document_review.
"""

from __future__ import annotations

from flows.common import build_phase_flows


def _after_open(result: dict) -> None:
    """Check links when the phase has just opened; `spbe links` re-runs the check on demand."""
    if result.get("changed"):
        from flows.evidence import check_evidence_links

        check_evidence_links(cycle_code=result.get("cycle"))


FLOWS = build_phase_flows("document-review", after_open=_after_open)
open_document_review = FLOWS.open
check_document_review = FLOWS.check
close_document_review = FLOWS.close
reject_document_review = FLOWS.reject
