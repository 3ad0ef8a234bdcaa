"""Official results of earlier years, as the ministry published them. Migration: versions/0005_history.py.

A city's past results outlive any one cycle (the 2026 report compares with 2024 and 2025), so rows are
keyed by city and year rather than by cycle; `cycle_id` says under which cycle a coordinator recorded
the row, and the audit trail (action `history.recorded` / `history.replaced`) says who.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from spbe.store.types import json_column, utc_column


class OfficialResult(SQLModel, table=True):
    __tablename__ = "officialresult"
    __table_args__ = (UniqueConstraint("city", "year"),)
    id: int | None = Field(default=None, primary_key=True)
    city: str = Field(index=True)
    year: int
    framework_id: str
    index: str  # as published, decimals kept ("4.2125000000")
    predicate: str | None = None  # as published; None when the source gave none
    groups: list[dict[str, Any]] = Field(default_factory=list, sa_column=json_column())  # kind, name, index
    source: str  # file name and shape it came from
    recorded_at: datetime = Field(sa_column=utc_column(nullable=False))
    recorded_by: str
    cycle_id: int = Field(foreign_key="cycle.id", index=True)
