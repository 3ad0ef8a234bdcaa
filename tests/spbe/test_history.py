"""Published results of earlier years: the named cases fit, an impossible set is refused with the
difference, and the tolerance is exactly the rounding the published values allow."""

from __future__ import annotations

from decimal import Decimal as D
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from spbe.frameworks import load_framework
from spbe.history import (
    GroupValue,
    HistoryError,
    OfficialResult,
    check,
    drafts_from_json,
    drafts_from_rows,
    possible_predicates,
    predicate_shown,
    resolve,
)
from spbe.scoring import score

FW = load_framework("permenpanrb-59-2020")
PEMDI = load_framework("pemdi-2026")
FRAMEWORKS = {FW.id: FW, PEMDI.id: PEMDI}
MINISTRY_ASPECTS = ["5", "3.75", "3.75", "5", "3", "2.6667", "4.3", "5"]


def result(index: str, kind: str, values: list[str], *, fw=FW, year: int = 2024, predicate=None) -> OfficialResult:
    names = fw.domains() if kind == "domain" else fw.aspects()
    groups = tuple(GroupValue(kind, n, D(v)) for n, v in zip(names, values, strict=True))
    return OfficialResult(year, fw.id, D(index), predicate, groups)


def test_kota_denpasar_2021_domains_produce_its_index():
    """Kota Denpasar 2021 (putuokky/monev-spbe-dps): 3,19 from domains 3,00 / 3,30 / 2,18 / 3,55."""
    (c,) = check(FW, result("3.19", "domain", ["3.00", "3.30", "2.18", "3.55"], year=2021))
    assert c.computed == Fraction("3.18995")  # 0.13·3 + 0.25·3.3 + 0.165·2.18 + 0.455·3.55
    assert c.difference == Fraction("0.00005") and c.tolerance == Fraction("0.01") and c.ok
    assert "dihitung 3,18995, terbit 3,19, selisih 0,00005 < toleransi pembulatan 0,01" in c.sentence()


def test_the_ministry_record_with_eight_aspects_and_exact_index_4_2125():
    record = result("4.2125000000", "aspect", MINISTRY_ASPECTS, predicate="Memuaskan")
    (c,) = check(FW, record)
    assert c.computed == Fraction("4.2125015")  # 2.6667 stands for 8/3: its rounding is the whole difference
    assert c.ok and c.difference == Fraction("0.0000015")
    # index to 10 decimals (±5e-11); 2,6667 to 4 (±5e-5, weight 4.5%); the others to 2 (±0.005, 95.5%)
    assert (
        c.tolerance
        == Fraction(1, 2 * 10**10)
        + (Fraction("95.5") * Fraction("0.005") + Fraction("4.5") * Fraction("0.00005")) / 100
    )
    assert possible_predicates(FW, record.index) == ["Memuaskan"]
    # the same levels the aspects come from, scored: aspect 6 is 8/3 exactly and the index 4.2125
    levels = {i.number: 5 for i in FW.indicators}
    levels.update({11: 4, 12: 4, 13: 4, 14: 3, 15: 4, 16: 4, 17: 4, 18: 3})
    levels.update(dict.fromkeys(range(21, 29), 3) | {29: 3, 30: 3, 31: 2})
    levels.update(dict.fromkeys(range(32, 42), 4) | {32: 5, 33: 5, 34: 5})
    scored = score(FW, levels)
    assert [str(a.index) for a in scored.aspects] == ["5.00", "3.75", "3.75", "5.00", "3.00", "2.67", "4.30", "5.00"]
    assert scored.exact == Fraction("4.2125") and scored.predicate == "Memuaskan"


def test_aspects_that_cannot_produce_the_index_are_refused_with_the_difference():
    with pytest.raises(HistoryError) as err:
        check(FW, result("4.30", "aspect", MINISTRY_ASPECTS))
    (problem,) = err.value.problems
    assert problem.startswith("2024: tidak konsisten dengan bobot permenpanrb-59-2020: indeks dari 8 aspek")
    assert "dihitung 4,2125015, terbit 4,30, selisih 0,0874985 ≥ toleransi pembulatan 0,00977725" in problem


