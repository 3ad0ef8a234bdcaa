"""The planner must be optimal (checked against brute force), reach the exact target, and agree with
`score` on what it claims."""

from __future__ import annotations

import itertools
from decimal import Decimal as D
from fractions import Fraction

import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st

from spbe.frameworks import Framework, Indicator, Level, Predicate, load_framework
from spbe.planner import Plan, default_target, plan
from spbe.scoring import report_value, score

FW59 = load_framework("permenpanrb-59-2020")

PREDICATES_59 = (
    Predicate("Memuaskan", D("4.20")),
    Predicate("Sangat Baik", D("3.50")),
    Predicate("Baik", D("2.60")),
    Predicate("Cukup", D("1.80")),
    Predicate("Kurang", D("1.00")),
)


def make_framework(weights: list[D], reading: str = "exact") -> Framework:
    # The id names the weights: frameworks are identified by id, so two test catalogs must not share one.
    return Framework(
        id=f"test-{reading}-" + "-".join(str(w) for w in weights),
        name="test",
        verified=True,
        indicators=tuple(Indicator(n, "", "A", f"ind {n}", w) for n, w in enumerate(weights, start=1)),
        levels=tuple(Level(lv, f"L{lv}", "") for lv in range(1, 6)),
        predicates=PREDICATES_59,
        predicate_reading=reading,
    )


def apply(levels: dict[int, int], p: Plan) -> dict[int, int]:
    after = dict(levels)
    for r in p.raises:
        assert after[r.number] == r.from_level < r.to_level
        after[r.number] = r.to_level
    return after


def check_consistent(fw: Framework, levels, p: Plan, costs, caps) -> dict[int, int]:
    """What the plan claims must be what `score` shows for the raised levels."""
    after = apply(levels, p)
    s = score(fw, after)
    before = score(fw, levels)
    assert (p.index_before, p.exact_before, p.predicate_before) == (before.index, before.exact, before.predicate)
    assert (p.index_after, p.exact_after, p.predicate_after) == (s.index, s.exact, s.predicate)
    assert p.note_after == s.bound_note
    for r in p.raises:
        assert r.to_level <= caps.get(r.number, 5)
        assert r.cost == costs.get(r.number, D(1)) * (r.to_level - r.from_level)
        assert r.gain == Fraction(fw.indicator(r.number).weight) * (r.to_level - r.from_level) / 100
    assert p.total_cost == sum((r.cost for r in p.raises), D(0))
    return after


@st.composite
def instances(draw):
    n = draw(st.integers(2, 6))
    unit = draw(st.sampled_from([D("0.05"), D("0.01"), D("0.25"), D("1")]))
    total = int(100 / unit)
    cuts = sorted(draw(st.sets(st.integers(1, total - 1), min_size=n - 1, max_size=n - 1)))
    weights = [(b - a) * unit for a, b in itertools.pairwise([0, *cuts, total])]
    fw = make_framework(weights, draw(st.sampled_from(["exact", "rounded"])))
    numbers = range(1, n + 1)
    levels = {i: draw(st.integers(1, 5)) for i in numbers}
    costs = {i: D(draw(st.integers(1, 10))) / 2 for i in numbers if draw(st.booleans())}
    caps = {i: draw(st.integers(1, 5)) for i in numbers if draw(st.booleans())}
    # Targets just around and above the current index, where raises are actually needed.
    current = sum(levels[n] * w for n, w in zip(numbers, weights, strict=True)) / 100
    target = current.quantize(D("0.01")) + D(draw(st.integers(-10, 250))) / 100
    if draw(st.booleans()):  # a three-decimal target lands between two reported values
        target += D(draw(st.integers(0, 9))) / 1000
    return fw, levels, costs, caps, target


