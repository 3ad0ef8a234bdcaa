"""Scoring must be exact: properties over random level sets, golden cases and predicate boundaries."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from spbe.frameworks import load_framework
from spbe.scoring import predicate_for, report_value, score

FW = load_framework("permenpanrb-59-2020")
PEMDI = load_framework("pemdi-2026")
NUMBERS = [i.number for i in FW.indicators]


def levels_strategy(fw):
    return st.lists(st.integers(1, 5), min_size=len(fw.indicators), max_size=len(fw.indicators)).map(
        lambda xs: {i.number: x for i, x in zip(fw.indicators, xs, strict=True)}
    )


@given(levels_strategy(FW))
def test_index_is_weighted_mean_within_bounds(levels):
    result = score(FW, levels)
    expected = sum(Fraction(i.weight) * levels[i.number] for i in FW.indicators) / 100
    assert result.exact == expected
    assert min(levels.values()) <= result.exact <= max(levels.values())
    for group in (*result.domains, *result.aspects):
        assert 1 <= group.exact <= 5


@given(levels_strategy(FW), st.sampled_from(NUMBERS))
def test_one_level_up_adds_exactly_weight_over_100(levels, number):
    if levels[number] == 5:
        levels[number] = 4
    before = score(FW, levels).exact
    raised = dict(levels)
    raised[number] += 1
    after = score(FW, raised).exact
    assert after - before == Fraction(FW.indicator(number).weight) / 100
    assert after > before  # monotone


@given(levels_strategy(PEMDI))
def test_pemdi_scores_and_predicate_agrees_with_shown_index(levels):
    result = score(PEMDI, levels)
    assert result.predicate == predicate_for(PEMDI, result.index)


def test_golden_uniform_levels():
    for level, predicate in [(1, "Kurang"), (2, "Cukup"), (3, "Baik"), (4, "Sangat Baik"), (5, "Memuaskan")]:
        result = score(FW, dict.fromkeys(NUMBERS, level))
        assert result.index == Decimal(level).quantize(Decimal("0.01"))
        assert result.predicate == predicate
        assert all(d.index == level for d in result.domains)
        assert [d.name for d in result.domains] == FW.domains()
        assert [a.name for a in result.aspects] == FW.aspects()


def test_golden_mixed_case_by_hand():
    # Domain 4 (Layanan, 45.5%) at 5, everything else at 3: 3 + 2 * 45.5/100 = 3.91.
    levels = {i.number: (5 if i.domain == "Layanan SPBE" else 3) for i in FW.indicators}
    result = score(FW, levels)
    assert result.exact == Fraction(391, 100)
    assert (result.index, result.predicate) == (Decimal("3.91"), "Sangat Baik")
    assert [str(d.index) for d in result.domains] == ["3.00", "3.00", "3.00", "5.00"]


def test_audit_aspect_uses_its_own_weights():
    # Aspect "Audit TIK" (29-31, 1.5 each): levels 1, 2, 2 → 5/3 = 1.6666… → shown 1.67.
    levels = dict.fromkeys(NUMBERS, 3)
    levels.update({29: 1, 30: 2, 31: 2})
    audit = next(a for a in score(FW, levels).aspects if a.name == "Audit TIK")
    assert audit.exact == Fraction(5, 3)
    assert audit.index == Decimal("1.67")


@pytest.mark.parametrize(
    ("exact", "shown", "predicate"),
    [
        (Fraction(4195, 1000), "4.20", "Memuaskan"),  # half-up: shown 4.20 is Memuaskan, never Sangat Baik
        (Fraction(41949, 10000), "4.19", "Sangat Baik"),
        (Fraction(42, 10), "4.20", "Memuaskan"),
        (Fraction(3495, 1000), "3.50", "Sangat Baik"),
        (Fraction(3494, 1000), "3.49", "Baik"),
        (Fraction(26, 10), "2.60", "Baik"),
        (Fraction(1795, 1000), "1.80", "Cukup"),
        (Fraction(1, 1), "1.00", "Kurang"),
    ],
)
def test_predicate_boundaries_follow_the_shown_index(exact, shown, predicate):
    assert str(report_value(exact)) == shown
    assert predicate_for(FW, report_value(exact)) == predicate


def test_exact_index_on_a_boundary_from_real_levels():
    # All at 4 (4.00), then one level up on 42-45 (4 × 0.03), 32-33 (2 × 0.0275) and 21 (0.015):
    # 4 + 0.19 = 4.19 exactly. One more on 22 (+0.015) gives 4.205, shown 4.21.
    levels = dict.fromkeys(NUMBERS, 4)
    for n in (42, 43, 44, 45, 32, 33, 21):
        levels[n] = 5
    result = score(FW, levels)
    assert result.exact == Fraction(419, 100)
    assert (str(result.index), result.predicate) == ("4.19", "Sangat Baik")
    levels[22] = 5
    result = score(FW, levels)
    assert (str(result.index), result.predicate) == ("4.21", "Memuaskan")


def test_missing_levels_refused():
    with pytest.raises(ValueError, match="missing"):
        score(FW, {1: 3})
