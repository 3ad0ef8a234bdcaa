"""Phase `document-review`: its flows (open, check, close, reject) and its opening work.

Opening tells each assessor what awaits them (spbe.services.opening.document_review) and then checks
every evidence link, so dead or private links reach their OPD before the assessors find them.
The gate rule is spbe.domain.gates.document_review.
"""

from __future__ import annotations

from flows.common import build_phase_flows
from spbe.services.people import Actor


def _after_open(result: dict, actor: Actor) -> None:
    """Check links when the phase has just opened, or when a repeated opening finds no check since it opened
    (a crash between the two); `spbe links` re-runs the check on demand."""
    if result.get("changed") or not _checked_since_opening():
        from flows.evidence import evidence_check_steps

        evidence_check_steps(actor, cycle_code=result.get("cycle"))


def _checked_since_opening() -> bool:
    from sqlmodel import Session, select

    from spbe.services.cycles import current_cycle
    from spbe.services.lookup import get_phase
    from spbe.store import models as m
    from spbe.store.db import get_engine

    with Session(get_engine()) as session:
        cycle = current_cycle(session)
        phase = get_phase(session, cycle, "document-review")
        event = session.exec(
            select(m.AuditEvent).where(
                m.AuditEvent.cycle_id == cycle.id,
                m.AuditEvent.action == "evidence.checked",
                m.AuditEvent.at >= phase.opened_at,
            )
        ).first()
        return event is not None


FLOWS = build_phase_flows("document-review", after_open=_after_open)
open_document_review = FLOWS.open
check_document_review = FLOWS.check
close_document_review = FLOWS.close
reject_document_review = FLOWS.reject
