"""Portal links: which generation of each personal link is valid, and whether it was revoked.
Migration: versions/0008_portal.py.

A link is never stored: it is an HMAC over (cycle, kind, subject, person, generation), recomputed when
needed (spbe/portal/tokens.py). What the store keeps is the generation and the revocation, so `spbe portal
revoke` ends a link at once and the next `spbe portal link` issues a new one (generation + 1) that the
old link can never become again. No row means generation 1, valid: every OPD admin and assessor has a
link from the start, which reminders carry.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from spbe.store.types import utc_column


class PortalGrant(SQLModel, table=True):
    __tablename__ = "portalgrant"
    __table_args__ = (UniqueConstraint("cycle_id", "kind", "subject"),)
    id: int | None = Field(default=None, primary_key=True)
    cycle_id: int = Field(foreign_key="cycle.id", index=True)
    kind: str  # opd | assessor | coordinator
    subject: str  # the OPD code, or the person's roster id
    generation: int = 1
    changed_at: datetime = Field(sa_column=utc_column(nullable=False))
    changed_by: str
    revoked_at: datetime | None = Field(default=None, sa_column=utc_column())
    revoked_by: str | None = None
