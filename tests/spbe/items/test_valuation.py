"""Indicator values from items: the four invariants for every shipped rule, each rule against an
independent reading of it, the automatic rejection, pendukung items, empty levels and externals."""

from __future__ import annotations

import itertools
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from spbe.items.catalog import Role
from spbe.items.externals import WAITING, ExternalReading
from spbe.items.rules import LevelTally, parse_value_rule, rule_kinds
from spbe.items.status import AUTO_REJECTION_NOTE, ItemState, ItemStatus
from spbe.items.valuation import indicator_value, indicator_values
from tests.utils.items import (
    ENTERED,
    NOT_ACCEPTED,
    SHIPPED_MODEL,
    SHIPPED_RULES,
    breakpoints,
    indicator_shapes,
    make_model,
    states_for,
)

ACCEPTED = ItemState(ItemStatus.DITERIMA)
RULE_IDS = [r.id for r in SHIPPED_RULES]


def test_shipped_rules_are_the_default_reading_and_the_strict_option():
    default, strict = SHIPPED_RULES
    assert (default.id, default.kind, default.params.partial) == ("lebar-tingkat", "level_widths", True)
    assert (strict.id, strict.params.partial) == ("tingkat-utuh", False)
    for rule in SHIPPED_RULES:
        assert rule.params.widths == tuple(map(Fraction, ("0.5", "1", "1", "0.5", "1")))
        assert rule.source and rule.confidence in {"low-medium", "low"}
    assert "level_widths" in rule_kinds()


@st.composite
def model_and_states(draw, states=ENTERED):
    shape = {1: draw(indicator_shapes())}
    model = make_model(shape)
    return model, states_for(draw, model.catalog, states)


def _rule(rule_id):
    return next(r for r in SHIPPED_RULES if r.id == rule_id)


@pytest.mark.parametrize("rule_id", RULE_IDS)
@given(data=model_and_states(states=NOT_ACCEPTED))
def test_nothing_accepted_is_one(rule_id, data):
    model, states = data
    assert indicator_value(model, 1, states, rule=_rule(rule_id)).value == 1
    assert indicator_value(model, 1, {}, rule=_rule(rule_id)).value == 1


@pytest.mark.parametrize("rule_id", RULE_IDS)
@given(data=model_and_states())
def test_everything_accepted_is_five(rule_id, data):
    model, states = data
    every_main = {**states, **{i.code: ACCEPTED for i in model.catalog if i.counts_as_main}}
    result = indicator_value(model, 1, every_main, rule=_rule(rule_id))
    assert result.value == 5 and result.complete_through == 5 and result.blocking_level is None


@pytest.mark.parametrize("rule_id", RULE_IDS)
@given(data=model_and_states(), pick=st.integers(min_value=0))
def test_one_more_accepted_item_never_lowers_the_value(rule_id, data, pick):
    model, states = data
    rule = _rule(rule_id)
    open_items = [i for i in model.catalog if not states[i.code].accepted]
    if not open_items:
        return
    item = open_items[pick % len(open_items)]
    before = indicator_value(model, 1, states, rule=rule).value
    after = indicator_value(model, 1, {**states, item.code: ACCEPTED}, rule=rule).value
    assert after >= before


@pytest.mark.parametrize("rule_id", RULE_IDS)
@given(data=model_and_states(), st_data=st.data())
def test_statuses_above_an_automatically_rejected_level_change_nothing(rule_id, data, st_data):
    model, states = data
    rule = _rule(rule_id)
    before = indicator_value(model, 1, states, rule=rule)
    if before.blocking_level is None:
        return
    above = [i for i in model.catalog if i.level > before.blocking_level]
    changed = {**states, **{i.code: st_data.draw(ENTERED) for i in above}}
    after = indicator_value(model, 1, changed, rule=rule)
    assert after.value == before.value
    assert all(o.status is ItemStatus.DITOLAK_OTOMATIS for o in after.items if o.item.level > before.blocking_level)


# --- each shipped rule against an independent reading, written differently ------------------------------


def independent_value(model, states, *, partial: bool) -> Fraction:
    """Walk the levels as a person reading the rule would: stop at the first level with a main item not
    accepted; the value is the breakpoint of the levels passed, plus (partial reading) the way along the
    next segment that its accepted main items cover."""
    marks = breakpoints(tuple(map(Fraction, ("0.5", "1", "1", "0.5", "1"))))
    passed = 0
    for level in range(1, 6):
        verdicts = [
            states.get(i.code, ItemState()).accepted
            for i in model.catalog.items_of(1, level)
            if i.role is not Role.PENDUKUNG
        ]
        if all(verdicts):
            passed += 1
            continue
        if not partial:
            return marks[passed]
        return marks[passed] + (marks[passed + 1] - marks[passed]) * Fraction(sum(verdicts), len(verdicts))
    return marks[5]