@pytest.mark.parametrize(
    ("index", "ok"),
    [
        ("3.00", True),
        ("3.01", False),  # |3.00 - 3.01| = 0.01 = ½·10⁻² (index) + ½·10⁻² (domains): the ranges only touch
        ("3.009", False),  # three decimals: tolerance 0.0005 + 0.005
        ("3.005", True),  # 0.005 < 0.0055
        ("3.0055", False),  # 0.0055 ≥ 0.00005 + 0.005
        ("3.0050", True),  # 0.005 < 0.00005 + 0.005
        ("3.0051", False),  # 0.0051 ≥ 0.00005 + 0.005: one step at the last written decimal is always too far
    ],
)
def test_the_tolerance_is_exactly_the_rounding_allowed(index: str, ok: bool):
    record = result(index, "domain", ["3.00", "3.00", "3.00", "3.00"])
    if ok:
        assert check(FW, record)[0].ok
    else:
        with pytest.raises(HistoryError, match="tidak konsisten"):
            check(FW, record)


@given(st.lists(st.integers(1, 5), min_size=47, max_size=47))
def test_any_real_result_rounded_to_two_decimals_is_accepted(levels):
    """Whatever the levels, their published (rounded) index and aspects and domains fit together."""
    scored = score(FW, {i.number: v for i, v in zip(FW.indicators, levels, strict=True)})
    groups = tuple(GroupValue("domain", d.name, d.index) for d in scored.domains) + tuple(
        GroupValue("aspect", a.name, a.index) for a in scored.aspects
    )
    record = OfficialResult(2024, FW.id, scored.index, scored.predicate, groups)
    checks = check(FW, record)
    assert len(checks) == 2 + 4 and all(c.ok for c in checks)  # index from domains, from aspects; 4 domains


def test_domains_are_checked_against_their_aspects():
    scored = score(FW, dict.fromkeys(range(1, 48), 3))
    groups = tuple(GroupValue("domain", d.name, d.index) for d in scored.domains)
    aspects = tuple(
        GroupValue("aspect", a.name, D("4.00") if k == 1 else a.index) for k, a in enumerate(scored.aspects)
    )
    # index from aspects: 3 + 0.10 = 3.10 ≠ 3.00, and the Tata Kelola domain no longer fits its aspects
    with pytest.raises(HistoryError) as err:
        check(FW, OfficialResult(2024, FW.id, D("3.00"), None, groups + aspects))
    text = " ".join(err.value.problems)
    assert (
        "indeks dari 8 aspek: dihitung 3,10" in text and "domain Tata Kelola SPBE dari 3 aspek: dihitung 3,40" in text
    )


def test_incomplete_out_of_range_and_impossible_predicates():
    partial = OfficialResult(2022, FW.id, D("3.10"), None, (GroupValue("domain", FW.domains()[0], D("3.0")),))
    with pytest.raises(
        HistoryError, match="domain tidak lengkap: tanpa Tata Kelola SPBE, Manajemen SPBE, Layanan SPBE"
    ):
        check(FW, partial)
    with pytest.raises(HistoryError, match="indeks 5,30 di luar 1-5"):
        check(FW, OfficialResult(2022, FW.id, D("5.30")))
    with pytest.raises(HistoryError, match="predikat Memuaskan tidak mungkin untuk indeks 4,19"):
        check(FW, OfficialResult(2022, FW.id, D("4.19"), "Memuaskan"))
    with pytest.raises(HistoryError, match="predikat 'Unggul' tidak dikenal"):
        check(FW, OfficialResult(2022, FW.id, D("4.19"), "Unggul"))


def test_a_two_decimal_index_at_a_bound_may_carry_either_predicate():
    # 4,20 to two decimals stands for [4,195; 4,205): Sangat Baik below 4,2, Memuaskan from it.
    assert possible_predicates(FW, D("4.20")) == ["Memuaskan", "Sangat Baik"]
    assert predicate_shown(FW, OfficialResult(2024, FW.id, D("4.20"))) == "Sangat Baik atau Memuaskan"
    assert check(FW, OfficialResult(2024, FW.id, D("4.20"), "Sangat Baik")) == []
    assert possible_predicates(FW, D("4.2000")) == ["Memuaskan", "Sangat Baik"]  # [4,19995; 4,20005)
    assert possible_predicates(FW, D("4.2001")) == ["Memuaskan"]
    assert possible_predicates(FW, D("4.19")) == ["Sangat Baik"]


