"""The item planner is optimal (brute force over every set of items on small random cases), reaches the
exact bound, respects contiguity, keeps externals fixed and groups its to-do list per OPD."""

from __future__ import annotations

import itertools
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from spbe.frameworks import load_framework
from spbe.items.catalog import Role
from spbe.items.externals import ExternalReading
from spbe.items.index import score_items
from spbe.items.planner import UNASSIGNED, ItemPlan, describe_target, plan_items
from spbe.items.status import ItemState, ItemStatus
from tests.utils.items import ENTERED, SHIPPED_RULES, indicator_shapes, make_framework

ACCEPTED = ItemState(ItemStatus.DITERIMA)
PEMDI = load_framework("pemdi-2026")


def apply(states: dict[str, ItemState], plan: ItemPlan) -> dict[str, ItemState]:
    return {**states, **{t.code: ACCEPTED for t in plan.items}}


@st.composite
def cases(draw):
    n_items = draw(st.integers(1, 3))
    shape = {n: draw(indicator_shapes(max_per_level=2)) for n in range(1, n_items + 1)}
    total = sum(len(level) for levels in shape.values() for level in levels)
    if total > 11:  # keep 2^items small for the brute force
        shape = {1: shape[1]}
    externals = (n_items + 1,) if draw(st.booleans()) else ()
    weights = {n: draw(st.integers(1, 9)) for n in [*shape, *externals]}
    fw = make_framework(shape, weights, externals=externals)
    catalog = fw.items.catalog
    states = {i.code: draw(ENTERED) for i in catalog}
    costs = {i.code: Decimal(draw(st.sampled_from(["1", "2", "3", "0.5"]))) for i in catalog if draw(st.booleans())}
    readings = [ExternalReading(n, Fraction(draw(st.integers(0, 100)))) for n in externals if draw(st.booleans())]
    target = Decimal(draw(st.integers(100, 500))) / 100
    rule_id = draw(st.sampled_from([r.id for r in SHIPPED_RULES]))
    return fw, states, costs, readings, target, rule_id


def brute_force(fw, states, costs, readings, target, rule_id):
    """The cheapest (cost, count) over every subset of the items not yet accepted, or None."""
    open_items = [i for i in fw.items.catalog if not states[i.code].accepted]
    best = None
    for r in range(len(open_items) + 1):
        for subset in itertools.combinations(open_items, r):
            after = {**states, **{i.code: ACCEPTED for i in subset}}
            exact = score_items(fw, states=after, readings=readings, rule_id=rule_id).exact
            if exact >= Fraction(target):
                key = (sum((costs.get(i.code, Decimal(1)) for i in subset), Decimal(0)), len(subset))
                best = key if best is None or key < best else best
    return best


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=cases())
def test_planner_matches_brute_force(case):
    fw, states, costs, readings, target, rule_id = case
    plan = plan_items(fw, states=states, target=target, readings=readings, costs=costs, rule_id=rule_id)
    best = brute_force(fw, states, costs, readings, target, rule_id)
    before = score_items(fw, states=states, readings=readings, rule_id=rule_id).exact
    assert plan.index_before == before
    if best is None:
        assert not plan.reachable and not plan.already_met
        assert plan.best_reachable < Fraction(target)
        return
    assert plan.reachable
    assert (plan.total_cost, len(plan.items)) == best
    assert plan.already_met == (best == (0, 0))
    after = score_items(fw, states=apply(states, plan), readings=readings, rule_id=rule_id)
    assert after.exact == plan.index_after >= Fraction(target)
    for todo in plan.items:
        assert not states[todo.code].accepted and todo.item.counts_as_main
        assert todo.cost == costs.get(todo.code, Decimal(1))
    for external in plan.fixed_externals:
        assert all(t.item.indicator != external for t in plan.items)


def test_target_is_the_exact_bound_not_a_rounded_one():
    """An index of 2,4375 shows as 2,44 but does not meet a target of exactly 2,44: the plan still works."""
    shape = {1: [[Role.UTAMA] * 4, [Role.UTAMA], [Role.UTAMA], [Role.UTAMA], [Role.UTAMA]]}
    shape[2] = [[Role.UTAMA] * 2, [Role.UTAMA], [Role.UTAMA], [Role.UTAMA], [Role.UTAMA] * 2]
    fw = make_framework(shape, {1: 1, 2: 1})
    # indicator 1 complete (5); indicator 2: all but one of the two level-5 items (4 + 1/2 = 4,5)
    states = {i.code: ACCEPTED for i in fw.items.catalog if i.code != "I2-L5-02"}
    assert score_items(fw, states=states).exact == Fraction(19, 4)
    plan = plan_items(fw, states=states, target=Decimal("4.80"))
    assert [t.code for t in plan.items] == ["I2-L5-02"] and plan.index_after == 5

    states = {i.code: ACCEPTED for i in fw.items.catalog if i.indicator == 1 or i.level < 4}
    states.pop("I1-L1-01")  # indicator 1 blocked at level 1: 1 + 0,5·3/4 = 1,375; indicator 2: 3,5
    plan = plan_items(fw, states=states, target=Decimal("2.44"))
    assert plan.index_before == Fraction(39, 16) and str(plan.as_dict()["index_before"]) == "2.44"
    assert plan.already_met is False  # 2,4375 shows as 2,44 but is below the exact 2,44
    assert plan.index_after >= Fraction("2.44")


