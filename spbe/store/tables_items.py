"""Pemdi evidence item by item (frameworks with `evidence_model = "items"`). Migration: versions/0007_items.py.

Every table is scoped to a cycle. Nothing that matters is overwritten: an answer to an item is a new
version, a review points at the version it judged, an aimed level or an external value is a new row
(the latest wins), and every change has an audit event. The catalog itself (which items exist) is data
in the framework folder, not here: rows name items by their stable tool code (`I1-L2-03`).
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from spbe.store.types import json_column, utc_column


class SupportingOpd(SQLModel, table=True):
    """An OPD that supports an indicator (the lead OPD is `Assignment.owner_opd`)."""

    __tablename__ = "supportingopd"
    __table_args__ = (UniqueConstraint("cycle_id", "indicator_number", "opd_code"),)
    id: int | None = Field(default=None, primary_key=True)
    cycle_id: int = Field(foreign_key="cycle.id", index=True)
    indicator_number: int
    opd_code: str
    assigned_by: str
    assigned_at: datetime = Field(sa_column=utc_column(nullable=False))


class ItemOwner(SQLModel, table=True):
    """An item given to an OPD other than its indicator's lead (by default the lead OPD answers every item)."""

    __tablename__ = "itemowner"
    __table_args__ = (UniqueConstraint("cycle_id", "item_code"),)
    id: int | None = Field(default=None, primary_key=True)
    cycle_id: int = Field(foreign_key="cycle.id", index=True)
    item_code: str
    opd_code: str
    assigned_by: str
    assigned_at: datetime = Field(sa_column=utc_column(nullable=False))


class AimedLevel(SQLModel, table=True):
    """The level an OPD aims for on an indicator this year; versioned: the latest row wins."""

    __tablename__ = "aimedlevel"
    id: int | None = Field(default=None, primary_key=True)
    cycle_id: int = Field(foreign_key="cycle.id", index=True)
    indicator_number: int
    opd_code: str
    level: int
    stated_by: str
    stated_at: datetime = Field(sa_column=utc_column(nullable=False))


class ItemAnswer(SQLModel, table=True):
    """One version of an OPD's answer to an item: evidence (links or `file:sha256:<hex>` refs) and a note."""

    __tablename__ = "itemanswer"
    __table_args__ = (UniqueConstraint("cycle_id", "item_code", "version"),)
    id: int | None = Field(default=None, primary_key=True)
    cycle_id: int = Field(foreign_key="cycle.id", index=True)
    item_code: str = Field(index=True)
    indicator_number: int
    level: int
    opd_code: str
    version: int
    evidence: list[str] = Field(default_factory=list, sa_column=json_column())
    note: str | None = None
    submitted_by: str
    submitted_at: datetime = Field(sa_column=utc_column(nullable=False))
    late: bool = False
    source: str = "cli"  # cli | import:<file name> | portal | demo
    fingerprint: str | None = None  # content hash: re-importing adds nothing


class ItemReview(SQLModel, table=True):
    """An assessor's judgement of one answer version: diterima, or revisi with its kind and a note."""

    __tablename__ = "itemreview"
    id: int | None = Field(default=None, primary_key=True)
    cycle_id: int = Field(foreign_key="cycle.id", index=True)
    answer_id: int = Field(foreign_key="itemanswer.id", index=True)
    item_code: str
    version: int
    verdict: str  # diterima | revisi
    kind: str | None = None  # bukti_tidak_tepat | belum_diunggah (revisi only)
    note: str | None = None
    reviewer: str
    reviewed_at: datetime = Field(sa_column=utc_column(nullable=False))
    stage: str = "internal"  # internal | interviu (the ministry's interview outcome)
    source: str = "cli"
    fingerprint: str | None = None


class ExternalValue(SQLModel, table=True):
    """Another agency's index for an external indicator (I5 SDI, I6 SJIG, ...), as a coordinator recorded it.

    `source_value` is the agency's number and `value` the 1..5 indicator value the framework maps it to,
    both exact (a Fraction as text, e.g. "3" or "15/4"). The latest row of an indicator wins."""

    __tablename__ = "externalvalue"
    id: int | None = Field(default=None, primary_key=True)
    cycle_id: int = Field(foreign_key="cycle.id", index=True)
    indicator_number: int
    source_value: str
    value: str
    source_date: date | None = None
    recorded_by: str
    recorded_at: datetime = Field(sa_column=utc_column(nullable=False))
    note: str | None = None
