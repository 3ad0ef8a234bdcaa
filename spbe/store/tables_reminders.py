"""Tables of the reminders feature (ledger, outbox, leases). Migration: versions/0002_reminders.py.

The ledger remembers which reminder was decided for whom, under which rule and which version of the
deadline: its unique key is what makes a sweep safe to repeat and lets a missed sweep catch up. The
outbox is the delivery queue for every message (reminders and the notices other features queue); a row
moves queued → sending → sent, or to retry (waits for `not_before`), dead (gave up, the coordinator is
told) or cancelled (no longer true: the item was resolved, the deadline moved, the phase closed).
Secrets never reach these rows: channels read them from the environment at delivery time.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from spbe.store.types import json_column, utc_column

OUTBOX_STATES = ("queued", "sending", "retry", "sent", "dead", "cancelled")
OPEN_STATES = ("queued", "retry")  # waiting for a dispatcher
FINAL_STATES = ("sent", "dead", "cancelled")


class OutboxMessage(SQLModel, table=True):
    __tablename__ = "outbox"
    __table_args__ = (
        UniqueConstraint("cycle_id", "key"),
        Index("ix_outbox_state_not_before", "state", "not_before"),
    )
    id: int | None = Field(default=None, primary_key=True)
    cycle_id: int = Field(foreign_key="cycle.id", index=True)
    key: str  # idempotency key: queued and delivered at most once per cycle
    kind: str = "notice"  # notice | reminder | escalation | digest | dead_letter | report
    recipient: str  # person key from the roster
    phase: str | None = None
    rule: str | None = None  # reminders: H-7, H+1, ...
    deadline_version: int | None = None  # the deadline version the message was written for
    about: str | None = None  # what else it depends on: "assignment:12:asr-03", "decree:pending"
    attachments: list[str] | None = Field(default=None, sa_column=json_column())  # files an e-mail carries
    subject: str
    body: str
    state: str = Field(default="queued")
    attempts: int = 0
    not_before: datetime = Field(sa_column=utc_column(nullable=False))  # due time, or the next retry
    lease_until: datetime | None = Field(default=None, sa_column=utc_column())  # while sending
    claimed_by: str | None = None
    channel: str | None = None  # the channel that delivered (or last tried)
    last_error: str | None = None  # redacted: never a token, never a URL carrying one
    cancel_reason: str | None = None
    created_at: datetime = Field(sa_column=utc_column(nullable=False))
    sent_at: datetime | None = Field(default=None, sa_column=utc_column())
    updated_at: datetime = Field(sa_column=utc_column(nullable=False))


class ReminderLedger(SQLModel, table=True):
    """One row per reminder decided: recipient, phase, rule, deadline version and period (the digest's day)."""

    __tablename__ = "reminderledger"
    __table_args__ = (
        UniqueConstraint(
            "cycle_id", "recipient", "phase", "rule", "deadline_version", "period", name="uq_reminderledger_key"
        ),
    )
    id: int | None = Field(default=None, primary_key=True)
    cycle_id: int = Field(foreign_key="cycle.id", index=True)
    recipient: str
    phase: str  # "*" for the digest, which covers every open phase
    rule: str  # H-7 | H-3 | H-1 | H+1 | eskalasi H+3 | harian
    deadline_version: int
    period: str = ""  # the local date for the daily digest, else empty
    kind: str  # reminder | escalation | digest
    due_at: datetime = Field(sa_column=utc_column(nullable=False))
    recorded_at: datetime = Field(sa_column=utc_column(nullable=False))
    outbox_id: int | None = Field(default=None, foreign_key="outbox.id", index=True)  # looked up per refresh
    items: list[Any] = Field(default_factory=list, sa_column=json_column())  # indicator numbers / item texts


class SchedulerLease(SQLModel, table=True):
    """A named lease: one timekeeper at a time drives the jobs; a crashed holder's lease runs out."""

    __tablename__ = "schedulerlease"
    name: str = Field(primary_key=True)
    holder: str
    acquired_at: datetime = Field(sa_column=utc_column(nullable=False))
    expires_at: datetime = Field(sa_column=utc_column(nullable=False))
