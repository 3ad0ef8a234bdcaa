"""`spbe export ministry`: accepted evidence per item code (file copies, links), a manifest, safe names,
idempotent, coordinators only, and the upload gate sees it."""

from __future__ import annotations

import csv
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlmodel import Session

from spbe.domain.gates import evaluate
from spbe.errors import RefusedError
from spbe.services.cycles import current_cycle
from spbe.services.evidence_store import add_evidence_file, evidence_root
from spbe.services.items import review_item, submit_item
from spbe.services.ministry_export import export_ministry, safe_name
from spbe.services.snapshot import take_snapshot
from spbe.store.db import session_scope
from tests.conftest import ROOT
from tests.utils.store import loaded_store

NOW = datetime(2026, 9, 8, 3, 0, tzinfo=UTC)
PDF = b"%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def test_safe_names_are_never_paths():
    assert safe_name("../../etc/passwd") == "etc_passwd"
    assert safe_name("SK Tim/Pemdi 2026.pdf") == "SK_Tim_Pemdi_2026.pdf"
    assert safe_name("...") == "berkas"


def test_export_lays_out_accepted_items_once(sqlite_store_env: str, tmp_path: Path):
    engine = loaded_store(sqlite_store_env, ROOT / "config" / "pekalongan-2026.toml")
    data_dir = tmp_path / "data"
    with session_scope(engine) as session:
        cycle = current_cycle(session)
        stored = add_evidence_file(
            session,
            cycle=cycle,
            data=PDF,
            name="SK Tim/Pemdi.pdf",
            opd="BKPSDM",
            actor="koordinator",
            root=evidence_root(data_dir),
        )
        submit_item(
            session,
            cycle=cycle,
            actor="koordinator",
            code="I3-L1-01",
            evidence=[f"file:sha256:{stored.sha256}", "https://pekalongankota.go.id/sk"],
            note="SK 2026",
            now=NOW,
        )
        submit_item(
            session,
            cycle=cycle,
            actor="koordinator",
            code="I3-L1-02",
            evidence=["https://pekalongankota.go.id/x"],
            now=NOW,
        )
        review_item(session, cycle=cycle, actor="koordinator", code="I3-L1-01", verdict="diterima", now=NOW)
    out = tmp_path / "ekspor"
    with session_scope(engine) as session:
        first = export_ministry(
            session, cycle=current_cycle(session), actor="koordinator", out=out, data_dir=data_dir, now=NOW
        )
    assert (first.items, first.files, first.links) == (1, 1, 1)
    assert (out / "I3-L1-01" / "01-Pemdi.pdf").read_bytes() == PDF
    assert (out / "I3-L1-01" / "tautan.txt").read_text().strip() == "https://pekalongankota.go.id/sk"
    rows = list(csv.DictReader((out / "manifest.csv").open(encoding="utf-8")))
    assert [(r["code"], r["kind"], r["status"], r["note"]) for r in rows] == [
        ("I3-L1-01", "file", "diterima", "SK 2026"),
        ("I3-L1-01", "link", "diterima", "SK 2026"),
    ]
    assert json.loads((out / "manifest.json").read_text())["rows"] == rows
    before = sorted(p.relative_to(out) for p in out.rglob("*"))
    with session_scope(engine) as session:
        again = export_ministry(
            session, cycle=current_cycle(session), actor="koordinator", out=out, data_dir=data_dir, now=NOW
        )
    assert again.removed == 0 and sorted(p.relative_to(out) for p in out.rglob("*")) == before
    with Session(engine) as session:
        assert evaluate(take_snapshot(session, current_cycle(session)), "ministry-upload", NOW).met


def test_only_a_coordinator_exports(sqlite_store_env: str, tmp_path: Path):
    engine = loaded_store(sqlite_store_env, ROOT / "config" / "pekalongan-2026.toml")
    with session_scope(engine) as session, pytest.raises(RefusedError):
        export_ministry(
            session, cycle=current_cycle(session), actor="adm-bkpsdm", out=tmp_path / "x", data_dir=tmp_path, now=NOW
        )
    assert not (tmp_path / "x").exists()