@pytest.mark.parametrize("rule_id", RULE_IDS)
@settings(max_examples=300)
@given(data=model_and_states())
def test_each_shipped_rule_matches_an_independent_reading(rule_id, data):
    model, states = data
    rule = _rule(rule_id)
    expected = independent_value(model, states, partial=rule.params.partial)
    assert indicator_value(model, 1, states, rule=rule).value == expected


def test_invariants_on_the_shipped_catalog_with_random_states():
    """The same four properties on the real catalog (242 items), seeded so a failure is reproducible."""
    import random

    rng = random.Random(12)
    model = SHIPPED_MODEL
    choices = [ACCEPTED, ItemState(ItemStatus.REVISI), ItemState(ItemStatus.PROSES), ItemState()]
    for _ in range(40):
        states = {i.code: rng.choice(choices) for i in model.catalog}
        for rule in SHIPPED_RULES:
            values = indicator_values(model, states, rule=rule)
            for n in model.item_indicators():
                item = rng.choice(model.catalog.items_of(n))
                more = indicator_value(model, n, {**states, item.code: ACCEPTED}, rule=rule).value
                assert 1 <= values[n].value <= more <= 5
    for rule in SHIPPED_RULES:
        assert {v.value for v in indicator_values(model, {}, rule=rule).values()} == {1}
        everything = {i.code: ACCEPTED for i in model.catalog}
        values = indicator_values(model, everything, rule=rule)
        assert {values[n].value for n in model.item_indicators()} == {5}


# --- worked cases ------------------------------------------------------------------------------------------


def test_partial_reading_worked_examples():
    """I1-like: 1 item on L1, 4 on L2. L1 accepted and two of four L2 items → 1 + 0,5 + 1·2/4 = 2,00."""
    model = make_model({1: [[Role.UNKNOWN], [Role.UNKNOWN] * 4, [Role.UTAMA], [Role.UTAMA], [Role.UTAMA]]})
    states = {"I1-L1-01": ACCEPTED, "I1-L2-01": ACCEPTED, "I1-L2-03": ACCEPTED}
    assert indicator_value(model, 1, states).value == 2
    assert indicator_value(model, 1, states, rule=_rule("tingkat-utuh")).value == Fraction(3, 2)
    one_of_three = make_model({1: [[Role.UTAMA] * 3, [], [], [], []]})
    assert indicator_value(one_of_three, 1, {"I1-L1-02": ACCEPTED}).value == Fraction(7, 6)  # Aceh Tengah I13


def test_automatic_rejection_marks_every_item_above_the_blocking_level():
    model = make_model({1: [[Role.UTAMA, Role.UTAMA], [Role.UTAMA], [Role.PENDUKUNG, Role.UTAMA], [], [Role.UTAMA]]})
    states = {code: ACCEPTED for code in ("I1-L1-01", "I1-L2-01", "I1-L3-01", "I1-L3-02", "I1-L5-01")}
    result = indicator_value(model, 1, states)
    assert result.blocking_level == 1 and result.value == Fraction(5, 4)
    rejected = [o for o in result.items if o.auto_rejected]
    assert [o.item.code for o in rejected] == ["I1-L2-01", "I1-L3-01", "I1-L3-02", "I1-L5-01"]
    assert all(o.entered.accepted and o.note == AUTO_REJECTION_NOTE for o in rejected)
    assert result.levels[1].auto_rejected == 1 and result.levels[1].accepted == 0
    # once level 1 is complete, the accepted items above count again
    healed = indicator_value(model, 1, {**states, "I1-L1-02": ACCEPTED})
    assert healed.value == 5 and not any(o.auto_rejected for o in healed.items)


def test_pendukung_items_are_never_required_and_unknown_roles_count_as_main():
    model = make_model({1: [[Role.UTAMA, Role.PENDUKUNG], [Role.UNKNOWN], [Role.UTAMA], [Role.UTAMA], [Role.UTAMA]]})
    assert indicator_value(model, 1, {"I1-L1-01": ACCEPTED}).value == Fraction(3, 2)  # pendukung not needed
    with_support = indicator_value(model, 1, {"I1-L1-01": ACCEPTED, "I1-L1-02": ACCEPTED})
    assert with_support.value == Fraction(3, 2)  # and not counted either
    assert with_support.levels[0].supporting == 1 and with_support.levels[0].required == 1
    assert indicator_value(model, 1, {"I1-L1-01": ACCEPTED, "I1-L2-01": ACCEPTED}).value == Fraction(5, 2)


def test_a_level_without_items_is_complete_once_the_levels_below_are():
    """I9 has no Data Dukung at level 3: finishing level 2 credits level 3's width as well."""
    model = make_model({1: [[Role.UTAMA], [Role.UTAMA], [], [Role.UTAMA], [Role.UTAMA]]})
    assert indicator_value(model, 1, {"I1-L1-01": ACCEPTED}).value == Fraction(3, 2)
    both = indicator_value(model, 1, {"I1-L1-01": ACCEPTED, "I1-L2-01": ACCEPTED})
    assert both.value == Fraction(7, 2) and both.complete_through == 3 and both.blocking_level == 4
    assert SHIPPED_MODEL.empty_levels() == ((9, 3),)


