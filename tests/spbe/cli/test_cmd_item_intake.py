"""The item-by-item commands as a user runs them (real processes) on a Pemdi 2026 cycle: aim, submit
--item (a link and an uploaded file), review --item, external, assign --support / --item --to, thread
--item, status and score --store; and the same commands refused on a 59/2020 cycle."""

from __future__ import annotations

import json
from pathlib import Path

from tests.utils.cli import run_spbe
from tests.utils.pemdi import pemdi_cycle_file

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def _env(tmp_path: Path) -> dict[str, str]:
    return {
        "SPBE_DATA_DIR": str(tmp_path / "data"),
        "SPBE_DATABASE_URL": f"sqlite:///{tmp_path / 'data/spbe.db'}",
        "SPBE_NOW": "2026-07-01T10:00:00+07:00",
        "PREFECT_HOME": str(tmp_path / "prefect-home"),
        "PREFECT_API_URL": "",
    }


def ok(*args: str, env: dict[str, str]) -> str:
    result = run_spbe(*args, env=env)
    assert result.code == 0, (args, result.err)
    return result.out


def test_an_items_cycle_on_the_command_line(tmp_path: Path):
    env = _env(tmp_path)
    ok("init", "--config", str(pemdi_cycle_file(tmp_path)), env=env)
    admin = {**env, "SPBE_ACTOR": "adm-bag-org"}
    assert "I2 (BAG-ORG): tingkat sasaran 2 ditetapkan" in ok("aim", "--indicator", "I2", "--level", "2", env=admin)
    out = ok("submit", "--item", "I2-L1-01", "--evidence", "https://bukti.example/sk.pdf", "--note", "SK", env=admin)
    assert "butir I2-L1-01: versi 1 tercatat (1 bukti)" in out
    pdf = tmp_path / "notulen.pdf"
    pdf.write_bytes(PDF)
    data = json.loads(ok("submit", "--item", "i2-l1-02", "--evidence", str(pdf), "--json", env=admin))
    assert data["item"] == "I2-L1-02" and data["evidence"][0].startswith("file:sha256:")
    refused = run_spbe(
        "submit", "--item", "I2-L1-01", "--evidence", "https://x.example/a", env={**env, "SPBE_ACTOR": "adm-dinkominfo"}
    )
    assert refused.code == 2 and "BAG-ORG" in refused.err
    bad = run_spbe("review", "--item", "I2-L1-02", "--verdict", "revisi", "--as", "koordinator", env=env)
    assert bad.code == 1 and "kind" in bad.err and "note" in bad.err
    out = ok(
        "review",
        "--item",
        "I2-L1-02",
        "--verdict",
        "revisi",
        "--kind",
        "bukti_tidak_tepat",
        "--note",
        "Notulen belum ditandatangani",
        "--as",
        "koordinator",
        env=env,
    )
    assert "butir I2-L1-02: versi 1 revisi (bukti tidak tepat) oleh koordinator" in out
    out = ok("review", "--item", "I2-L1-01", "--verdict", "diterima", "--as", "koordinator", env=env)
    assert "versi 1 diterima" in out
    out = ok("external", "--indicator", "5", "--value", "68,75", "--date", "2026-05-01", env=env)
    assert "I5: Indeks Satu Data Indonesia" in out and "nilai 3,75" in out
    assert "OPD pendukung DINKOMINFO" in ok("assign", "--indicator", "2", "--support", "DINKOMINFO", env=env)
    assert "dijawab oleh DINKOMINFO" in ok("assign", "--item", "I2-L2-01", "--to", "DINKOMINFO", env=env)
    thread = ok("thread", "--item", "I2-L1-02", env=admin)
    assert "menjawab" in thread and "revisi (bukti tidak tepat)" in thread and "Notulen belum" in thread
    lines = thread.splitlines()  # in Indonesian, on the cycle's clock: no "%Y-%m-%d", no English label
    assert lines[0].startswith("I2-L1-02 (I2 tingkat 1): ")
    assert lines[1].startswith("Rabu, 1 Juli 2026 pukul 10.00 WIB  v1")
    assert any(line.startswith("      bukti: ") for line in lines)
    assert "      catatan: Notulen belum ditandatangani" in lines
    assert not any(word in thread for word in ("2026-07-01", "evidence:", "note:", "answers"))
    status = ok("status", env=env)
    assert "Indeks saat ini (butir diterima)" in status and "diterima 1, revisi 1" in status
    assert "Menunggu nilai eksternal (dinilai 1): I6, I7, I18" in status
    score = json.loads(ok("score", "--store", "--json", env=env))
    values = {i["indicator"]: i["value_exact"] for i in score["indicators"]}
    assert values["I5"] == "15/4" and values["I2"] == "5/4"  # 1 + half of level 1 (width 0,5) accepted
    stranger = run_spbe("aim", "--indicator", "2", "--level", "3", env={**env, "SPBE_ACTOR": "mallory"})
    assert stranger.code == 2 and "'mallory'" in stranger.err


def test_item_commands_on_a_levels_cycle_say_why_not(tmp_path: Path):
    env = {**_env(tmp_path), "SPBE_NOW": "2025-09-10T10:00:00+07:00"}
    ok("init", env=env)
    for args in (
        ("aim", "--indicator", "2", "--level", "3"),
        ("submit", "--item", "I2-L1-01", "--evidence", "https://bukti.example/a"),
        ("score", "--store"),
    ):
        result = run_spbe(*args, env=env)
        assert result.code == 2 and "dinilai per indikator" in result.err, (args, result.err)
    both = run_spbe("review", "--indicator", "1", "--item", "I1-L1-01", "--verdict", "diterima", "--as", "x", env=env)
    assert both.code == 1 and "tepat salah satu: --indicator N atau --item KODE" in both.err
