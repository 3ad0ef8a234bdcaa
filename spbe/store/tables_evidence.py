"""Evidence files uploaded by OPDs (bytes on disk by content hash; see spbe/evidence_files.py).
Migration: versions/0006_evidence_files.py."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from spbe.store.types import utc_column


class EvidenceFile(SQLModel, table=True):
    __tablename__ = "evidencefile"
    __table_args__ = (UniqueConstraint("cycle_id", "sha256"),)
    id: int | None = Field(default=None, primary_key=True)
    cycle_id: int = Field(foreign_key="cycle.id", index=True)
    sha256: str
    size: int
    media_type: str  # sniffed from the bytes
    name: str  # a label to show (the uploader's file name, cleaned); never a path
    opd_code: str | None = None  # the OPD it was uploaded for: who may read it follows from this
    stored_at: datetime = Field(sa_column=utc_column(nullable=False))
    stored_by: str
