"""The report per indicator under Pemdi, over pure inputs (catalog + item states): level reached, counts per
level, what the next level needs, and the value rule with its source and confidence beside the value."""

from __future__ import annotations

from fractions import Fraction

from spbe.frameworks import load_framework
from spbe.items.externals import ExternalReading
from spbe.items.status import ItemState, ItemStatus, RevisionKind
from spbe.report.item_progress import indicator_progress, progress_markdown

FW = load_framework("pemdi-2026")
CATALOG = FW.items.catalog  # type: ignore[union-attr]


def _codes(indicator: int, level: int) -> list[str]:
    return [i.code for i in CATALOG.main_items(indicator, level)]


def test_counts_level_reached_and_next_needs():
    l1, l2 = _codes(1, 1), _codes(1, 2)
    states = {c: ItemState(ItemStatus.DITERIMA) for c in l1}
    states[l2[0]] = ItemState(ItemStatus.DITERIMA)
    states[l2[1]] = ItemState(ItemStatus.REVISI, RevisionKind.BUKTI_TIDAK_TEPAT)
    l3 = _codes(1, 3)
    states[l3[0]] = ItemState(ItemStatus.DITERIMA)  # above an incomplete level: ditolak otomatis
    rows = {r.indicator: r for r in indicator_progress(FW, states)}
    i1 = rows[1]
    assert i1.level_reached == 1 and i1.next_level == 2
    level2 = i1.levels[1]
    assert (level2.required, level2.accepted, level2.sent_back, level2.missing) == (len(l2), 1, 1, len(l2) - 2)
    assert i1.levels[2].auto_rejected == len(l3) and i1.levels[2].accepted == 0
    assert [i.code for i, _ in i1.next_needs] == l2[1:]
    assert i1.next_needs[0][1] is ItemStatus.REVISI
    # the default rule: 1 + 0,5 (level 1) + share of level 2 × 1
    assert Fraction(i1.value_exact) == Fraction(3, 2) + Fraction(1, len(l2))
    assert i1.rule["id"] == "lebar-tingkat" and i1.rule["confidence"] == "low-medium" and i1.rule["source"]


def test_nothing_accepted_is_level_zero_and_one_point_zero():
    rows = indicator_progress(FW, {})
    assert all(r.value == 1 for r in rows)
    assert all(r.level_reached == 0 and r.next_level == 1 for r in rows if r.basis == "items")


def test_external_indicators_show_their_mapping_source():
    rows = {r.indicator: r for r in indicator_progress(FW, {}, {5: ExternalReading(5, Fraction(6875, 100))})}
    assert rows[5].basis == "external" and str(rows[5].value) == "3.75"
    assert "1 + " in rows[5].rule["name"] or "SDI" in rows[5].rule["name"]
    assert rows[5].rule["confidence"] == "low-medium" and rows[5].next_level is None
    assert rows[7].status == "menunggu nilai eksternal" and rows[7].value == 1


def test_markdown_says_value_rule_source_and_confidence_beside_each_value():
    states = {c: ItemState(ItemStatus.DITERIMA) for c in _codes(3, 1)}
    text = progress_markdown(indicator_progress(FW, states))
    assert "### I3 " in text and "Aturan nilai: Lebar tingkat" in text and "keyakinan: low-medium" in text
    assert "| 1 Merintis ✓ |" in text and "Untuk tingkat 2 masih diperlukan" in text


def test_strict_rule_option_is_named_where_the_value_is():
    states = {c: ItemState(ItemStatus.DITERIMA) for c in _codes(1, 1)}
    states[_codes(1, 2)[0]] = ItemState(ItemStatus.DITERIMA)
    rows = {r.indicator: r for r in indicator_progress(FW, states, rule_id="tingkat-utuh")}
    assert rows[1].rule["id"] == "tingkat-utuh" and rows[1].value_exact == "3/2"


def test_fed_from_the_snapshot_of_a_2026_store(sqlite_store_env: str):
    from sqlmodel import Session

    from spbe.report.item_progress import from_snapshot
    from spbe.services.cycles import current_cycle
    from spbe.services.snapshot import take_snapshot
    from tests.conftest import ROOT
    from tests.utils.store import loaded_store

    engine = loaded_store(sqlite_store_env, ROOT / "config" / "pekalongan-2026.toml")
    with Session(engine) as session:
        rows = from_snapshot(FW, take_snapshot(session, current_cycle(session)))
    assert len(rows) == 20 and all(r.value == 1 for r in rows)


def test_the_report_of_a_2026_cycle_writes_the_items_per_indicator(sqlite_store_env: str, tmp_path):
    from spbe.services.cycles import current_cycle
    from spbe.services.report import build_report
    from spbe.store.db import session_scope
    from tests.conftest import ROOT
    from tests.utils.store import loaded_store

    engine = loaded_store(sqlite_store_env, ROOT / "config" / "pekalongan-2026.toml")
    with session_scope(engine) as session:
        result = build_report(session, cycle=current_cycle(session), out_dir=tmp_path, actor="koordinator")
    text = result.files["items_md"].read_text(encoding="utf-8")
    assert "### I1 " in text and "keyakinan: low-medium" in text and "Untuk tingkat 1 masih diperlukan" in text
    assert "items_json" in result.files
