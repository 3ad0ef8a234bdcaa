"""Recording an uploaded evidence file for a cycle: the bytes by hash (spbe.evidence_files), a row that
names it, and the audit event, in the caller's transaction. Uploading the same bytes again adds nothing."""

from __future__ import annotations

from pathlib import Path

from sqlmodel import Session, select

from spbe import clock, evidence_files
from spbe.store import models as m
from spbe.store.audit import record
from spbe.store.tables_evidence import EvidenceFile


def evidence_root(data_dir: Path) -> Path:
    return data_dir / "evidence"


def add_evidence_file(
    session: Session,
    *,
    cycle: m.Cycle,
    data: bytes,
    name: str | None,
    opd: str | None,
    actor: str,
    root: Path,
    max_bytes: int = evidence_files.DEFAULT_MAX_BYTES,
) -> EvidenceFile:
    """Check and store the bytes (InputError, nothing written, when they are refused) and return the row."""
    stored = evidence_files.store(data, root=root, max_bytes=max_bytes)
    row = find_evidence_file(session, cycle=cycle, digest=stored.sha256)
    if row is not None:
        return row
    row = EvidenceFile(
        cycle_id=cycle.id,
        sha256=stored.sha256,
        size=stored.size,
        media_type=stored.media_type,
        name=evidence_files.display_name(name, stored.media_type),
        opd_code=opd,
        stored_at=clock.now(),
        stored_by=actor,
    )
    session.add(row)
    session.flush()
    record(
        session,
        cycle_id=cycle.id,
        actor=actor,
        action="evidence.file_stored",
        subject=stored.ref,
        detail={"size": stored.size, "media_type": stored.media_type, "name": row.name, "opd": opd},
    )
    return row


def find_evidence_file(session: Session, *, cycle: m.Cycle, digest: str) -> EvidenceFile | None:
    return session.exec(
        select(EvidenceFile).where(EvidenceFile.cycle_id == cycle.id, EvidenceFile.sha256 == digest)
    ).first()