def test_contiguity_an_upper_item_counts_only_once_lower_levels_are_complete():
    shape = {1: [[Role.UTAMA] * 2, [Role.UTAMA], [Role.UTAMA], [Role.UTAMA], [Role.UTAMA]]}
    fw = make_framework(shape, {1: 1})
    # levels 2..5 already accepted, level 1 one short: one item unlocks everything
    states = {i.code: ACCEPTED for i in fw.items.catalog if i.code != "I1-L1-02"}
    plan = plan_items(fw, states=states, target=Decimal(5))
    assert [t.code for t in plan.items] == ["I1-L1-02"] and plan.total_cost == 1
    # with nothing accepted, reaching 2,5 takes both level-1 items and level 2
    plan = plan_items(fw, states={}, target=Decimal("2.5"))
    assert [t.code for t in plan.items] == ["I1-L1-01", "I1-L1-02", "I1-L2-01"]


def test_externals_stay_fixed_and_unreachable_targets_say_how_far_they_go():
    plan = plan_items(PEMDI, states={}, target=Decimal("4.50"))
    assert not plan.reachable and plan.fixed_externals == (5, 6, 7, 18)
    assert plan.best_reachable == Fraction(5 * 86 + 14, 100)  # everything but the externals at 5
    assert "tidak tercapai" in describe_target(plan)
    assert not any(t.item.indicator in plan.fixed_externals for t in plan.items)
    with_sdi = plan_items(PEMDI, states={}, target=Decimal("4.50"), readings=[ExternalReading(5, Fraction(100))])
    assert with_sdi.best_reachable == Fraction(5 * 91 + 9, 100)


def test_shipped_catalog_plan_for_memuaskan_reaches_exactly_four():
    plan = plan_items(PEMDI, states={}, target=PEMDI.predicate_lower_bound("Memuaskan"))
    assert plan.reachable and plan.index_after >= 4
    after = score_items(PEMDI, states=apply({}, plan))
    assert after.exact == plan.index_after
    assert plan.total_cost == len(plan.items)  # one unit per item by default
    data = plan.as_dict()
    assert data["target"] == "4.00" and data["target_reading"] == "exact"
    assert data["value_rule"]["source"] and data["item_count"] == len(plan.items)


def test_to_do_list_per_indicator_and_per_opd():
    shape = {1: [[Role.UTAMA], [Role.UTAMA], [], [], []], 2: [[Role.UTAMA, Role.PENDUKUNG], [], [], [], []]}
    fw = make_framework(shape, {1: 1, 2: 1})
    plan = plan_items(fw, states={"I1-L1-01": ItemState(ItemStatus.REVISI)}, target=Decimal(5))
    assert [(t.indicator, [i.code for i in t.items]) for t in plan.indicators] == [
        (1, ["I1-L1-01", "I1-L2-01"]),
        (2, ["I2-L1-01"]),  # the pendukung item is never on the list
    ]
    assert plan.indicators[0].items[0].as_dict()["now"] == "revisi"
    grouped = plan.by_opd({1: "Dinas Kominfo"}, item_owners={"I1-L2-01": "Bappeda"})
    assert {opd: [t.code for t in todo] for opd, todo in grouped.items()} == {
        "Bappeda": ["I1-L2-01"],
        "Dinas Kominfo": ["I1-L1-01"],
        UNASSIGNED: ["I2-L1-01"],
    }


def test_bad_costs_and_targets_are_refused():
    with pytest.raises(ValueError, match="positive"):
        plan_items(PEMDI, states={}, target=Decimal(4), costs={"I1-L1-01": Decimal(0)})
    with pytest.raises(ValueError, match="no floats"):
        plan_items(PEMDI, states={}, target=Decimal(4), costs={"I1-L1-01": 1.5})
    with pytest.raises(ValueError, match="unknown item"):
        plan_items(PEMDI, states={}, target=Decimal(4), costs={"X": Decimal(1)})
    with pytest.raises(TypeError):
        plan_items(PEMDI, states={}, target=4.0)
    plan = plan_items(PEMDI, states={}, target=Decimal(4), costs={"PG_04_01": Decimal(3)})  # official codes work
    assert all(t.cost == (3 if t.code == "I4-L1-01" else 1) for t in plan.items)


def test_within_a_level_the_cheapest_items_are_chosen():
    shape = {1: [[Role.UTAMA] * 3, [Role.UTAMA], [], [], []]}
    fw = make_framework(shape, {1: 1})
    costs = {"I1-L1-01": Decimal(3), "I1-L1-02": Decimal("0.5"), "I1-L1-03": Decimal(2)}
    plan = plan_items(fw, states={}, target=Decimal("1.3"), costs=costs)  # two of three level-1 items: 1,33
    assert [t.code for t in plan.items] == ["I1-L1-02", "I1-L1-03"] and plan.total_cost == Decimal("2.5")
    plan = plan_items(fw, states={}, target=Decimal("1.1"), costs=costs)
    assert [t.code for t in plan.items] == ["I1-L1-02"]