def brute_force(fw: Framework, levels, costs, caps, target):
    """Every reachable combination: the best (cost, steps, exact index) at or above the exact target, and
    the best exact index at all. The plan must never count an index that only rounds up to the target."""
    numbers = sorted(levels)
    free = [n for n in numbers if caps.get(n, 5) > levels[n]]
    ranges = [range(levels[n], caps.get(n, 5) + 1) for n in free]
    best = best_rounded = None
    best_exact = None
    for combo in itertools.product(*ranges):
        after = {**levels, **dict(zip(free, combo, strict=True))}
        exact = score(fw, after).exact
        best_exact = exact if best_exact is None else max(best_exact, exact)
        steps = sum(after[n] - levels[n] for n in numbers)
        cost = sum((costs.get(n, D(1)) * (after[n] - levels[n]) for n in numbers), D(0))
        key = (cost, steps, exact)
        if report_value(exact) >= target:
            best_rounded = key if best_rounded is None or key < best_rounded else best_rounded
        if exact >= Fraction(target):
            best = key if best is None or key < best else best
    if best_rounded is not None and (best is None or best_rounded[:2] < best[:2]):
        event("planning to the rounded index would stop short of the exact target")
    return best, best_exact


def check_against_brute_force(fw: Framework, levels, costs, caps, target) -> None:
    p = plan(fw, levels, target, costs=costs, caps=caps)
    check_consistent(fw, levels, p, costs, caps)
    best, best_exact = brute_force(fw, levels, costs, caps, target)
    assert p.best_reachable_exact == best_exact and p.best_reachable == report_value(best_exact)
    event("unreachable" if best is None else "already met" if best[1] == 0 else "raises needed")
    if best is None:
        assert not p.reachable and not p.already_met
        assert p.index_after == p.best_reachable
        numbers = sorted(levels)
        tops = {n: max(levels[n], caps.get(n, 5)) for n in numbers}
        assert apply(levels, p) == tops
        return
    assert p.reachable
    assert p.already_met == (best[1] == 0)
    after = apply(levels, p)
    steps = sum(after[n] - levels[n] for n in sorted(levels))
    assert (p.total_cost, steps, score(fw, after).exact) == best
    assert p.exact_after >= Fraction(target)  # the exact bound, never a rounded one


@settings(max_examples=300, deadline=None)
@given(instances())
def test_plan_is_optimal_against_brute_force(instance):
    check_against_brute_force(*instance)


@st.composite
def catalog_instances(draw):
    """Random level vectors on the real 59/2020 catalog, near the Memuaskan bound, with costs and caps.

    Up to five indicators may move (caps above their level); the others are capped where they stand,
    so brute force over the movable ones is the whole search space.
    """
    numbers = [i.number for i in FW59.indicators]
    levels = {n: draw(st.integers(3, 5)) for n in numbers}
    movable = draw(st.lists(st.sampled_from(numbers), min_size=1, max_size=5, unique=True))
    for n in movable:
        levels[n] = min(levels[n], draw(st.integers(1, 4)))
    caps = {n: levels[n] for n in numbers if n not in movable}
    caps.update({n: draw(st.integers(levels[n], 5)) for n in movable if draw(st.booleans())})
    costs = {n: D(draw(st.integers(1, 12))) / 4 for n in movable if draw(st.booleans())}
    bound = draw(st.sampled_from([p.min for p in FW59.predicates]))
    current = score(FW59, levels).exact
    target = draw(
        st.one_of(
            st.just(bound),
            st.integers(0, 40).map(lambda k: report_value(current) + D(k) / 200),  # half-steps land on x,xx5
        )
    )
    return FW59, levels, costs, caps, min(target, D(5))


@settings(max_examples=300, deadline=None)
@given(catalog_instances())
def test_plan_on_the_real_catalog_reaches_the_exact_bound_against_brute_force(instance):
    check_against_brute_force(*instance)


def test_a_plan_that_lands_on_4_1965_is_not_a_plan_for_memuaskan():
    """The case behind the issue: planning to the rounded 4,20 proposed raises that land on an exact
    4,1965, shown 4,20 "Memuaskan", which the ministry's table calls Sangat Baik."""
    levels = dict.fromkeys(range(1, 48), 4)
    levels.update({n: 3 for n in (1, 19, 22, 23, 28, 30, 31, 33, 35, 42, 45)})
    levels.update({n: 5 for n in (3, 5, 7, 10, 32, 37, 38, 43)})
    rounding_plan = {33: 5, 34: 5, 35: 4, 42: 5, 44: 5, 45: 5}  # what the planner used to propose
    landed = score(FW59, {**levels, **rounding_plan})
    assert landed.exact == Fraction("4.1965") and landed.index == D("4.20")
    assert landed.predicate == "Sangat Baik"
    assert landed.bound_note == "4,1965 (tampil 4,20): di bawah batas Memuaskan 4,20"

    p = plan(FW59, levels, D("4.20"))
    after = check_consistent(FW59, levels, p, {}, {})
    assert p.reachable and p.exact_after >= Fraction("4.2") and p.predicate_after == "Memuaskan"
    assert score(FW59, after).predicate == "Memuaskan" and p.note_after is None
    assert sum(r.to_level - r.from_level for r in p.raises) == 9  # no more steps than the short plan took


