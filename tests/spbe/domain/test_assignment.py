"""Assessor assignment: never a conflict of interest, loads within one wherever the roster allows."""

from __future__ import annotations

from itertools import product

from hypothesis import given, settings
from hypothesis import strategies as st

from spbe.domain.assignment import balance


def best_spread_by_brute_force(indicators, assessors) -> int | None:
    keys = [k for k, _ in assessors]
    opd = dict(assessors)
    best = None
    choices = [[k for k in keys if opd[k] != owner] for _, owner in indicators]
    for combo in product(*choices):
        loads = [combo.count(k) for k in keys]
        spread = max(loads) - min(loads)
        best = spread if best is None else min(best, spread)
    return best


instances = st.tuples(
    st.lists(st.sampled_from("ABC"), min_size=1, max_size=7),
    st.lists(st.sampled_from("ABC"), min_size=1, max_size=4),
)


@settings(max_examples=150, deadline=None)
@given(instances)
def test_balanced_and_conflict_free(instance):
    owners, assessor_opds = instance
    indicators = [(n + 1, o) for n, o in enumerate(owners)]
    assessors = [(f"a{i}", o) for i, o in enumerate(assessor_opds)]
    plan = balance(indicators, assessors)
    opd = dict(assessors)
    for number, owner in indicators:
        if number in plan.unassignable:
            assert all(o == owner for o in opd.values())
            continue
        assert opd[plan.assessor_of[number]] != owner
    if not plan.unassignable:
        best = best_spread_by_brute_force(indicators, assessors)
        if best is not None and best <= 1:
            assert plan.spread <= 1, (indicators, assessors, plan)


def test_manual_choices_are_kept_and_counted():
    indicators = [(n, "A") for n in range(1, 7)]
    assessors = [("x", "B"), ("y", "C")]
    plan = balance(indicators, assessors, fixed={1: "x", 2: "x"})
    assert plan.assessor_of[1] == plan.assessor_of[2] == "x"
    assert plan.loads == {"x": 3, "y": 3}


def test_pekalongan_roster_is_balanced():
    from spbe.cycle_config import load_cycle_config
    from spbe.roster import load_roster
    from tests.conftest import CYCLE_FILE

    cfg = load_cycle_config(CYCLE_FILE)
    roster = load_roster(cfg.roster_dir, cfg.framework())
    assessors = [(p.id, p.opd) for p in roster.by_role("assessor")]
    plan = balance(sorted(roster.owners.items()), assessors)
    assert plan.spread <= 1 and not plan.unassignable and len(plan.assessor_of) == 47
    opd = dict(assessors)
    assert all(opd[plan.assessor_of[n]] != owner for n, owner in roster.owners.items())
