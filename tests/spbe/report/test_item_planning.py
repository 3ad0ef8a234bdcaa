"""`spbe plan` for an items cycle: the exact item planner as a to-do list per OPD, costs per item."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from sqlmodel import Session

from spbe.errors import InputError
from spbe.frameworks import load_framework
from spbe.report.item_planning import LEAD, item_plan, read_item_costs
from spbe.services.cycles import current_cycle
from spbe.services.snapshot import take_snapshot
from tests.conftest import ROOT
from tests.utils.cli import run_spbe
from tests.utils.store import loaded_store

FW = load_framework("pemdi-2026")


def test_plan_from_a_2026_store_groups_items_by_their_owner(sqlite_store_env: str):
    engine = loaded_store(sqlite_store_env, ROOT / "config" / "pekalongan-2026.toml")
    with Session(engine) as session:
        snap = take_snapshot(session, current_cycle(session))
    plan, todos, _ = item_plan(FW, snap, target_index=Decimal("2.50"), target_predicate="Baik")
    assert plan.reachable and not plan.already_met and plan.index_after >= Decimal("2.50")
    leads = {i.number: i.owner_opd for i in snap.indicators}
    listed = [t for todo in todos for t, _ in todo.rows]
    assert sorted(t.code for t in listed) == sorted(t.code for t in plan.items)
    for todo in todos:
        for t, role in todo.rows:
            assert role == LEAD and leads[t.item.indicator] == todo.opd
    cheap, _, _ = item_plan(FW, snap, target_index=Decimal("1.50"), target_predicate="Cukup", target=Decimal("1.10"))
    assert len(cheap.items) < len(plan.items)

    text = run_spbe("plan", env={"SPBE_DATABASE_URL": sqlite_store_env, "SPBE_ACTOR": "koordinator"})
    assert text.code == 0, text.err
    assert "Aturan nilai: Lebar tingkat" in text.out and "keyakinan: low-medium" in text.out
    assert "Catatan skala:" in text.out and "Pemilik" in text.out


def test_cost_file_rows_are_checked(tmp_path: Path):
    path = tmp_path / "c.csv"
    path.write_text("code,cost\nI1-L1-01,3\nPG_04_01,2,5\nNOPE,1\nI1-L1-01,1\nI2-L1-01,-1\n", encoding="utf-8")
    with pytest.raises(InputError) as caught:
        read_item_costs(path, FW)
    text = str(caught.value)
    assert "baris 4, kolom 'code': 'NOPE' bukan kode butir" in text
    assert "baris 5, kolom 'code': butir I1-L1-01 sudah ada" in text and "baris 6, kolom 'cost'" in text
    path.write_text("code;cost\nI1-L1-01;3\nPG_04_01;2,5\n", encoding="utf-8")
    costs = read_item_costs(path, FW)
    assert costs["I1-L1-01"] == 3 and costs[FW.items.catalog.find("PG_04_01").code] == Decimal("2.5")  # type: ignore[union-attr]
