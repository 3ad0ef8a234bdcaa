"""`spbe thread` as a coordinator reads it: every word Indonesian, every time on the cycle's clock in the
Indonesian way ("Rabu, 10 September 2025 pukul 10.00 WIB"), a late version and a verdict in words; `--json`
keeps the machine's ISO 8601 and the stored verdict."""

from __future__ import annotations

import json
from pathlib import Path

from tests.utils.cli import run_spbe
from tests.utils.intake import loaded_store

LINK = "https://bukti.example/perwal-12.pdf"


def _env(tmp_path: Path, now: str, actor: str) -> dict[str, str]:
    return {
        "SPBE_DATA_DIR": str(tmp_path / "data"),
        "SPBE_DATABASE_URL": f"sqlite:///{tmp_path / 'data/spbe.db'}",
        "SPBE_NOW": now,
        "SPBE_ACTOR": actor,
    }


def _ok(*args: str, env: dict[str, str]) -> str:
    result = run_spbe(*args, env=env)
    assert result.code == 0, (args, result.err)
    return result.out


def test_the_thread_of_an_indicator_reads_in_indonesian(tmp_path: Path):
    loaded_store(f"sqlite:///{tmp_path / 'data/spbe.db'}")  # indicator 12: BAPPERIDA, assessed by asr-01
    opd = _env(tmp_path, "2025-09-10T10:00:00+07:00", "adm-bapperida")
    _ok("submit", "--opd", "BAPPERIDA", "-i", "12", "-l", "3", "-e", LINK, "--explanation", "Perwal 12/2025",
        "--note", "mohon dicek", env=opd)
    assessor = _env(tmp_path, "2025-10-06T14:30:00+07:00", "asr-01")
    reviewed = _ok("review", "-i", "12", "--verdict", "terima", "--level", "3", "--as", "asr-01", env=assessor)
    assert reviewed.strip() == "indikator 12: versi 1 diterima, level 3, oleh asr-01"
    late = _env(tmp_path, "2025-11-10T09:05:00+07:00", "adm-bapperida")  # after the self-assessment deadline
    _ok("submit", "--opd", "BAPPERIDA", "-i", "12", "-l", "4", "-e", LINK, env=late)

    coordinator = _env(tmp_path, "2025-11-11T08:00:00+07:00", "koordinator")
    text = _ok("thread", "-i", "12", env=coordinator)
    lines = text.splitlines()
    assert lines[0].startswith("Rabu, 10 September 2025 pukul 10.00 WIB  v1  BAPPERIDA (Badan Perencanaan")
    assert lines[0].endswith(": mengklaim level 3  [cli]")
    assert lines[1:4] == [
        "      penjelasan: Perwal 12/2025",
        "      catatan: mohon dicek",
        f"      bukti: {LINK}",
    ]
    assert lines[4].startswith("Senin, 6 Oktober 2025 pukul 14.30 WIB  v1  asr-01")
    assert lines[4].endswith(": diterima (level 3)  [cli]")
    assert lines[5].startswith("Senin, 10 November 2025 pukul 09.05 WIB  v2  BAPPERIDA")
    assert lines[5].endswith(": mengklaim level 4 [terlambat]  [cli]")
    for english in ("claims", "explanation", "evidence:", "note:", "accept", "late", "2025-09-10"):
        assert english not in text, english

    data = json.loads(_ok("thread", "-i", "12", "--json", env=coordinator))
    assert [(e["at"], e["verdict"], e["late"]) for e in data["entries"]] == [
        ("2025-09-10T03:00:00+00:00", None, False),
        ("2025-10-06T07:30:00+00:00", "accept", False),
        ("2025-11-10T02:05:00+00:00", None, True),
    ]


def test_a_thread_without_versions_says_so(tmp_path: Path):
    loaded_store(f"sqlite:///{tmp_path / 'data/spbe.db'}")
    text = _ok("thread", "-i", "13", env=_env(tmp_path, "2025-09-10T10:00:00+07:00", "koordinator"))
    assert text.strip() == "indikator 13: belum ada kiriman"
