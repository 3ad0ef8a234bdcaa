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
    assert len(pemdi.indicators) == 20 and not pemdi.verified
    assert "unverified" in pemdi.label.lower()
    assert fw.level_name(4) == "Terintegrasi dan Terukur"


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
