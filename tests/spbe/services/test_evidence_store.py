"""An uploaded file is recorded once per cycle with its audit event; a refused one leaves no row and no bytes."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlmodel import Session, select

from spbe.errors import InputError
from spbe.services.evidence_store import add_evidence_file
from spbe.store import models as m
from spbe.store.db import session_scope
from spbe.store.tables_evidence import EvidenceFile
from tests.utils.store import loaded_store

PDF = b"%PDF-1.7\n%%EOF\n"


def test_recorded_once_with_its_audit_event(database_url: str, tmp_path: Path):
    engine = loaded_store(database_url)
    root = tmp_path / "evidence"
    for _ in range(2):
        with session_scope(engine) as session:
            cycle = session.exec(select(m.Cycle)).one()
            row = add_evidence_file(
                session, cycle=cycle, data=PDF, name="../SK.pdf", opd="DINKOMINFO", actor="adm-dinkominfo", root=root
            )
            assert row.name == "SK.pdf" and row.media_type == "application/pdf"
    with Session(engine) as session:
        assert len(session.exec(select(EvidenceFile)).all()) == 1
        events = session.exec(select(m.AuditEvent).where(m.AuditEvent.action == "evidence.file_stored")).all()
        assert [e.actor for e in events] == ["adm-dinkominfo"]


def test_a_refused_file_writes_nothing(sqlite_url: str, tmp_path: Path):
    engine = loaded_store(sqlite_url)
    root = tmp_path / "evidence"
    with pytest.raises(InputError), session_scope(engine) as session:
        cycle = session.exec(select(m.Cycle)).one()
        add_evidence_file(session, cycle=cycle, data=b"MZ\x90\x00", name="x.pdf", opd=None, actor="a", root=root)
    with Session(engine) as session:
        assert session.exec(select(EvidenceFile)).all() == []
    assert not root.exists()