def test_already_met_needs_no_raises():
    fw = FW59
    levels = {i.number: 5 if i.number % 2 else 4 for i in fw.indicators}
    p = plan(fw, levels, D("4.20"))
    assert p.already_met and p.reachable
    assert p.raises == () and p.total_cost == 0
    assert p.index_after == p.index_before == score(fw, levels).index


def test_unreachable_reports_best_reachable_with_everything_at_cap():
    fw = load_framework("permenpanrb-59-2020")
    levels = {i.number: 2 for i in fw.indicators}
    caps = {i.number: 4 for i in fw.indicators}  # at most 4.00 everywhere: 4.20 cannot be reached
    p = plan(fw, levels, D("4.20"), caps=caps)
    assert not p.reachable and not p.already_met
    assert p.best_reachable == p.index_after == D("4.00")
    assert p.predicate_after == "Sangat Baik"
    assert len(p.raises) == 47 and all((r.from_level, r.to_level) == (2, 4) for r in p.raises)
    assert p.as_dict()["reachable"] is False


def test_all_at_maximum():
    fw = load_framework("permenpanrb-59-2020")
    fives = {i.number: 5 for i in fw.indicators}
    met = plan(fw, fives, D("5.00"))
    assert met.already_met and met.index_after == D("5.00") and met.raises == ()
    beyond = plan(fw, fives, D("5.01"))
    assert not beyond.reachable and beyond.raises == ()
    assert beyond.best_reachable == beyond.index_after == D("5.00")


def test_caps_below_current_level_never_lower():
    fw = make_framework([D(40), D(30), D(30)])
    levels = {1: 4, 2: 4, 3: 2}  # 1.60 + 1.20 + 0.60 = 3.40
    # indicator 1 capped below its level keeps 4; only indicator 3 can move (2 → 3 gives +0.30).
    p = plan(fw, levels, D("3.70"), caps={1: 2, 2: 4, 3: 3})
    assert p.reachable and p.index_before == D("3.40")
    assert [(r.number, r.from_level, r.to_level) for r in p.raises] == [(3, 2, 3)]
    assert p.index_after == D("3.70")
    unreachable = plan(fw, levels, D("4.00"), caps={1: 2, 2: 4, 3: 3})
    assert not unreachable.reachable
    assert [(r.number, r.to_level) for r in unreachable.raises] == [(3, 3)]
    assert unreachable.best_reachable == D("3.70")


def test_real_catalog_from_all_threes_to_memuaskan_with_unit_costs():
    fw = FW59
    threes = {i.number: 3 for i in fw.indicators}
    p = plan(fw, threes, D("4.20"))
    # With unit costs, every indicator offers two steps (3→4→5) of its own weight; taking the heaviest
    # steps first gives the fewest steps that reach the exact bound 4.20 (exchange argument).
    step_gains = sorted((Fraction(i.weight) / 100 for i in fw.indicators for _ in range(2)), reverse=True)
    gained, expected = Fraction(0), 0
    while Fraction(3) + gained < Fraction("4.2"):
        gained += step_gains[expected]
        expected += 1
    # By hand: 6 indicators × 2 steps of 3.00% and 10 × 2 of 2.75% give +0.91 (3.91); reaching 4.20 needs
    # 0.29 more, i.e. 11.6 → 12 steps of 2.50%. 12 + 20 + 12 = 44; 43 steps give at most 4.185.
    assert expected == 44
    steps = sum(r.to_level - r.from_level for r in p.raises)
    assert steps == expected and p.total_cost == expected
    assert p.reachable and not p.already_met
    assert p.exact_after >= Fraction("4.2") and p.predicate_after == "Memuaskan"
    assert score(fw, apply(threes, p)).predicate == "Memuaskan"


