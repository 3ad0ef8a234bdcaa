"""Scoring must be exact: properties over random level sets, golden cases and predicate boundaries.

Expected predicates come from the regulations' tables written out here (59/2020 and PermenPANRB 8/2026
Tabel 4), not from the framework files, so a wrong bound in a file or a wrong reading fails a test."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from spbe.frameworks import load_framework, parse_framework
from spbe.paths import frameworks_dir
from spbe.scoring import bound_note, predicate_for, report_value, score

FW = load_framework("permenpanrb-59-2020")
PEMDI = load_framework("pemdi-2026")
NUMBERS = [i.number for i in FW.indicators]

# "Memuaskan 4,2 - 5; Sangat Baik 3,5 - < 4,2; ..." as the tables write them, compared with the exact index.
TABLE_59 = [
    (Fraction("4.2"), "Memuaskan"),
    (Fraction("3.5"), "Sangat Baik"),
    (Fraction("2.6"), "Baik"),
    (Fraction("1.8"), "Cukup"),
    (Fraction(0), "Kurang"),
]
TABLE_PEMDI = [
    (Fraction(4), "Memuaskan"),
    (Fraction("3.5"), "Sangat Baik"),
    (Fraction("2.5"), "Baik"),
    (Fraction("1.5"), "Cukup"),
    (Fraction(0), "Kurang"),
]


def by_table(table, exact: Fraction) -> str:
    return next(name for bound, name in table if exact >= bound)


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


@given(levels_strategy(FW))
def test_predicate_is_the_tables_reading_of_the_exact_index(levels):
    result = score(FW, levels)
    assert result.predicate == by_table(TABLE_59, result.exact)
    # the sentence appears exactly when the shown value would read differently from the exact one
    assert (result.bound_note is not None) == (by_table(TABLE_59, Fraction(result.index)) != result.predicate)


sixths = st.integers(6, 30).map(lambda k: Fraction(k, 6))
pemdi_values = st.one_of(st.integers(1, 5), sixths, st.decimals("1", "5", places=2).map(Fraction))


@given(st.lists(pemdi_values, min_size=20, max_size=20))
def test_pemdi_fractional_values_score_exactly(values):
    levels = {i.number: v for i, v in zip(PEMDI.indicators, values, strict=True)}
    result = score(PEMDI, levels)
    assert result.exact == sum(Fraction(i.weight) * levels[i.number] for i in PEMDI.indicators) / 100
    assert result.predicate == by_table(TABLE_PEMDI, result.exact)
    for aspect in result.aspects:
        members = [i for i in PEMDI.indicators if i.aspect == aspect.name]
        expected = sum(Fraction(i.weight) * levels[i.number] for i in members) / sum(
            Fraction(i.weight) for i in members
        )
        assert aspect.exact == expected


def test_aceh_tengah_2026_official_values_reproduce_the_published_aspects():
    """Kab. Aceh Tengah 2026, external assessors (shared/spbe/pemdi-2026/README.md): fractional values.
    I13 = 7/6 (published 1,17) is what makes Teknologi 1,08 rather than the 1,09 that 1,17 would give."""
    published = {1: "2", 2: "1.5", 3: "1.26", 4: "1.3", 11: "1.5", 12: "1.25", 17: "2.5", 20: "1.3"}
    levels = {i.number: Fraction(published.get(i.number, "1")) for i in PEMDI.indicators}
    levels[13] = Fraction(7, 6)
    result = score(PEMDI, levels)
    assert [str(a.index) for a in result.aspects] == ["1.75", "1.28", "1.00", "1.17", "1.08", "1.40", "1.18"]
    assert (str(result.index), result.predicate) == ("1.24", "Kurang")
    assert next(a for a in result.aspects if a.name == "Teknologi Pemdi").exact == Fraction(13, 12)


@pytest.mark.parametrize(
    ("value", "words"),
    [
        (6, "outside 1-5"),
        (0, "outside 1-5"),
        (Fraction(11, 2), "outside 1-5"),
        (Fraction(1, 2), "outside 1-5"),
        (2.5, "no floats"),
        (True, "no floats"),
        ("3", "no floats"),
    ],
)
def test_values_that_are_not_exact_levels_are_refused(value, words):
    levels = {i.number: 3 for i in PEMDI.indicators}
    levels[7] = value
    with pytest.raises(ValueError, match=words) as err:
        score(PEMDI, levels)
    assert "[7]" in str(err.value)


def test_golden_uniform_levels():
    assert score(PEMDI, dict.fromkeys(range(1, 21), 4)).predicate == "Memuaskan"  # Pemdi: Memuaskan from 4,00
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
    ("exact", "shown", "predicate", "note"),
    [
        (Fraction("4.195"), "4.20", "Sangat Baik", "4,195 (tampil 4,20): di bawah batas Memuaskan 4,20"),
        (Fraction("4.1965"), "4.20", "Sangat Baik", "4,1965 (tampil 4,20): di bawah batas Memuaskan 4,20"),
        (Fraction("4.1949"), "4.19", "Sangat Baik", None),
        (Fraction("4.2"), "4.20", "Memuaskan", None),
        (Fraction("3.495"), "3.50", "Baik", "3,495 (tampil 3,50): di bawah batas Sangat Baik 3,50"),
        (Fraction("3.494"), "3.49", "Baik", None),
        (Fraction("2.6"), "2.60", "Baik", None),
        (Fraction("1.795"), "1.80", "Kurang", "1,795 (tampil 1,80): di bawah batas Cukup 1,80"),
        (
            Fraction("4.2") - Fraction(1, 10**9),
            "4.20",
            "Sangat Baik",
            "4,199999999 (tampil 4,20): di bawah batas Memuaskan 4,20",
        ),
        (Fraction(1, 1), "1.00", "Kurang", None),
    ],
)
def test_predicate_boundaries_follow_the_exact_index(exact, shown, predicate, note):
    assert str(report_value(exact)) == shown
    assert by_table(TABLE_59, exact) == predicate  # the table itself, as a cross-check of the cases
    assert predicate_for(FW, exact) == predicate
    assert bound_note(FW, exact) == note


def test_a_non_terminating_index_is_cut_not_rounded_in_the_sentence():
    # Just under 4,20 by a third of a ten-thousandth: the text must not read as 4,2000.
    exact = Fraction("4.2") - Fraction(1, 30000)
    assert report_value(exact) == Decimal("4.20")
    assert bound_note(FW, exact) == "4,1999… (tampil 4,20): di bawah batas Memuaskan 4,20"


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


def test_exact_4_195_from_real_levels_is_sangat_baik_shown_4_20():
    # All at 4, then 42-45 (4 × 3.00%) and 21-25 (5 × 1.50%) one level up: 4 + 0.195 = 4.195 exactly.
    levels = dict.fromkeys(NUMBERS, 4)
    for n in (42, 43, 44, 45, 21, 22, 23, 24, 25):
        levels[n] = 5
    result = score(FW, levels)
    assert result.exact == Fraction("4.195")
    assert (str(result.index), result.predicate) == ("4.20", "Sangat Baik")
    assert result.bound_note == "4,195 (tampil 4,20): di bawah batas Memuaskan 4,20"
    data = result.as_dict()
    assert (data["index"], data["index_exact"], data["index_exact_decimal"]) == ("4.20", "839/200", "4.195")
    assert data["predicate"] == "Sangat Baik" and data["predicate_reading"] == "exact"
    assert data["bound_note"] == result.bound_note


def test_a_framework_that_reads_the_rounded_index(tmp_path):
    import shutil

    folder = tmp_path / "permenpanrb-59-2020"
    shutil.copytree(frameworks_dir() / "permenpanrb-59-2020", folder)
    toml = folder / "framework.toml"
    toml.write_text(toml.read_text().replace('predicate_reading = "exact"', 'predicate_reading = "rounded"'))
    rounded = parse_framework(folder)
    levels = dict.fromkeys(NUMBERS, 4)
    for n in (42, 43, 44, 45, 21, 22, 23, 24, 25):
        levels[n] = 5
    result = score(rounded, levels)
    assert result.predicate == "Memuaskan"
    assert result.bound_note == (
        "4,195 (tampil 4,20): nilai tepat di bawah batas Memuaskan 4,20; predikat dibaca dari nilai tampil"
    )


def test_missing_levels_refused():
    with pytest.raises(ValueError, match="missing"):
        score(FW, {1: 3})
