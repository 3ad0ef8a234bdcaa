"""`spbe items` and `spbe score --items` as a user runs them: real processes, exit codes, output."""

from __future__ import annotations

import json
import shutil
from fractions import Fraction
from pathlib import Path

from spbe.paths import frameworks_dir
from tests.utils.cli import run_spbe

ACEH_LIKE = """code,status
I1-L1-01,diterima
I1-L2-01,diterima
I1-L2-02,diterima
I1-L2-03,revisi
I1-L3-01,diterima
I2-L1-01,diterima
I2-L1-02,diterima
I11-L1-01,diterima
I11-L1-02,diterima
I12-L1-01,diterima
I12-L1-02,proses
TD_13_02,diterima
I17-L1-01,diterima
I17-L1-02,diterima
I17-L2-01,diterima
I17-L2-02,diterima
I5,68.75
"""


def _write(tmp_path: Path, text: str, name: str = "items.csv", *, bom: bool = False, semicolon: bool = False) -> Path:
    path = tmp_path / name
    if semicolon:
        text = text.replace(",", ";")
    path.write_bytes(("\ufeff" if bom else "").encode() + text.encode("utf-8"))
    return path


def test_items_lists_the_catalog_as_json(tmp_path: Path):
    result = run_spbe("items", "--json")
    assert result.code == 0, result.err
    data = json.loads(result.out)
    assert data["framework"] == "pemdi-2026" and data["item_count"] == 242
    assert [i["indicator"] for i in data["indicators"]] == [f"I{n}" for n in range(1, 21)]
    i4 = data["indicators"][3]["levels"][0]["items"][0]
    assert {k: i4[k] for k in ("code", "official_code", "level", "role", "confidence")} == {
        "code": "I4-L1-01",
        "official_code": "PG_04_01",
        "level": 1,
        "role": "unknown",
        "confidence": "medium",
    }
    assert i4["text"] and "Niumination/PemdiAcehTengah" in i4["source"]
    assert data["value_rule"]["id"] == "lebar-tingkat" and data["value_rule"]["confidence"] == "low-medium"
    i9 = data["indicators"][8]
    assert i9["levels"][2]["items"] == [] and i9["levels"][2]["without_main_items"] is True
    assert (
        data["indicators"][4]["basis"] == "external" and "1 + nilai/25" in data["indicators"][4]["external"]["formula"]
    )
    assert "I9 tingkat 3" in result.err


def test_items_for_one_indicator_in_text(tmp_path: Path):
    result = run_spbe("items", "--indicator", "I10")
    assert result.code == 0, result.err
    assert "I10 Tingkat Kematangan Keamanan Pemdi" in result.out
    assert (
        "I10-L3-01" in result.out
        and "syarat: Tingkat 3 ke atas: hasil IKASANDI harus sudah diverifikasi BSSN" in result.out
    )
    assert "I1-L1-01" not in result.out
    assert "sumber:" in result.out and "keyakinan" in result.out
    assert "Aturan nilai:" in result.out and "rendah-sedang" in result.out
    only = json.loads(run_spbe("items", "-i", "3", "--json").out)
    assert [i["indicator"] for i in only["indicators"]] == ["I3"] and only["item_count"] == 25


def test_items_refuses_an_unknown_indicator_and_a_bad_city_catalog(tmp_path: Path):
    result = run_spbe("items", "--indicator", "I21")
    assert result.code != 0 and "--indicator 'I21'" in result.err and "Traceback" not in result.err
    city = tmp_path / "kota.csv"
    shutil.copy(frameworks_dir() / "pemdi-2026" / "items.csv", city)
    with city.open("a", encoding="utf-8") as fh:
        fh.write("I3,7,,,utama,Butir baru,Kota X,medium\nI3,2,,,utama,Butir baru,Kota X,\n")
    result = run_spbe("items", "--catalog", str(city), "--json")
    assert result.code != 0 and result.out == "" and "Traceback" not in result.err
    assert "kota.csv baris 244, kolom 'level': '7' di luar 1..5" in result.err
    assert "kota.csv baris 245, kolom 'confidence': kosong" in result.err


def test_items_with_a_city_catalog_gives_new_codes_and_says_so(tmp_path: Path):
    city = tmp_path / "kota.csv"
    shutil.copy(frameworks_dir() / "pemdi-2026" / "items.csv", city)
    with city.open("a", encoding="utf-8") as fh:
        fh.write("I3,2,,,utama,Butir baru dari revisi modul,Kota X (revisi modul Juli 2026),medium\n")
    result = run_spbe("items", "--catalog", str(city), "-i", "I3", "--json")
    assert result.code == 0, result.err
    data = json.loads(result.out)
    assert data["generated_codes"] == ["I3-L2-06"] and data["item_count"] == 26
    assert "I3-L2-06" in result.err and "tulis kode itu ke berkas" in result.err


