"""The 2026 (Pemdi) year after the city's internal review, on the same services as 2025: items answered
and judged, an external value recorded, the plan and the report per indicator, then the ministry's stages
opened by the timekeeper with their notices, gated (export, interviu outcomes, visit, result) and closed."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from sqlmodel import Session, select

from spbe.domain.phases import MINISTRY_STAGES, PHASES
from spbe.services.cycles import current_cycle
from spbe.services.history import import_results
from spbe.services.item_setup import record_external
from spbe.services.items import review_item, submit_item
from spbe.services.ministry_export import export_ministry
from spbe.services.opening_work import OPENING_WORK
from spbe.services.people import TIMEKEEPER
from spbe.services.phases import check_gate, close_phase, open_phase
from spbe.store import models as m
from spbe.store.db import session_scope
from spbe.store.tables_reminders import OutboxMessage
from tests.conftest import ROOT
from tests.utils.store import loaded_store

CYCLE_2026 = ROOT / "config" / "pekalongan-2026.toml"


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


def test_pemdi_year_through_the_ministry_stages(sqlite_store_env: str, tmp_path: Path):
    engine = loaded_store(sqlite_store_env, CYCLE_2026)
    with session_scope(engine) as session:
        cycle = current_cycle(session)
        rows = list(session.exec(select(m.Phase).where(m.Phase.cycle_id == cycle.id)))
        for p in rows:  # the city's review under way
            p.state = "closed" if p.name in PHASES[:3] else "open" if p.name == "document-review" else "pending"
        now = _at("2026-08-10T10:00:00+07:00")
        for code in ("I3-L1-01", "I3-L1-02", "I3-L1-03"):
            submit_item(
                session,
                cycle=cycle,
                actor="adm-bkpsdm",
                code=code,
                evidence=[f"https://pekalongankota.go.id/{code}"],
                note="bukti",
                now=now,
            )
        review_item(session, cycle=cycle, actor="koordinator", code="I3-L1-01", verdict="diterima", now=now)
        review_item(
            session,
            cycle=cycle,
            actor="koordinator",
            code="I3-L1-02",
            verdict="revisi",
            kind="bukti_tidak_tepat",
            note="SK belum ditandatangani",
            now=now,
        )
        for p in rows:  # the city's review is over: the ministry's stages follow
            p.state = "closed" if p.name in PHASES else "pending"
        record_external(
            session,
            cycle=cycle,
            actor="koordinator",
            indicator=5,
            source_value="68.75",
            source_date="2026-08-01",
            now=now,
        )

    # the ministry's stages, in order, as the timekeeper walks them
    with session_scope(engine) as session:
        cycle = current_cycle(session)
        opened = open_phase(
            session,
            cycle=cycle,
            name="ministry-upload",
            actor=TIMEKEEPER,
            now=_at("2026-09-07T08:00:00+07:00"),
            opening_work=OPENING_WORK["ministry-upload"],
        )
        assert opened.after == "open" and opened.notices_queued >= 2  # both coordinators
        gate = check_gate(
            session, cycle=cycle, name="ministry-upload", now=_at("2026-09-15T16:00:00+07:00"), actor=TIMEKEEPER
        )
        assert gate.after == "open" and [o.kind for o in gate.gate.outstanding] == ["export_missing"]
        export = export_ministry(
            session,
            cycle=cycle,
            actor="koordinator",
            out=tmp_path / "unggah",
            data_dir=tmp_path,
            now=_at("2026-09-14T09:00:00+07:00"),
        )
        assert (export.items, export.links) == (1, 1)
        assert (
            check_gate(
                session, cycle=cycle, name="ministry-upload", now=_at("2026-09-15T16:00:00+07:00"), actor=TIMEKEEPER
            ).after
            == "awaiting_approval"
        )
        close_phase(
            session, cycle=cycle, name="ministry-upload", actor="koordinator", now=_at("2026-09-15T17:00:00+07:00")
        )

        open_phase(
            session,
            cycle=cycle,
            name="ministry-interview",
            actor=TIMEKEEPER,
            now=_at("2026-09-21T08:00:00+07:00"),
            opening_work=OPENING_WORK["ministry-interview"],
        )
        early = check_gate(
            session, cycle=cycle, name="ministry-interview", now=_at("2026-09-25T10:00:00+07:00"), actor=TIMEKEEPER
        )
        assert [o.item for o in early.gate.outstanding] == ["I3-L1-01"]
        review_item(
            session,
            cycle=cycle,
            actor="koordinator",
            code="I3-L1-01",
            verdict="diterima",
            stage="interviu",
            now=_at("2026-09-25T11:00:00+07:00"),
        )
        assert (
            check_gate(
                session, cycle=cycle, name="ministry-interview", now=_at("2026-09-30T16:00:00+07:00"), actor=TIMEKEEPER
            ).after
            == "closed"
        )

        visit = open_phase(
            session,
            cycle=cycle,
            name="ministry-visit",
            actor=TIMEKEEPER,
            now=_at("2026-10-01T08:00:00+07:00"),
            opening_work=OPENING_WORK["ministry-visit"],
        )
        assert visit.notices_queued > 2  # coordinators and the owning OPDs' admins and heads
        assert (
            check_gate(
                session, cycle=cycle, name="ministry-visit", now=_at("2026-10-30T16:00:00+07:00"), actor=TIMEKEEPER
            ).after
            == "closed"
        )

        open_phase(
            session,
            cycle=cycle,
            name="ministry-result",
            actor=TIMEKEEPER,
            now=_at("2026-11-02T08:00:00+07:00"),
            opening_work=OPENING_WORK["ministry-result"],
        )
        result_file = tmp_path / "hasil-2026.json"
        result_file.write_text(
            json.dumps({"tahun": 2026, "kerangka": "pemdi-2026", "instansi": "Kota Pekalongan", "indeks": "1.10"}),
            encoding="utf-8",
        )
        import_results(session, cycle=cycle, actor="koordinator", path=result_file)
        assert (
            check_gate(
                session, cycle=cycle, name="ministry-result", now=_at("2026-12-18T16:00:00+07:00"), actor=TIMEKEEPER
            ).after
            == "closed"
        )

    with Session(engine) as session:
        cycle = current_cycle(session)
        states = {p.name: p.state for p in session.exec(select(m.Phase).where(m.Phase.cycle_id == cycle.id))}
        bodies = [o.body for o in session.exec(select(OutboxMessage).where(OutboxMessage.cycle_id == cycle.id))]
    assert all(states[s] == "closed" for s in MINISTRY_STAGES)
    assert any("spbe export ministry --out FOLDER" in b for b in bodies)
    assert any("Tempat : Ruang Rapat Buketan" in b and "Oktober 2026" in b for b in bodies)