def test_rule_kind_refuses_widths_that_do_not_span_one_to_five():
    problems: list[str] = []
    table = {"kind": "level_widths", "name": "x", "widths": [1, 1, 1, 1, 1], "source": "s", "confidence": "low"}
    assert parse_value_rule("x", table, "framework.toml [value_rule]", problems) is None
    assert problems == ["framework.toml [value_rule]: `widths` berjumlah 5, harus 4 (nilai membentang 1 sampai 5)"]


def test_rules_see_no_accepted_count_above_the_blocking_level():
    model = make_model({1: [[Role.UTAMA] * 2, [Role.UTAMA] * 2, [Role.UTAMA], [Role.UTAMA], [Role.UTAMA]]})
    seen: list[tuple[LevelTally, ...]] = []
    rule = SHIPPED_MODEL.value_rule

    class Spy:
        def value(self, tallies):
            seen.append(tuple(tallies))
            return rule.value(tallies)

    states = {c: ACCEPTED for c in ("I1-L1-01", "I1-L2-01", "I1-L2-02", "I1-L3-01")}
    indicator_value(model, 1, states, rule=Spy())  # type: ignore[arg-type]
    assert [t.accepted for t in seen[0]] == [1, 0, 0, 0, 0]


# --- externals ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sdi", "value"),
    [("0", 1), ("12.5", "1.5"), ("25", 2), ("37.5", "2.5"), ("62.5", "3.5"), ("68.75", "3.75"), ("75", 4), ("100", 5)],
)
def test_sdi_maps_by_one_plus_sdi_over_25(sdi, value):
    spec = SHIPPED_MODEL.external(5)
    assert spec.to_value(Fraction(sdi)) == Fraction(value)
    assert SHIPPED_MODEL.external(18).to_value(Fraction(sdi)) == Fraction(value)


def test_externals_wait_at_one_and_refuse_values_outside_their_scale():
    model = SHIPPED_MODEL
    assert [e.indicator for e in model.externals] == [5, 6, 7, 18]
    waiting = indicator_value(model, 5, {})
    assert (waiting.value, waiting.status, waiting.basis) == (1, WAITING, "external")
    assert indicator_value(model, 6, {}, reading=ExternalReading(6, Fraction("3.2"))).value == Fraction("3.2")
    assert indicator_value(model, 7, {}, reading=ExternalReading(7, Fraction(2))).value == 2
    for number, bad in ((5, "100.5"), (5, "-1"), (6, "0.5"), (7, "5.01")):
        with pytest.raises(ValueError, match="di luar"):
            indicator_value(model, number, {}, reading=ExternalReading(number, Fraction(bad)))
    with pytest.raises(ValueError, match="valued from its items"):
        indicator_value(model, 3, {}, reading=ExternalReading(3, Fraction(2)))


def test_states_must_name_catalog_items_by_their_tool_code():
    with pytest.raises(KeyError, match="unknown item codes: NOPE"):
        indicator_values(SHIPPED_MODEL, {"NOPE": ACCEPTED})
    with pytest.raises(KeyError, match="tool code, not: PG_04_01"):
        indicator_values(SHIPPED_MODEL, {"PG_04_01": ACCEPTED})


def test_item_state_refuses_derived_and_mismatched_statuses():
    from spbe.items.status import RevisionKind

    with pytest.raises(ValueError, match="derived"):
        ItemState(ItemStatus.DITOLAK_OTOMATIS)
    with pytest.raises(ValueError, match="revisi"):
        ItemState(ItemStatus.DITERIMA, RevisionKind.BELUM_DIUNGGAH)
    assert ItemState(ItemStatus.REVISI, RevisionKind.BUKTI_TIDAK_TEPAT).label == "revisi (bukti tidak tepat)"


def test_all_small_cases_exhaustively_match_the_independent_reading():
    """Every state of every item of a 2-2-1-1-1 catalog (with a pendukung item), for both rules."""
    model = make_model({1: [[Role.UTAMA, Role.PENDUKUNG], [Role.UNKNOWN, Role.UTAMA], [Role.UTAMA], [], [Role.UTAMA]]})
    codes = [i.code for i in model.catalog]
    for verdicts in itertools.product([False, True], repeat=len(codes)):
        states = {c: ACCEPTED if v else ItemState() for c, v in zip(codes, verdicts, strict=True)}
        for rule in SHIPPED_RULES:
            expected = independent_value(model, states, partial=rule.params.partial)
            assert indicator_value(model, 1, states, rule=rule).value == expected
