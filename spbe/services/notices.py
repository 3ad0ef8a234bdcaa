"""Notices to people (phase openings, invitations, task lists): queued with the state change that
causes them, delivered later by the dispatcher. Opening a phase twice queues nothing twice: each
notice has an idempotency key.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session


@dataclass(frozen=True)
class Notice:
    recipient: str  # person key from the roster
    subject: str
    body: str
    key: str  # idempotency key: the same key is queued (and delivered) at most once
    phase: str | None = None
    kind: str = "notice"  # notice | reminder | escalation | digest | report


def queue_notices(session: Session, *, cycle_id: int, notices: list[Notice]) -> int:
    """Queue notices in the caller's transaction; returns how many were new."""
    from spbe.services.outbox import enqueue

    return enqueue(session, cycle_id=cycle_id, notices=notices)