@pytest.mark.parametrize("reading", ["exact", "rounded"])
def test_an_exact_4_195_does_not_reach_4_20_whatever_the_reading(reading):
    # Two indicators, capped so that the best reachable index is exactly 4.195: shown 4.20.
    reach = make_framework([D("80.5"), D("19.5")], reading)  # 4·80.5 + 5·19.5 = 419.5 → 4.195
    p = plan(reach, {1: 1, 2: 1}, D("4.20"), caps={1: 4})
    assert not p.reachable and p.best_reachable == D("4.20") and p.best_reachable_exact == Fraction("4.195")
    assert score(reach, apply({1: 1, 2: 1}, p)).exact == Fraction("4.195")
    # The predicate follows the framework's reading; the plan does not.
    assert p.predicate_after == {"exact": "Sangat Baik", "rounded": "Memuaskan"}[reading]
    assert p.note_after is not None and p.note_after.startswith("4,195 (tampil 4,20): ")
    # The same instance with the exact bound in reach: the plan goes there.
    q = plan(reach, {1: 1, 2: 1}, D("4.20"))
    assert q.reachable and q.exact_after >= Fraction("4.2") and q.predicate_after == "Memuaskan"


def test_prefers_cheap_indicators_over_heavy_ones():
    # Greedy by weight would raise the 60% indicator (cost 10); two cheap steps on the 40% one suffice.
    fw = make_framework([D(60), D(40)])
    p = plan(fw, {1: 3, 2: 3}, D("3.80"), costs={1: D(10), 2: D("2.5")})
    assert [(r.number, r.to_level) for r in p.raises] == [(2, 5)]
    assert p.total_cost == D("5.0") and p.index_after == D("3.80")


def test_as_dict_shape():
    fw = make_framework([D(60), D(40)])
    d = plan(fw, {1: 3, 2: 3}, D("3.60"), costs={1: D("1.5")}).as_dict()
    assert d == {
        "target": "3.60",
        "reachable": True,
        "already_met": False,
        "index_before": "3.00",
        "index_before_exact": "3",
        "predicate_before": "Baik",
        "index_after": "3.60",
        "index_after_exact": "18/5",
        "predicate_after": "Sangat Baik",
        "bound_note_before": None,
        "bound_note_after": None,
        "total_cost": "1.5",
        "raises": [{"indicator": 1, "name": "ind 1", "from": 3, "to": 4, "cost": "1.5", "gain": "0.6000"}],
    }


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"levels": {1: 3, 2: 3, 9: 3}}, "unknown indicator"),
        ({"levels": {1: 3}}, "levels missing"),
        ({"levels": {1: 0, 2: 3}}, "level for indicator 1"),
        ({"levels": {1: 3, 2: 6}}, "level for indicator 2"),
        ({"costs": {1: D(0)}}, "positive"),
        ({"costs": {2: D(-1)}}, "positive"),
        ({"costs": {1: 1.5}}, "no floats"),
        ({"costs": {7: D(1)}}, "unknown indicator"),
        ({"caps": {1: 0}}, "cap for indicator 1"),
        ({"caps": {2: 6}}, "cap for indicator 2"),
    ],
)
def test_invalid_inputs_are_refused(kwargs, message):
    fw = make_framework([D(60), D(40)])
    args = {"levels": {1: 3, 2: 3}, **kwargs}
    with pytest.raises(ValueError, match=message):
        plan(fw, args.pop("levels"), D("4.00"), **args)


def test_default_target_under_59_2020_moves_to_the_memuaskan_bound():
    target, warning = default_target(load_framework("permenpanrb-59-2020"), D("4.00"), "Memuaskan")
    assert target == D("4.20")
    assert warning == (
        "Indeks 4,00 masih berpredikat Sangat Baik menurut permenpanrb-59-2020; predikat Memuaskan dimulai dari "
        "4,20, maka target perencanaan 4,20."
    )


def test_default_target_under_pemdi_keeps_4_00():
    assert default_target(load_framework("pemdi-2026"), D("4.00"), "Memuaskan") == (D("4.00"), None)


def test_default_target_keeps_a_higher_index():
    target, _ = default_target(load_framework("permenpanrb-59-2020"), D("4.27"), "memuaskan")
    assert target == D("4.27")
