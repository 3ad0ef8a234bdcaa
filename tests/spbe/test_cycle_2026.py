"""The 2026 cycle file (Pemdi): it loads, its internal review ends before the ministry's upload deadline,
the shared roster gives owners by Pemdi numbering, and the SPBE years beside it are said to be another scale."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from itertools import pairwise
from pathlib import Path
from zoneinfo import ZoneInfo

from spbe.cycle_config import load_cycle_config
from spbe.domain.phases import PHASES
from spbe.frameworks import available_frameworks, load_framework
from spbe.report.yearly import scale_caveat
from spbe.roster import load_roster, owners_path
from tests.conftest import ROOT

CYCLE_2026 = ROOT / "config" / "pekalongan-2026.toml"
WIB = ZoneInfo("Asia/Jakarta")
MINISTRY_UPLOAD_DEADLINE = datetime(2026, 9, 15, 16, 0, tzinfo=WIB)  # shared/spbe/pemdi-2026 "Stages"


def test_pekalongan_2026_loads_on_pemdi():
    cfg = load_cycle_config(CYCLE_2026)
    fw = cfg.framework()
    assert (cfg.year, cfg.framework_id, cfg.code) == (2026, "pemdi-2026", "pekalongan-2026")
    assert fw.items is not None and len(fw.items.catalog) > 200
    assert [p.name for p in cfg.phases][: len(PHASES)] == list(PHASES)
    assert fw.predicate_lower_bound(cfg.target_predicate) <= cfg.target_index
    assert cfg.history == {2023: Decimal("3.29"), 2024: Decimal("3.76")}


def test_internal_review_ends_before_the_ministry_upload_deadline():
    cfg = load_cycle_config(CYCLE_2026)
    internal = [p for p in cfg.phases if p.name in PHASES]
    assert internal[0].opens > datetime(2026, 6, 5, tzinfo=WIB)  # after the regulation was promulgated
    assert all(p.deadline < MINISTRY_UPLOAD_DEADLINE for p in internal)
    assert cfg.phase("revision").deadline.date() < MINISTRY_UPLOAD_DEADLINE.date()
    for before, after in pairwise(internal):
        assert before.deadline < after.opens  # no overlap inside the city's review


def test_shared_roster_takes_the_pemdi_owners_file(tmp_path: Path):
    cfg = load_cycle_config(CYCLE_2026)
    fw = cfg.framework()
    assert owners_path(cfg.roster_dir, fw).name == "owners-pemdi-2026.toml"
    roster = load_roster(cfg.roster_dir, fw)
    assert set(roster.owners) == {i.number for i in fw.indicators}
    assert roster.owners[3] == "BKPSDM" and roster.owners[1] == "BAPPERIDA"
    spbe = load_framework("permenpanrb-59-2020")
    assert owners_path(cfg.roster_dir, spbe).name == "owners.toml"  # the 2025 cycle is untouched
    assert len(load_roster(cfg.roster_dir, spbe).owners) == 47


def test_a_bad_owner_in_the_framework_file_names_that_file(tmp_path: Path):
    import shutil

    import pytest

    from spbe.errors import ConfigError

    folder = tmp_path / "roster"
    shutil.copytree(ROOT / "config" / "roster" / "pekalongan", folder)
    (folder / "owners-pemdi-2026.toml").write_text('[owners]\n21 = "DINKOMINFO"\n2 = "NOPE"\n', encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_roster(folder, load_framework("pemdi-2026"))
    text = str(caught.value)
    assert "owners-pemdi-2026.toml: '21' is not an indicator of pemdi-2026" in text
    assert "owners-pemdi-2026.toml: indicator 2: OPD 'NOPE'" in text


def test_spbe_years_beside_a_pemdi_year_carry_the_scale_sentence():
    cfg = load_cycle_config(CYCLE_2026)
    known = {f: load_framework(f) for f in available_frameworks()}
    caveat = scale_caveat(framework=cfg.framework(), year=2026, history=cfg.history, frameworks=known)
    assert caveat is not None
    assert [e["year"] for e in caveat["earlier"]] == [2023, 2024]
    assert {e["framework"] for e in caveat["earlier"]} == {"permenpanrb-59-2020"}
    assert "Indeks SPBE 2024: 3,76" in caveat["note"] and "skala yang berbeda" in caveat["note"]
    same = scale_caveat(
        framework=known["permenpanrb-59-2020"], year=2025, history={2024: Decimal("3.76")}, frameworks=known
    )
    assert same is None  # SPBE beside SPBE: one scale, nothing to say
