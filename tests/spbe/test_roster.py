"""Roster fields that travel into mail headers, subjects and terminals: a line break or control character is
refused at load, naming the file, the entry and the field (it used to break every e-mail to that person)."""

from __future__ import annotations

from pathlib import Path

import pytest

from spbe.cycle_config import load_cycle_config
from spbe.errors import ConfigError
from spbe.roster import load_roster
from tests.conftest import CYCLE_FILE


def _copy(tmp_path: Path) -> tuple[Path, object]:
    cfg = load_cycle_config(CYCLE_FILE)
    folder = tmp_path / "roster"
    folder.mkdir()
    for name in ("opds.toml", "people.toml", "owners.toml"):
        (folder / name).write_text((cfg.roster_dir / name).read_text(encoding="utf-8"), encoding="utf-8")
    return folder, cfg.framework()


def test_a_line_break_or_control_character_in_a_header_field_is_refused_by_file_and_field(tmp_path: Path):
    folder, framework = _copy(tmp_path)
    people = (folder / "people.toml").read_text(encoding="utf-8")
    people = people.replace('name = "Rina Kusumawati"', 'name = "Rina\\rKusumawati"', 1)
    people = people.replace('email = "asr-01@pekalongan.example"', 'email = "asr-01@pekalongan.example\\u001b[2J"', 1)
    (folder / "people.toml").write_text(people, encoding="utf-8")
    opds = (folder / "opds.toml").read_text(encoding="utf-8")
    first_name = next(line for line in opds.splitlines() if line.startswith("name = "))
    opds = opds.replace(first_name, first_name[:-1] + '\\nBcc: semua@contoh.example"', 1)
    (folder / "opds.toml").write_text(opds, encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_roster(folder, framework)
    text = str(err.value)
    assert "people.toml coordinator #1: name memuat karakter kendali U+000D" in text
    assert "people.toml assessor #1: email memuat karakter kendali U+001B" in text
    assert "opds.toml opd #1 (" in text and "): name memuat karakter kendali U+000A" in text
    assert "\r" not in text and "\x1b" not in text


def test_the_shipped_roster_has_none():
    cfg = load_cycle_config(CYCLE_FILE)
    assert load_roster(cfg.roster_dir, cfg.framework()).people