def test_score_items_file_json(tmp_path: Path):
    result = run_spbe("score", "--framework", "pemdi-2026", "--items", str(_write(tmp_path, ACEH_LIKE)), "--json")
    assert result.code == 0, result.err
    data = json.loads(result.out)
    values = {i["indicator"]: i for i in data["indicators"]}
    assert values["I1"]["value"] == "2.00" and values["I1"]["blocking_level"] == 2
    assert values["I1"]["items"][5] == {  # I1-L3-01: accepted by the assessor, rejected by the rule
        "code": "I1-L3-01",
        "official_code": "",
        "level": 3,
        "role": "unknown",
        "entered": "diterima",
        "status": "ditolak otomatis",
        "note": "Otomatis ditolak karena tingkat kematangan sebelumnya ditolak",
    }
    assert (values["I12"]["value"], values["I13"]["value_exact"], values["I17"]["value"]) == ("1.25", "7/6", "2.50")
    assert values["I5"]["value"] == "3.75" and values["I5"]["external"]["source_value"] == "68.75"
    assert values["I6"]["status"] == "menunggu nilai eksternal" and values["I6"]["value"] == "1.00"
    assert data["value_rule"] == {
        "id": "lebar-tingkat",
        "kind": "level_widths",
        "name": data["value_rule"]["name"],
        "source": data["value_rule"]["source"],
        "confidence": "low-medium",
        "params": {"widths": ["0.5", "1", "1", "0.5", "1"], "partial": True},
    }
    assert "aturan resmi belum dipublikasikan" in data["value_rule"]["name"]
    exact = (
        5 * 2 + 5 * Fraction(3, 2) + 5 + 5 + 5 * Fraction(15, 4) + 3 + 3 + 4 + 4 + 4 + 3 * Fraction(3, 2)
        + 4 * Fraction(5, 4) + 5 * Fraction(7, 6) + 5 + 4 + 4 + 4 * Fraction(5, 2) + 3 + 10 + 15
    ) / 100  # fmt: skip
    assert data["index_exact"] == str(exact)
    assert data["index"] == "1.31" and data["predicate"] == "Kurang"
    assert data["waiting_externals"] == ["I6", "I7", "I18"]
    assert "menunggu nilai eksternal (dinilai 1): I6, I7, I18" in result.err


def test_score_items_text_names_the_rule_and_excel_files_work(tmp_path: Path):
    path = _write(tmp_path, ACEH_LIKE, bom=True, semicolon=True)
    result = run_spbe("score", "--framework", "pemdi-2026", "--items", str(path))
    assert result.code == 0, result.err
    assert "Indeks Pemdi: 1,31" in result.out and "Predikat: Kurang" in result.out
    assert "Aturan nilai: Lebar tingkat" in result.out and "keyakinan: rendah-sedang" in result.out
    assert "sumber: inferensi dari nilai resmi Kab. Aceh Tengah 2026" in result.out
    assert "I5         3,75   eksternal" in result.out
    strict = run_spbe("score", "-f", "pemdi-2026", "--items", str(path), "--value-rule", "tingkat-utuh", "--json")
    data = json.loads(strict.out)
    assert data["value_rule"]["id"] == "tingkat-utuh"
    assert {i["indicator"]: i["value"] for i in data["indicators"]}["I12"] == "1.00"


def test_score_items_errors_name_row_and_column_and_print_nothing(tmp_path: Path):
    bad = "code,status\nI1-L1-01,diterima\nI1-L1-01,revisi\nX-1,diterima\nI2-L1-01,oke\nI3,2\nI5,101\n"
    result = run_spbe("score", "-f", "pemdi-2026", "--items", str(_write(tmp_path, bad)), "--json")
    assert result.code != 0 and result.out == "" and "Traceback" not in result.err
    for words in (
        "baris 3, kolom 'code': butir I1-L1-01 sudah ada di baris 2",
        "baris 4, kolom 'code': 'X-1' bukan kode butir",
        "baris 5, kolom 'status': 'oke' bukan status",
        "baris 6, kolom 'code': I3 dinilai dari butirnya",
        "baris 7, kolom 'status': 101 di luar 0–100 untuk I5",
    ):
        assert words in result.err, words


def test_score_needs_exactly_one_input_and_an_items_framework(tmp_path: Path):
    path = _write(tmp_path, ACEH_LIKE)
    result = run_spbe("score", "--framework", "pemdi-2026")
    assert result.code != 0 and "beri tepat satu dari --levels BERKAS.csv atau --items BERKAS.csv" in result.err
    result = run_spbe("score", "--items", str(path))  # default framework scores levels
    assert result.code != 0 and "per tingkat" in result.err and "Traceback" not in result.err
    result = run_spbe("score", "-f", "pemdi-2026", "--items", str(path), "--value-rule", "nope")
    assert result.code != 0 and "--value-rule" in result.err and "tingkat-utuh" in result.err
    header = run_spbe("score", "-f", "pemdi-2026", "--items", str(_write(tmp_path, "kode,status\nI1-L1-01,diterima\n")))
    assert header.code != 0 and "judul kolom harus memuat code,status" in header.err
