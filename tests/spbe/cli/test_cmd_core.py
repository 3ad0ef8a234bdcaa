"""`spbe init` and `spbe timeline` as processes; the one clock."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from spbe import clock
from spbe.errors import ConfigError
from tests.utils.cli import run_spbe


def _env(tmp_path: Path) -> dict[str, str]:
    return {"SPBE_DATA_DIR": str(tmp_path / "data"), "SPBE_DATABASE_URL": f"sqlite:///{tmp_path / 'data/spbe.db'}"}


def test_init_prints_store_and_is_idempotent(tmp_path: Path):
    env = _env(tmp_path)
    first = run_spbe("init", env=env)
    assert first.code == 0, first.err
    assert "spbe.db" in first.out and "siklus: pekalongan-2025 dimuat dari" in first.out
    assert "skema: dibuat pada versi" in first.out
    second = run_spbe("init", env=env)
    assert second.code == 0 and "siklus: pekalongan-2025 tidak berubah" in second.out
    assert "skema: tidak berubah pada versi" in second.out


def test_timeline_json_shape(tmp_path: Path):
    result = run_spbe("timeline", "--json", env=_env(tmp_path))
    assert result.code == 0, result.err
    data = json.loads(result.out)
    names = [p["name"] for p in data["phases"]]
    assert names == ["locus", "socialization", "self-assessment", "document-review", "revision", "final-report"]
    sa = data["phases"][2]
    assert sa["opens"] == "2025-09-01T08:00:00+07:00" and sa["deadline"] == "2025-09-30T16:00:00+07:00"
    assert sa["working_days"] == 21
    assert sa["days_off"] == [{"date": "2025-09-05", "name": "Maulid Nabi Muhammad"}]
    assert "Sangat Baik" in data["target"]["note"]
    assert "Sangat Baik" in result.err  # said wherever the target is shown


def test_timeline_reads_the_store_after_init(tmp_path: Path):
    env = _env(tmp_path)
    assert run_spbe("init", env=env).code == 0
    result = run_spbe("timeline", env=env)
    assert result.code == 0 and "belum dibuka" in result.out and "store sqlite" in result.out
    assert "libur Senin, 18 Agustus 2025: Cuti Bersama Hari Kemerdekaan" in result.out
    assert "Senin, 1 September 2025 pukul 08.00 WIB" in result.out  # self-assessment opens, on the cycle's clock
    assert "target 4,00 (Memuaskan)" in result.out and "hari kerja" in result.out


def test_clock_override(monkeypatch: pytest.MonkeyPatch):
    from spbe.settings import get_settings

    monkeypatch.setenv("SPBE_NOW", "2025-09-30T16:00:00+07:00")
    get_settings.cache_clear()
    assert clock.now() == datetime(2025, 9, 30, 9, 0, tzinfo=UTC)
    monkeypatch.setenv("SPBE_NOW", "2025-09-30T16:00:00")
    get_settings.cache_clear()
    with pytest.raises(ConfigError, match="no UTC offset"):
        clock.now()
    fixed = datetime(2025, 1, 2, tzinfo=UTC)
    with clock.use_clock(fixed):
        assert clock.now() == fixed
    sim = clock.SimulatedClock(fixed)
    with clock.use_clock(sim):
        sim.advance_to(datetime(2025, 6, 1, tzinfo=UTC))
        assert clock.now().month == 6
        with pytest.raises(ValueError):
            sim.advance_to(fixed)


def test_spbe_now_reaches_commands(tmp_path: Path):
    result = run_spbe("init", env={**_env(tmp_path), "SPBE_NOW": "not-a-date"})
    assert result.code != 0 and "SPBE_NOW 'not-a-date' is not ISO 8601" in result.err


def test_read_only_commands_create_no_store(tmp_path: Path):
    missing = tmp_path / "nowhere" / "spbe.db"
    env = {"SPBE_DATA_DIR": str(tmp_path / "data"), "SPBE_DATABASE_URL": f"sqlite:///{missing}"}
    for args in (["status"], ["audit"], ["people"], ["outbox"]):
        result = run_spbe(*args, env=env)
        assert result.code == 1 and "is empty: run `spbe init` first" in result.err, (args, result.err)
    assert not missing.parent.exists()
