"""`spbe score` as a whole process: good files in the shapes Excel writes, every bad row named."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from spbe.frameworks import load_framework
from spbe.paths import frameworks_dir
from tests.utils.cli import run_spbe
from tests.utils.levels import write_levels

FW = load_framework("permenpanrb-59-2020")


def all_levels(value: object = 3) -> dict[int, object]:
    return {i.number: value for i in FW.indicators}


@pytest.mark.parametrize(("delimiter", "bom"), [(",", False), (";", True), (";", False), (",", True)])
def test_scores_comma_or_semicolon_with_or_without_bom(tmp_path: Path, delimiter: str, bom: bool):
    levels = all_levels(4)
    levels[47] = 5
    path = write_levels(tmp_path / "levels.csv", levels, delimiter=delimiter, bom=bom)
    result = run_spbe("score", "--levels", str(path), "--json")
    assert result.code == 0, result.err
    data = json.loads(result.out)
    assert data["framework"] == "permenpanrb-59-2020"
    assert data["index"] == "4.03" and data["predicate"] == "Sangat Baik"
    assert [d["name"] for d in data["domains"]] == FW.domains()
    assert [a["name"] for a in data["aspects"]] == FW.aspects()
    assert data["domains"][3] == {
        "name": "Layanan SPBE",
        "weight": "45.50",
        "index": "4.07",
        "index_exact": "370/91",  # (4 · 45.5 + 1 · 3.00) / 45.5
    }
    assert data["index_exact"] == "403/100" and data["predicate_reading"] == "exact" and data["bound_note"] is None


def test_human_output_names_index_and_predicate(tmp_path: Path):
    result = run_spbe("score", "--levels", str(write_levels(tmp_path / "l.csv", all_levels(5))))
    assert result.code == 0
    assert "Indeks SPBE: 5,00 (tepat 5,00)  Predikat: Memuaskan" in result.out
    assert "Predikat dibaca dari nilai tepat." in result.out and "Catatan" not in result.out


def test_an_exact_4_195_is_sangat_baik_shown_4_20_with_the_sentence(tmp_path: Path):
    levels = all_levels(4)
    levels.update(dict.fromkeys((42, 43, 44, 45, 21, 22, 23, 24, 25), 5))  # 4 + 0.12 + 0.075 = 4.195
    path = write_levels(tmp_path / "l.csv", levels)
    text = run_spbe("score", "--levels", str(path))
    assert text.code == 0, text.err
    assert "Indeks SPBE: 4,20 (tepat 4,195)  Predikat: Sangat Baik" in text.out
    assert "Catatan: 4,195 (tampil 4,20): di bawah batas Memuaskan 4,20." in text.out
    data = json.loads(run_spbe("score", "--levels", str(path), "--json").out)
    assert (data["index"], data["index_exact"], data["index_exact_decimal"]) == ("4.20", "839/200", "4.195")
    assert data["predicate"] == "Sangat Baik"
    assert data["bound_note"] == "4,195 (tampil 4,20): di bawah batas Memuaskan 4,20"


def test_pemdi_is_confirmed_and_an_unverified_framework_is_still_flagged(tmp_path: Path):
    pemdi = load_framework("pemdi-2026")
    path = write_levels(tmp_path / "l.csv", {i.number: 4 for i in pemdi.indicators})
    result = run_spbe("score", "--levels", str(path), "--framework", "pemdi-2026", "--json")
    assert result.code == 0 and "TERVERIFIKASI" not in result.err
    assert json.loads(result.out)["predicate"] == "Memuaskan"  # 4,00 is Memuaskan under PermenPANRB 8/2026
    text = run_spbe("score", "--levels", str(path), "--framework", "pemdi-2026")
    assert "Indeks Pemdi: 4,00 (tepat 4,00)  Predikat: Memuaskan" in text.out

    config = tmp_path / "config"
    shutil.copytree(frameworks_dir(), config / "frameworks")
    toml = config / "frameworks" / "pemdi-2026" / "framework.toml"
    toml.write_text(toml.read_text(encoding="utf-8").replace("verified = true", "verified = false"), encoding="utf-8")
    flagged = run_spbe(
        "score", "--levels", str(path), "--framework", "pemdi-2026", env={"SPBE_CONFIG_DIR": str(config)}
    )
    assert flagged.code == 0 and "kerangka pemdi-2026 BELUM TERVERIFIKASI" in flagged.err
    assert "pemdi-2026 (BELUM TERVERIFIKASI / unverified)" in flagged.out


@pytest.mark.parametrize(
    ("change", "line", "field", "words"),
    [
        ({5: 0}, 6, "level", "0 di luar 1–5"),
        ({5: 6}, 6, "level", "6 di luar 1–5"),
        ({5: "3.5"}, 6, "level", "'3.5' bukan bilangan bulat 1–5"),
        ({5: "tiga"}, 6, "level", "'tiga' bukan bilangan bulat"),
        ({5: ""}, 6, "level", "kosong; isi bilangan bulat 1–5"),
    ],
)
def test_bad_levels_name_line_and_field(tmp_path: Path, change, line, field, words):
    levels = all_levels()
    levels.update(change)
    result = run_spbe("score", "--levels", str(write_levels(tmp_path / "l.csv", levels)))
    assert result.code != 0
    assert f"baris {line}, kolom '{field}': {words}" in result.err  # the CSV reader's words for the place
    assert "Traceback" not in result.err and result.out == ""


def test_unknown_duplicated_and_missing_indicators(tmp_path: Path):
    levels = all_levels()
    del levels[30]
    path = write_levels(tmp_path / "l.csv", levels, extra_rows=["48,3", "7,4", "x,3"])
    result = run_spbe("score", "--levels", str(path))
    assert result.code != 0
    assert "baris 48, kolom 'indicator': 48 bukan indikator permenpanrb-59-2020 (1–47)" in result.err
    assert "baris 49, kolom 'indicator': indikator 7 muncul lagi (pertama di baris 8)" in result.err
    assert "baris 50, kolom 'indicator': 'x' bukan nomor indikator" in result.err
    assert "indikator tidak ada (setiap indikator harus muncul sekali): 30" in result.err
    assert "Traceback" not in result.err


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (b"", "berkas kosong"),
        (b"nomor,nilai\r\n1,3\r\n", "judul kolom harus memuat indicator,level"),
        ("indicator,level\n1,tiga\n".encode("utf-16"), "bukan teks UTF-8"),
    ],
)
def test_bad_files(tmp_path: Path, content: bytes, words: str):
    path = tmp_path / "l.csv"
    path.write_bytes(content)
    result = run_spbe("score", "--levels", str(path))
    assert result.code != 0 and words in result.err and "Traceback" not in result.err


def test_missing_file_and_unknown_framework(tmp_path: Path):
    result = run_spbe("score", "--levels", str(tmp_path / "nope.csv"))
    assert result.code != 0 and "berkas tidak dapat dibaca" in result.err
    path = write_levels(tmp_path / "l.csv", all_levels())
    result = run_spbe("score", "--levels", str(path), "--framework", "nope")
    assert result.code != 0 and "unknown framework 'nope'" in result.err


def _command_paths(group, prefix=()):
    for name, command in group.commands.items():
        path = (*prefix, name)
        yield path
        if hasattr(command, "commands"):
            yield from _command_paths(command, path)


def test_every_command_has_help():
    import typer.main

    from spbe.cli.main import app

    paths = list(_command_paths(typer.main.get_command(app)))
    assert {("init",), ("score",), ("timeline",)} <= set(paths)
    for path in paths:
        result = run_spbe(*path, "--help")
        assert result.code == 0 and "Penggunaan" in result.out, path


def test_unknown_command_is_a_usage_error_not_a_traceback():
    result = run_spbe("configuration")
    assert result.code == 2 and "No such command" in result.err and "Traceback" not in result.err
