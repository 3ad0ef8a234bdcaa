"""The item catalog as data: the shipped one loads with sources and stable codes; a broken one is
refused with every problem named by file, line and field; a city can bring its own."""

from __future__ import annotations

import csv
import re
import shutil
from pathlib import Path

import pytest

from spbe.errors import ConfigError
from spbe.frameworks import load_framework, parse_framework
from spbe.items.catalog import ITEM_COLUMNS, Role
from spbe.items.model import with_city_catalog
from spbe.paths import frameworks_dir

SHIPPED = load_framework("pemdi-2026")
SHARED_ITEMS = Path("/work/shared/spbe/pemdi-2026/items.csv")


def test_shipped_catalog_loads_with_stable_codes_and_provenance():
    assert SHIPPED.evidence_model == "items"
    assert load_framework("permenpanrb-59-2020").evidence_model == "levels"
    assert load_framework("permenpanrb-59-2020").items is None
    catalog = SHIPPED.items.catalog
    assert len(catalog) == 242 and len(catalog.criteria) == 100
    assert catalog.generated == ()  # every code is written in the file
    for item in catalog:
        assert re.fullmatch(rf"I{item.indicator}-L{item.level}-\d\d", item.code), item
        assert item.text and item.source and item.role is Role.UNKNOWN and item.counts_as_main
    official = {i.official_code: i.code for i in catalog if i.official_code}
    assert official == {
        "PG_04_01": "I4-L1-01",
        "PG_04_02": "I4-L1-02",
        "PG_04_03": "I4-L1-03",
        "TD_13_01": "I13-L1-01",
        "TD_13_02": "I13-L1-02",
        "TD_13_04": "I13-L2-01",
        "TD_13_05": "I13-L2-02",
    }
    assert catalog.find("pg_04_02") is catalog.find("I4-L1-02") is not None
    assert {(c.indicator, c.level) for c in catalog.criteria} == {(n, lv) for n in range(1, 21) for lv in range(1, 6)}


@pytest.mark.skipif(not SHARED_ITEMS.is_file(), reason="shared domain notes not on this machine")
def test_shipped_catalog_follows_the_shared_notes_row_by_row():
    """Same rows, order, text, source and confidence as shared/spbe/pemdi-2026/items.csv, and the
    generated codes agree with the Aceh Tengah keys quoted in the sources ([repo key ... = I1-L2-03])."""
    with SHARED_ITEMS.open(encoding="utf-8", newline="") as fh:
        shared = list(csv.DictReader(fh))
    ours = SHIPPED.items.catalog.items
    assert len(shared) == len(ours)
    keyed = 0
    for row, item in zip(shared, ours, strict=True):
        assert (row["indicator"], int(row["level"]), row["code"]) == (
            f"I{item.indicator}",
            item.level,
            item.official_code,
        )
        assert (row["text"].strip(), row["source"].strip(), row["confidence"]) == (
            item.text,
            item.source,
            item.confidence.value,
        )
        key = re.search(r"= (I\d+-L\d-\d\d)\]", row["source"])
        if key:
            keyed += 1
            assert key.group(1) == item.code
    assert keyed == 231


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    target = tmp_path / "pemdi-2026"
    shutil.copytree(frameworks_dir() / "pemdi-2026", target)
    return target


def _rewrite(path: Path, edit) -> None:
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    edit(rows)
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh, lineterminator="\n").writerows(rows)


def _problems(folder: Path) -> list[str]:
    with pytest.raises(ConfigError) as err:
        parse_framework(folder)
    return err.value.problems


def test_every_bad_row_is_named_by_file_line_and_field(folder: Path):
    col = {name: n for n, name in enumerate(ITEM_COLUMNS)}

    def edit(rows):
        rows[1][col["indicator"]] = "I21"  # line 2
        rows[2][col["level"]] = "6"  # line 3
        rows[3][col["code"]] = "I1-L1-01"  # line 4: the code of line 2
        rows[4][col["text"]] = "  "  # line 5
        rows[5][col["role"]] = "wajib"  # line 6
        rows[6][col["confidence"]] = "pasti"  # line 7
        rows[7][col["confidence"]] = ""  # line 8
        rows[8][col["source"]] = ""  # line 9
        rows[9][col["level"]] = "0"  # line 10
        rows[10][col["official_code"]] = "a/b"  # line 11

    _rewrite(folder / "items.csv", edit)
    problems = _problems(folder)
    expected = [
        "items.csv baris 2, kolom 'indicator': I21 tidak ada dalam kerangka ini (I1..I20)",
        "items.csv baris 3, kolom 'level': '6' di luar 1..5",
        "items.csv baris 4, kolom 'code': kode 'I1-L1-01' sudah dipakai di baris 2",
        "items.csv baris 5, kolom 'text': kosong; tulis bukti yang diminta",
        "items.csv baris 6, kolom 'role': 'wajib' bukan peran; pilih utama, pendukung atau unknown",
        "items.csv baris 7, kolom 'confidence': 'pasti' bukan tingkat keyakinan; pilih: "
        "high, medium-high, medium, low-medium, low",
        "items.csv baris 8, kolom 'confidence': kosong; isi salah satu: high, medium-high, medium, low-medium, low "
        "(tidak ditebak)",
        "items.csv baris 9, kolom 'source': kosong; setiap baris menyebut sumbernya",
        "items.csv baris 10, kolom 'level': '0' di luar 1..5",
        "items.csv baris 11, kolom 'official_code': 'a/b' tidak sah (huruf, angka, '-', '_', '.'; maks. 64)",
    ]
    for line in expected:
        assert line in problems, (line, problems)
    # the removed level-1 item of I1 leaves I1 without a main item on level 1: said plainly too
    assert any(p.startswith("items.csv: I1 tidak punya butir utama di tingkat 1") for p in problems)


