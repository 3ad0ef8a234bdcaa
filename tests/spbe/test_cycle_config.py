"""The cycle file: phases resolved to instants in WIB, deadlines moved off days off, clear errors."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from spbe.cycle_config import load_cycle_config, target_note
from spbe.domain.phases import PHASES
from spbe.errors import ConfigError
from spbe.frameworks import load_framework
from spbe.roster import load_roster
from tests.conftest import CYCLE_FILE


def test_pekalongan_2025_loads():
    cfg = load_cycle_config(CYCLE_FILE)
    assert (cfg.year, cfg.framework_id, cfg.timezone) == (2025, "permenpanrb-59-2020", "Asia/Jakarta")
    assert cfg.history == {2023: Decimal("3.29"), 2024: Decimal("3.76")}
    assert [p.name for p in cfg.phases] == list(PHASES)
    sa = cfg.phase("self-assessment")
    assert sa.deadline.astimezone(UTC) == datetime(2025, 9, 30, 9, 0, tzinfo=UTC)  # 16:00 WIB
    assert sa.deadline.isoformat() == "2025-09-30T16:00:00+07:00"
    assert [p.opens.month for p in cfg.phases] == [6, 8, 9, 10, 11, 12]


def test_target_disagreement_is_said():
    fw = load_framework("permenpanrb-59-2020")
    note = target_note(fw, Decimal("4.00"), "Memuaskan")
    assert note and "Sangat Baik" in note and "4.20" in note
    assert target_note(fw, Decimal("4.25"), "Memuaskan") is None
    assert target_note(load_framework("pemdi-2026"), Decimal("4.00"), "Memuaskan") is None


def _variant(tmp_path: Path, old: str, new: str) -> Path:
    text = CYCLE_FILE.read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / "cycle.toml"
    path.write_text(
        text.replace(old, new, 1).replace(
            'roster = "roster/pekalongan"', f'roster = "{CYCLE_FILE.parent / "roster/pekalongan"}"'
        )
    )
    return path


def test_deadline_on_day_off_moves_by_rule(tmp_path: Path):
    path = _variant(tmp_path, 'deadline = "2025-08-29 16:00"', 'deadline = "2025-08-17 16:00"')
    phase = load_cycle_config(path).phase("socialization")
    assert phase.requested_deadline.day == 17 and phase.deadline.day == 15 and phase.deadline_moved
    path = _variant(tmp_path, 'deadline_on_day_off = "previous"', 'deadline_on_day_off = "next"')
    text = path.read_text().replace('deadline = "2025-08-29 16:00"', 'deadline = "2025-08-17 16:00"')
    path.write_text(text)
    assert load_cycle_config(path).phase("socialization").deadline.day == 19


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ('timezone = "Asia/Jakarta"', 'timezone = "Asia/Atlantis"', "not a known time zone"),
        ('opens = "2025-09-01 08:00"', 'opens = "1 September"', "write the day, month and year"),
        ('opens = "2025-09-01 08:00"', 'opens = "2025-09-01"', "has no time of day"),
        ('when = "2025-08-12 09:00"', 'when = "Selasa, 13 Agustus 2025 09.00"', "is a Rabu, not Selasa"),
        ('deadline = "2025-10-31 16:00"', 'deadline = "2025-09-15 16:00"', "is not after its opening"),
        ('close = "auto"', 'close = "maybe"', "close must be 'auto' or 'approval'"),
        ('target_predicate = "Memuaskan"', 'target_predicate = "Luar Biasa"', "not defined"),
        ('2024 = "3.76"', '2024 = "7.5"', "outside 1.00-5.00"),
        ("[phases.revision]", "[phases.revisi]", "unknown phase"),
    ],
)
def test_bad_config_named(tmp_path: Path, old: str, new: str, message: str):
    with pytest.raises(ConfigError, match=message):
        load_cycle_config(_variant(tmp_path, old, new))


def test_roster_loads_and_validates(tmp_path: Path):
    cfg = load_cycle_config(CYCLE_FILE)
    roster = load_roster(cfg.roster_dir, cfg.framework())
    assert len(roster.opds) == 40
    assert len(roster.by_role("assessor")) >= 10 and roster.by_role("coordinator")
    assert set(roster.owners) == set(range(1, 48))
    bad = tmp_path / "roster"
    bad.mkdir()
    for name in ("opds.toml", "people.toml", "owners.toml"):
        (bad / name).write_text((cfg.roster_dir / name).read_text(encoding="utf-8"), encoding="utf-8")
    (bad / "people.toml").write_text(
        (bad / "people.toml").read_text().replace('opd = "INSPEKTORAT"', 'opd = "DINAS-X"', 1)
    )
    (bad / "owners.toml").write_text((bad / "owners.toml").read_text().replace('47 = "DPMPTSP"', '48 = "DPMPTSP"'))
    with pytest.raises(ConfigError) as err:
        load_roster(bad, cfg.framework())
    text = str(err.value)
    assert "assessor asr-03: OPD 'DINAS-X' is not in opds.toml" in text
    assert "'48' is not an indicator" in text
