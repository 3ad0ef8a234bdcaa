"""`spbe status` says where the index stands, read the framework's way, with the bound sentence."""

from __future__ import annotations

from sqlmodel import select

from spbe.services.status import cycle_status
from spbe.store import models as m
from spbe.store.db import session_scope
from tests.utils.cli import run_spbe
from tests.utils.report import seed
from tests.utils.store import loaded_store as loaded


def test_status_reads_the_exact_index(sqlite_store_env: str):
    engine = loaded(sqlite_store_env)
    levels = dict.fromkeys(range(1, 48), 4)
    levels.update(dict.fromkeys((42, 43, 44, 45, 21, 22, 23, 24, 25), 5))  # exactly 4.195
    with session_scope(engine) as session:
        seed(session, levels=levels)
        assert session.exec(select(m.Cycle)).one().target_index == "4.00"
    standing = cycle_status()["index"]
    assert (standing["index"], standing["index_exact"], standing["predicate"]) == ("4.20", "839/200", "Sangat Baik")
    assert standing["bound_note"] == "4,195 (tampil 4,20): di bawah batas Memuaskan 4,20"
    assert standing["target_met_exactly"] is True and standing["levels_note"] is None  # 4,195 ≥ 4,00
    text = run_spbe("status", env={"SPBE_DATABASE_URL": sqlite_store_env})
    assert text.code == 0, text.err
    assert (
        "Indeks saat ini (tervalidasi, selebihnya klaim/level 1): 4,20 (tepat 4,195)  Predikat: Sangat Baik" in text.out
    )
    assert "Catatan: 4,195 (tampil 4,20): di bawah batas Memuaskan 4,20." in text.out


def test_status_of_a_pemdi_year_says_the_spbe_years_are_another_scale(sqlite_store_env: str):
    from tests.conftest import ROOT

    loaded(sqlite_store_env, ROOT / "config" / "pekalongan-2026.toml")
    data = cycle_status()
    assert [e["year"] for e in data["history"]["earlier"]] == [2023, 2024]
    text = run_spbe("status", env={"SPBE_DATABASE_URL": sqlite_store_env})
    assert text.code == 0, text.err
    assert "Catatan skala: Indeks SPBE 2023: 3,29, Indeks SPBE 2024: 3,76. Indeks Pemdi 2026" in text.out
    assert "skala yang berbeda" in text.out


def test_status_of_an_spbe_year_has_no_scale_sentence(sqlite_store_env: str):
    loaded(sqlite_store_env)
    assert cycle_status()["history"] is None
