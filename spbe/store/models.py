"""Core tables. Every table is scoped to a cycle (one city, one year), so years never mix.

Timestamps are aware and stored in UTC. Nothing is overwritten where history matters: submissions
are versions, reviews point at the version they judged, and every state change has an audit event.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from spbe.store.types import json_column, utc_column

# Named constraints, so that later migrations (batch mode on SQLite) can refer to them.
SQLModel.metadata.naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Cycle(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(unique=True, index=True)  # e.g. pekalongan-2025
    city: str
    year: int = Field(index=True)
    framework_id: str
    timezone: str
    target_index: str  # Decimal as text, exact
    target_predicate: str
    history: dict[str, Any] = Field(default_factory=dict, sa_column=json_column())
    config_path: str
    created_at: datetime = Field(sa_column=utc_column(nullable=False))


class Phase(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("cycle_id", "name"),)
    id: int | None = Field(default=None, primary_key=True)
    cycle_id: int = Field(foreign_key="cycle.id", index=True)
    name: str
    seq: int
    title: str
    state: str = "pending"
    opens_at: datetime = Field(sa_column=utc_column(nullable=False))
    deadline_at: datetime = Field(sa_column=utc_column(nullable=False))
    deadline_version: int = 1
    close_mode: str = "approval"
    overlap: bool = False
    extra: dict[str, Any] = Field(default_factory=dict, sa_column=json_column())
    opened_at: datetime | None = Field(default=None, sa_column=utc_column())
    closed_at: datetime | None = Field(default=None, sa_column=utc_column())
    closed_by: str | None = None
    forced: bool = False


class Opd(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("cycle_id", "code"),)
    id: int | None = Field(default=None, primary_key=True)
    cycle_id: int = Field(foreign_key="cycle.id", index=True)
    code: str
    name: str
    admin_key: str
    head_key: str


class Person(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("cycle_id", "key"),)
    id: int | None = Field(default=None, primary_key=True)
    cycle_id: int = Field(foreign_key="cycle.id", index=True)
    key: str  # the roster id, e.g. asr-03
    name: str
    role: str  # coordinator | assessor | admin | head | leadership
    opd_code: str | None = None
    email: str | None = None
    phone: str | None = None
    telegram: str | None = None
    channels: list[str] = Field(default_factory=list, sa_column=json_column())


class Indicator(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("cycle_id", "number"),)
    id: int | None = Field(default=None, primary_key=True)
    cycle_id: int = Field(foreign_key="cycle.id", index=True)
    number: int
    domain: str
    aspect: str
    name: str
    weight: str  # Decimal as text


class Assignment(SQLModel, table=True):
    """Who owns an indicator and who assesses it (the locus decree)."""

    __table_args__ = (UniqueConstraint("cycle_id", "indicator_number"),)
    id: int | None = Field(default=None, primary_key=True)
    cycle_id: int = Field(foreign_key="cycle.id", index=True)
    indicator_number: int
    owner_opd: str | None = None
    assessor_key: str | None = None
    source: str = "config"  # config | auto | manual
    approved_at: datetime | None = Field(default=None, sa_column=utc_column())
    approved_by: str | None = None


class Attendance(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("cycle_id", "opd_code"),)
    id: int | None = Field(default=None, primary_key=True)
    cycle_id: int = Field(foreign_key="cycle.id", index=True)
    opd_code: str
    recorded_at: datetime = Field(sa_column=utc_column(nullable=False))
    recorded_by: str
    waived: bool = False
    reason: str | None = None


class Submission(SQLModel, table=True):
    """One version of an OPD's claim for an indicator; a new claim is a new version, never an edit."""

    __table_args__ = (UniqueConstraint("cycle_id", "indicator_number", "version"),)
    id: int | None = Field(default=None, primary_key=True)
    cycle_id: int = Field(foreign_key="cycle.id", index=True)
    indicator_number: int = Field(index=True)
    opd_code: str = Field(index=True)
    version: int
    level: int
    explanation: str | None = None
    evidence: list[str] = Field(default_factory=list, sa_column=json_column())
    note: str | None = None
    submitted_at: datetime = Field(sa_column=utc_column(nullable=False))
    submitted_by: str
    late: bool = False
    source: str = "cli"  # cli | import:<file name> | demo
    fingerprint: str | None = Field(default=None, index=True)  # content hash: re-importing adds nothing


class Review(SQLModel, table=True):
    """An assessor's judgement of one submission version."""

    id: int | None = Field(default=None, primary_key=True)
    cycle_id: int = Field(foreign_key="cycle.id", index=True)
    submission_id: int = Field(foreign_key="submission.id", index=True)
    indicator_number: int = Field(index=True)
    assessor_key: str
    level: int | None = None  # validated level
    verdict: str  # accept | revise
    note: str | None = None
    reviewed_at: datetime = Field(sa_column=utc_column(nullable=False))
    source: str = "cli"
    fingerprint: str | None = Field(default=None, index=True)


class EvidenceCheck(SQLModel, table=True):
    """The latest status of one evidence link."""

    __table_args__ = (UniqueConstraint("cycle_id", "url"),)
    id: int | None = Field(default=None, primary_key=True)
    cycle_id: int = Field(foreign_key="cycle.id", index=True)
    url: str
    status: str  # ok | not_found | forbidden | timeout | unsafe | error
    http_status: int | None = None
    detail: str | None = None
    checked_at: datetime = Field(sa_column=utc_column(nullable=False))


class Report(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    cycle_id: int = Field(foreign_key="cycle.id", index=True)
    built_at: datetime = Field(sa_column=utc_column(nullable=False))
    out_dir: str
    index: str
    predicate: str
    delivered_at: datetime | None = Field(default=None, sa_column=utc_column())
    delivered_to: list[str] = Field(default_factory=list, sa_column=json_column())
    sent_at: datetime | None = Field(default=None, sa_column=utc_column())  # sent to leadership: of record


class AuditEvent(SQLModel, table=True):
    """Every state change, written in the same transaction as the change itself."""

    id: int | None = Field(default=None, primary_key=True)
    cycle_id: int | None = Field(default=None, foreign_key="cycle.id", index=True)
    at: datetime = Field(sa_column=utc_column(nullable=False, index=True))
    actor: str
    action: str = Field(index=True)
    subject: str | None = None
    reason: str | None = None
    detail: dict[str, Any] = Field(default_factory=dict, sa_column=json_column())
    flow_run_id: str | None = None


# Feature tables live in their own modules; importing them here registers them on the metadata.
from spbe.store import (  # noqa: E402, F401
    tables_evidence,
    tables_history,
    tables_intake,
    tables_items,
    tables_portal,
    tables_reminders,
)