def test_csv_rows_by_name_or_position_with_decimal_commas():
    header = ["year", "kind", "name", "index"]
    rows = [
        (2, {"year": "2021", "kind": "indeks", "name": "", "index": "3,19"}),
        (3, {"year": "2021", "kind": "domain", "name": "1", "index": "3,00"}),
        (4, {"year": "2021", "kind": "domain", "name": "  tata KELOLA spbe ", "index": "3,30"}),
        (5, {"year": "2021", "kind": "domain", "name": "3", "index": "2,18"}),
        (6, {"year": "2021", "kind": "domain", "name": "Layanan SPBE", "index": "3.55"}),
    ]
    (record,) = resolve(
        drafts_from_rows(header, rows, "d.csv"), FRAMEWORKS, framework_for_year=lambda y: FW, source="d"
    )
    assert record.index == D("3.19") and [g.name for g in record.groups] == FW.domains()
    assert [str(g.value) for g in record.groups] == ["3.00", "3.30", "2.18", "3.55"]


def test_csv_problems_name_line_and_column():
    header = ["year", "kind", "name", "index"]
    rows = [
        (2, {"year": "dua ribu", "kind": "index", "name": "", "index": "3"}),
        (3, {"year": "2021", "kind": "bagian", "name": "", "index": "3"}),
        (4, {"year": "2021", "kind": "domain", "name": "1", "index": "tiga"}),
    ]
    with pytest.raises(HistoryError) as err:
        drafts_from_rows(header, rows, "d.csv")
    assert err.value.problems == [
        "d.csv baris 2, kolom 'year': 'dua ribu' bukan tahun",
        "d.csv baris 3, kolom 'kind': 'bagian' harus index, domain atau aspect",
        "d.csv baris 4, kolom 'index': 'tiga' bukan angka",
    ]
    with pytest.raises(HistoryError, match="tanpa kind, index"):
        drafts_from_rows(["year", "name"], [], "d.csv")


def test_ministry_json_keeps_its_decimals_and_matches_aspects_by_number():
    text = (
        '{"tahun": 2024, "kerangka": "permenpanrb-59-2020", "indeks": 4.2125000000, "predikat": "Memuaskan", '
        '"aspek": [' + ", ".join(f'{{"nomor": {k}, "indeks": {v}}}' for k, v in enumerate(MINISTRY_ASPECTS, 1)) + "]}"
    )
    (record,) = resolve(drafts_from_json(text), FRAMEWORKS, framework_for_year=lambda y: None, source="m")
    assert str(record.index) == "4.2125000000"  # a JSON number is read as a decimal, never a float
    assert [g.name for g in record.groups] == FW.aspects() and record.predicate == "Memuaskan"


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("{", "bukan JSON yang sah"),
        ('{"indeks": 3}', "'tahun' harus berupa tahun"),
        ('{"tahun": 2024}', "'indeks' tidak ada"),
        ('{"tahun": 2024, "indeks": "3,1", "skor": 1}', "kunci tidak dikenal: skor"),
        ('{"tahun": 2024, "indeks": "3,1", "aspek": [{"nama": "x"}]}', "butuh 'nama' (atau 'nomor') dan 'indeks'"),
        ('{"tahun": 2024, "indeks": true}', "nilai kosong atau bukan angka"),
    ],
)
def test_bad_json_is_named(text: str, words: str):
    with pytest.raises(HistoryError) as err:
        drafts_from_json(text)
    assert words in " ".join(err.value.problems)


def test_unknown_names_and_frameworks_are_named():
    text = '{"tahun": 2024, "indeks": "3,1", "aspek": [{"nama": "Aspek Khayalan", "indeks": 3}]}'
    with pytest.raises(HistoryError) as err:
        resolve(drafts_from_json(text), FRAMEWORKS, framework_for_year=lambda y: FW, source="m")
    assert (
        "aspek 'Aspek Khayalan' tidak ada di permenpanrb-59-2020 (ada: 1. Kebijakan Internal Tata Kelola SPBE;"
        in (err.value.problems[0])
    )
    with pytest.raises(HistoryError, match="kerangka tidak dapat ditentukan untuk tahun ini"):
        resolve(
            drafts_from_json('{"tahun": 2019, "indeks": 3}'), FRAMEWORKS, framework_for_year=lambda y: None, source="m"
        )