def test_criteria_file_is_validated_too(folder: Path):
    def edit(rows):
        rows[2][0], rows[2][1] = "I1", "1"  # a second criterion for I1 level 1 (line 3)
        rows[3][2] = ""  # line 4: empty criterion
        rows[4][4] = "maybe"  # line 5

    _rewrite(folder / "criteria.csv", edit)
    problems = _problems(folder)
    assert "criteria.csv baris 3: kriteria I1 tingkat 1 sudah ada di baris 2" in problems
    assert "criteria.csv baris 4, kolom 'criterion': kosong" in problems
    assert any(p.startswith("criteria.csv baris 5, kolom 'confidence': 'maybe'") for p in problems)


def test_bad_framework_data_is_listed_with_the_catalog(folder: Path):
    toml = folder / "framework.toml"
    text = toml.read_text(encoding="utf-8")
    text = text.replace('kind = "level_widths"', 'kind = "rahasia"', 1)
    text = text.replace("divisor = 25", "divisor = 0", 1)
    text = text.replace("max_age_months = 12", "max_age_months = -1", 1)
    toml.write_text(text, encoding="utf-8")
    problems = _problems(folder)
    assert "framework.toml [value_rule]: `kind` 'rahasia' tidak dikenal (tersedia: level_widths)" in problems
    assert "framework.toml [[externals]] ke-1: `divisor` harus positif" in problems
    assert "framework.toml [[item_conditions]] ke-1: `max_age_months` harus bilangan bulat positif, ada -1" in problems


def test_unknown_evidence_model_is_refused(folder: Path):
    toml = folder / "framework.toml"
    toml.write_text(toml.read_text(encoding="utf-8").replace('evidence_model = "items"', 'evidence_model = "x"'))
    assert "framework.toml: evidence_model 'x' must be one of levels, items" in _problems(folder)


def test_missing_header_column_is_one_clear_problem(folder: Path):
    _rewrite(folder / "items.csv", lambda rows: rows[0].__setitem__(ITEM_COLUMNS.index("text"), "teks"))
    problems = _problems(folder)
    assert any(p.startswith("items.csv baris 1: kolom wajib tidak ada: text") for p in problems)


def test_a_city_catalog_replaces_the_shipped_one_and_gets_stable_codes(tmp_path: Path):
    city = tmp_path / "items-kota.csv"
    shutil.copy(frameworks_dir() / "pemdi-2026" / "items.csv", city)

    def edit(rows):
        # the ministry adds an item to I3 level 2 mid-year; the city leaves its code empty
        rows.append(["I3", "2", "", "", "pendukung", "Sertifikat pelatihan tambahan", "Kota X, Juli 2026", "medium"])
        rows.append(["I3", "2", "", "PG_03_09", "utama", "Laporan baru", "Kota X, Juli 2026", "medium"])

    _rewrite(city, edit)
    fw = with_city_catalog(SHIPPED, items_file=city)
    catalog = fw.items.catalog
    assert catalog.generated == ("I3-L2-06", "I3-L2-07")  # after the five shipped I3 level-2 codes
    assert catalog.item("I3-L2-06").role is Role.PENDUKUNG
    assert catalog.find("PG_03_09").code == "I3-L2-07"
    assert [i.code for i in catalog.items_of(3, 2)][-2:] == ["I3-L2-06", "I3-L2-07"]
    assert SHIPPED.items.catalog.find("I3-L2-06") is None  # the cached shipped framework is untouched
    assert fw.items.value_rule is SHIPPED.items.value_rule

    _rewrite(city, lambda rows: rows.append(["I99", "2", "", "", "", "x", "y", "low"]))
    with pytest.raises(ConfigError, match=r"items-kota.csv baris 246, kolom 'indicator': I99 tidak ada"):
        with_city_catalog(SHIPPED, items_file=city)


def test_a_levels_framework_has_no_item_catalog():
    with pytest.raises(ConfigError, match="menilai per tingkat"):
        with_city_catalog(load_framework("permenpanrb-59-2020"), items_file=Path("x.csv"))


def test_item_conditions_attach_to_the_ikasandi_items():
    model = SHIPPED.items
    age, verified = model.conditions
    assert (age.id, age.max_age_months, verified.id, verified.verified_by) == (
        "ikasandi-umur",
        12,
        "ikasandi-verifikasi-bssn",
        "BSSN",
    )
    assert model.conditions_for(model.catalog.item("I10-L2-02")) == (age,)  # self-assessment allowed at L1–L2
    assert model.conditions_for(model.catalog.item("I10-L3-01")) == (age, verified)
    assert model.conditions_for(model.catalog.item("I10-L2-01")) == ()  # IIV documentation, not IKASANDI
    assert {i.indicator for i in model.catalog if model.conditions_for(i)} == {10, 11, 12}
