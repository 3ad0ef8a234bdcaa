"""The ministry's stages read from a real store: the 2026 cycle loads them as phases, the snapshot sees the
export event and the official result, and a ministry stage missing from a cycle is named."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlmodel import Session, select

from spbe.domain.gates import evaluate
from spbe.domain.phases import ALL_PHASES
from spbe.errors import SpbeError
from spbe.services.cycles import current_cycle
from spbe.services.lookup import get_phase
from spbe.services.snapshot import EXPORT_ACTION, take_snapshot
from spbe.store import models as m
from spbe.store.audit import record
from spbe.store.db import session_scope
from spbe.store.tables_history import OfficialResult
from tests.conftest import ROOT
from tests.utils.store import loaded_store

NOW = datetime(2026, 9, 8, 3, 0, tzinfo=UTC)


def test_the_2026_store_gates_the_ministry_stages(sqlite_store_env: str):
    engine = loaded_store(sqlite_store_env, ROOT / "config" / "pekalongan-2026.toml")
    with Session(engine) as session:
        cycle = current_cycle(session)
        names = [
            p.name for p in session.exec(select(m.Phase).where(m.Phase.cycle_id == cycle.id).order_by(m.Phase.seq))
        ]
        snap = take_snapshot(session, cycle)
    assert names == list(ALL_PHASES)
    assert snap.ministry.export_at is None and not snap.ministry.result_recorded
    assert [o.kind for o in evaluate(snap, "ministry-upload", NOW).outstanding] == ["export_missing"]
    assert evaluate(snap, "ministry-visit", NOW).met  # the 2026 file sets the visit's date
    with session_scope(engine) as session:
        cycle = current_cycle(session)
        record(session, cycle_id=cycle.id, actor="koordinator", action=EXPORT_ACTION, subject="ministry")
        session.add(
            OfficialResult(
                cycle_id=cycle.id,
                city=cycle.city,
                year=2026,
                framework_id="pemdi-2026",
                index="2.10",
                source="test",
                recorded_at=NOW,
                recorded_by="koordinator",
            )
        )
    with Session(engine) as session:
        snap = take_snapshot(session, current_cycle(session))
    assert evaluate(snap, "ministry-upload", NOW).met
    assert evaluate(snap, "ministry-result", NOW).met


def test_a_cycle_without_the_stage_says_how_to_add_it(sqlite_store_env: str):
    engine = loaded_store(sqlite_store_env)
    with Session(engine) as session, pytest.raises(SpbeError, match=r"add \[phases.ministry-upload\]"):
        get_phase(session, current_cycle(session), "ministry-upload")
