"""Frameworks are data, validated on load with every problem named."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from spbe.errors import ConfigError
from spbe.frameworks import available_frameworks, load_framework, parse_framework
from spbe.paths import frameworks_dir


def test_shipped_frameworks_load():
    assert {"permenpanrb-59-2020", "pemdi-2026"} <= set(available_frameworks())
    fw = load_framework("permenpanrb-59-2020")
    assert len(fw.indicators) == 47 and fw.verified
    assert len(fw.domains()) == 4 and len(fw.aspects()) == 8
    assert sum(i.weight for i in fw.indicators) == 100
    pemdi = load_framework("pemdi-2026")
    assert len(pemdi.indicators) == 20 and pemdi.verified
    assert pemdi.label == "pemdi-2026" and "unverified" not in pemdi.label.lower()
    assert pemdi.name == "PermenPANRB No. 8 Tahun 2026 (Evaluasi Kinerja Pemerintah Digital)"
    assert (fw.predicate_reading, pemdi.predicate_reading) == ("exact", "exact")


def test_59_2020_level_names_follow_lampiran_i_tabel_1_and_the_service_scale():
    fw = load_framework("permenpanrb-59-2020")
    capability = ["Rintisan", "Terkelola", "Terdefinisi", "Terpadu dan Terukur", "Optimum"]
    service = ["Informasi", "Interaksi", "Transaksi", "Kolaborasi", "Optimalisasi"]
    for n in range(1, 48):
        expected = service if 32 <= n <= 47 else capability
        assert [fw.level_name(lv, indicator=n) for lv in range(1, 6)] == expected, n
    assert [lv.name for lv in fw.levels] == capability
    assert fw.level_text(4, indicator=20) == "4 (Terpadu dan Terukur)"
    assert fw.level_text(4, indicator=32) == "4 (Kolaborasi)"
    assert [s.key for s in fw.all_scales()] == ["default", "layanan"]


def test_pemdi_levels_aspects_and_bounds_as_permenpanrb_8_2026_writes_them():
    pemdi = load_framework("pemdi-2026")
    assert [lv.label for lv in pemdi.levels] == [
        "Merintis (Initiate)",
        "Membangun (Emerging)",
        "Berkembang (Developing)",
        "Melembaga (Embedded)",
        "Unggul (Leading)",
    ]
    assert pemdi.level_name(3, indicator=20) == "Berkembang" and not pemdi.scales
    weights = [pemdi.group_weight("aspect", a) for a in pemdi.aspects()]
    assert weights == [10, 10, 15, 15, 10, 15, 25]
    assert [(p.name, str(p.min)) for p in pemdi.predicates] == [
        ("Memuaskan", "4.00"),
        ("Sangat Baik", "3.50"),
        ("Baik", "2.50"),
        ("Cukup", "1.50"),
        ("Kurang", "1.00"),
    ]
    assert any("Periodisitas" in n and "belum dikonfirmasi" in n for n in pemdi.notes)
    assert pemdi.index_name == "Indeks Pemdi" and pemdi.covers_year(2026) and not pemdi.covers_year(2025)
    assert load_framework("permenpanrb-59-2020").covers_year(2025)
    assert not load_framework("permenpanrb-59-2020").covers_year(2026)


@pytest.fixture
def broken(tmp_path: Path) -> Path:
    folder = tmp_path / "permenpanrb-59-2020"
    shutil.copytree(frameworks_dir() / "permenpanrb-59-2020", folder)
    return folder


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_weights_must_sum_to_100(broken: Path):
    _edit(broken / "indicators.csv", "Sumber Daya Manusia,1.50", "Sumber Daya Manusia,1.55")
    with pytest.raises(ConfigError, match=r"weights sum to 100.05, not 100"):
        parse_framework(broken)


def test_numbers_unique_and_contiguous(broken: Path):
    _edit(broken / "indicators.csv", "\n12,", "\n11,")
    with pytest.raises(ConfigError) as err:
        parse_framework(broken)
    text = str(err.value)
    assert "repeat: [11]" in text and "missing [12]" in text


def test_bounds_must_be_ordered(broken: Path):
    _edit(broken / "framework.toml", 'min = "3.50"', 'min = "4.50"')
    with pytest.raises(ConfigError, match="strictly decreasing"):
        parse_framework(broken)


def test_bad_weight_names_the_line(broken: Path):
    _edit(broken / "indicators.csv", "Audit TIK,1.30", "Audit TIK,satu")
    with pytest.raises(ConfigError, match=r"line 10: weight 'satu' is not a number"):
        parse_framework(broken)


def test_unknown_framework_lists_the_known_ones():
    with pytest.raises(ConfigError, match="available: pemdi-2026, permenpanrb-59-2020"):
        load_framework("permenpanrb-2099")


def test_predicate_reading_must_be_exact_or_rounded(broken: Path):
    _edit(broken / "framework.toml", 'predicate_reading = "exact"', 'predicate_reading = "dibulatkan"')
    with pytest.raises(ConfigError, match="predicate_reading must be one of exact, rounded, got 'dibulatkan'"):
        parse_framework(broken)


def test_a_missing_reading_means_exact(broken: Path):
    _edit(broken / "framework.toml", 'predicate_reading = "exact"', "")
    assert parse_framework(broken).predicate_reading == "exact"


def test_bounds_have_at_most_two_decimals(broken: Path):
    _edit(broken / "framework.toml", 'min = "4.20"', 'min = "4.195"')
    with pytest.raises(ConfigError, match=r"Memuaskan bound 4\.195 has more than two decimals"):
        parse_framework(broken)


@pytest.mark.parametrize(
    ("old", "new", "words"),
    [
        ('indicators = "32-47"', 'indicators = "32-48"', "scale layanan: unknown indicator(s) [48]"),
        ('indicators = "32-47"', 'indicators = "tiga"', "must read like '32-47'"),
        ('name = "Kolaborasi"', 'nama = "Kolaborasi"', "scale layanan levels needs a level number and a name"),
        ('key = "layanan"', 'key = "default"', "a scale needs a key other than 'default'"),
    ],
)
def test_scale_problems_are_named(broken: Path, old: str, new: str, words: str):
    _edit(broken / "framework.toml", old, new)
    with pytest.raises(ConfigError) as err:
        parse_framework(broken)
    assert words in str(err.value)


def test_an_indicator_in_two_scales_is_refused(broken: Path):
    text = (broken / "framework.toml").read_text(encoding="utf-8")
    start = text.index("[[scales]]")
    end = text.index("# Predicates")
    twin = text[start:end].replace('key = "layanan"', 'key = "kembar"').replace('"32-47"', '"40-41"')
    (broken / "framework.toml").write_text(text[:end] + twin + text[end:], encoding="utf-8")
    with pytest.raises(ConfigError, match="indicator 40 is in scale layanan and in scale kembar"):
        parse_framework(broken)
