"""`spbe plan` as a process: from a levels file or the store, the JSON shape, the plain answers (already
met, unreachable), cost and cap files, and every bad row named."""

from __future__ import annotations

import json
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import pytest
from sqlmodel import select

from spbe.errors import InputError
from spbe.frameworks import load_framework
from spbe.report.planning import parse_cost, read_costs
from spbe.store import models as m
from spbe.store.db import session_scope
from tests.utils.cli import run_spbe
from tests.utils.levels import write_levels
from tests.utils.report import seed
from tests.utils.store import loaded_store as loaded

FW = load_framework("permenpanrb-59-2020")
REQUIRED = {"target", "reachable", "index_after", "total_cost", "raises"}


def all_levels(value: int) -> dict[int, int]:
    return {i.number: value for i in FW.indicators}


@pytest.fixture
def no_store(tmp_path: Path) -> dict[str, str]:
    """An environment whose store does not exist: plans then come from the cycle file."""
    return {"SPBE_DATABASE_URL": f"sqlite:///{tmp_path / 'absent.db'}", "SPBE_DATA_DIR": str(tmp_path / "data")}


def write_column(path: Path, column: str, values: dict[int, object], delimiter: str = ",") -> Path:
    lines = [f"indicator{delimiter}{column}", *(f"{n}{delimiter}{v}" for n, v in values.items())]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def score_after(tmp_path: Path, levels: dict[int, int], raises: list[dict]) -> dict:
    after = dict(levels)
    for r in raises:
        assert after[r["indicator"]] == r["from"] < r["to"] <= 5
        after[r["indicator"]] = r["to"]
    result = run_spbe("score", "--levels", str(write_levels(tmp_path / "after.csv", after)), "--json")
    assert result.code == 0, result.err
    return json.loads(result.out)


def test_from_levels_file_json_reaches_the_predicate_bound(tmp_path: Path, no_store: dict[str, str]):
    levels = all_levels(4)
    levels.update({12: 2, 33: 3, 36: 3, 44: 2})  # 3.835 → 3.84, below Memuaskan
    path = write_levels(tmp_path / "levels.csv", levels)
    result = run_spbe("plan", "--levels", str(path), "--json", env=no_store)
    assert result.code == 0, result.err
    # target 4.00 would stay Sangat Baik
    assert "predikat Memuaskan dimulai dari 4,20, maka target perencanaan 4,20" in result.err
    data = json.loads(result.out)
    assert set(data) >= REQUIRED
    assert data["target"] == "4.20" and data["reachable"] is True and data["already_met"] is False
    assert data["index_before"] == "3.84" and data["predicate_after"] == "Memuaskan"
    assert Fraction(data["index_after_exact"]) >= Fraction("4.2")  # the exact bound, not 4.195
    for r in data["raises"]:
        assert {"indicator", "from", "to", "cost"} <= set(r)
    assert Decimal(data["total_cost"]) == sum(r["to"] - r["from"] for r in data["raises"]) == data["steps"]
    scored = score_after(tmp_path, levels, data["raises"])
    assert scored["index"] == data["index_after"] and Decimal(scored["index"]) >= Decimal("4.20")
    owners = {r["indicator"]: r["owner_opd"] for r in data["raises"]}
    assert all(owners.values())  # from the roster's owners.toml when there is no store
    if 12 in owners:
        assert owners[12] == "BAPPERIDA"


def test_human_output_lists_raises_with_owner_and_the_result(tmp_path: Path, no_store: dict[str, str]):
    levels = all_levels(4)
    levels[12] = 1
    result = run_spbe(
        "plan", "--levels", str(write_levels(tmp_path / "l.csv", levels)), "--target", "4.1", env=no_store
    )
    assert result.code == 0, result.err
    out = result.out
    assert "Indeks saat ini: 3,93 (tepat 3,925, Sangat Baik)" in out
    assert "Target: indeks tepat 4,10 (Sangat Baik)" in out
    assert "No.  Indikator" in out and "OPD pemilik" in out and "Tambahan indeks" in out
    assert "4 (Kolaborasi) → 5 (Optimalisasi)" in out  # service indicators on their own scale
    assert "Indeks setelah rencana: 4,10 (tepat 4,10)  Predikat: Sangat Baik" in out
    assert "peringatan" not in result.err  # an explicit target needs no warning


def test_from_the_store_uses_its_levels_owners_and_says_what_was_assumed(sqlite_url: str, tmp_path: Path):
    engine = loaded(sqlite_url)
    with session_scope(engine) as session:
        seeded = seed(session)
        for a in session.exec(select(m.Assignment)):
            a.owner_opd = "BAG-UMUM"  # differs from owners.toml: the store must win
    env = {"SPBE_DATABASE_URL": sqlite_url}
    validated = run_spbe("plan", "--json", env=env)
    assert validated.code == 0, validated.err
    data = json.loads(validated.out)
    assert data["basis"] == "validated" and data["assumed_level_1"] == sorted(seeded.missing)
    assert set(data["assumed_claimed"]) == {n for n in range(1, 48) if n % 6 in (3, 4)}
    assert data["notes"] and "belum divalidasi" in data["notes"][0]
    assert {r["owner_opd"] for r in data["raises"]} == {"BAG-UMUM"}
    assert score_after(tmp_path, seeded.validated, data["raises"])["index"] == data["index_after"]

    claimed = run_spbe("plan", "--basis", "claimed", env=env)
    assert claimed.code == 0, claimed.err
    expected = json.loads(
        run_spbe("score", "--levels", str(write_levels(tmp_path / "c.csv", seeded.claimed)), "--json").out
    )
    shown = expected["index"].replace(".", ",")
    assert f"Indeks saat ini: {shown} (tepat " in claimed.out and "(claimed)" in claimed.out
    assert "Catatan: dasar klaim OPD: level 1 diasumsikan" in claimed.out


def test_already_met_is_a_plain_answer(tmp_path: Path, no_store: dict[str, str]):
    path = write_levels(tmp_path / "l.csv", all_levels(5))
    text = run_spbe("plan", "--levels", str(path), env=no_store)
    assert text.code == 0 and "Sudah tercapai: indeks tepat 5,00 ≥ target 4,20" in text.out
    data = json.loads(run_spbe("plan", "--levels", str(path), "--json", env=no_store).out)
    assert data["already_met"] and data["reachable"] and data["raises"] == [] and data["total_cost"] == "0"


def test_unreachable_under_caps_is_a_plain_answer(tmp_path: Path, no_store: dict[str, str]):
    levels = write_levels(tmp_path / "l.csv", all_levels(2))
    caps = write_column(tmp_path / "max.csv", "max", all_levels(3))
    text = run_spbe("plan", "--levels", str(levels), "--max", str(caps), env=no_store)
    assert text.code == 0, text.err
    assert "Tidak dapat dicapai: indeks tertinggi yang diizinkan batas level 3,00 (tepat 3,00)" in text.out
    data = json.loads(run_spbe("plan", "--levels", str(levels), "--max", str(caps), "--json", env=no_store).out)
    assert data["reachable"] is False and data["index_after"] == "3.00" and data["best_reachable"] == "3.00"
    assert all(r["to"] == 3 for r in data["raises"]) and len(data["raises"]) == 47


def test_costs_steer_the_plan_and_excel_decimal_commas_are_read(tmp_path: Path, no_store: dict[str, str]):
    levels = write_levels(tmp_path / "l.csv", all_levels(4))
    costs = {n: 100 for n in range(32, 48)} | {11: "2,5"}
    cost_file = write_column(tmp_path / "costs.csv", "cost", costs, delimiter=";")
    args = ["plan", "--levels", str(levels), "--costs", str(cost_file), "--target", "4.05"]
    data = json.loads(run_spbe(*args, "--json", env=no_store).out)
    assert data["total_cost"] == "2" and data["index_after"] == "4.05"
    assert all(12 <= r["indicator"] <= 20 for r in data["raises"]), data["raises"]
    text = run_spbe(*args, env=no_store)
    assert "Total biaya: 2 (2 kenaikan level, 2 indikator)" in text.out


def test_bad_costs_and_caps_files_name_line_and_field(tmp_path: Path, no_store: dict[str, str]):
    levels = write_levels(tmp_path / "l.csv", all_levels(3))
    bad = tmp_path / "costs.csv"
    bad.write_text("indicator,cost\n1,abc\n2,0\n3,1.500\n99,2\n4,-1\n4,2\n", encoding="utf-8")
    result = run_spbe("plan", "--levels", str(levels), "--costs", str(bad), env=no_store)
    assert result.code == 1 and result.out == "" and "Traceback" not in result.err
    for words in (
        "costs.csv: 6 problems",
        "baris 2, kolom 'cost': 'abc' bukan angka positif",
        "baris 3, kolom 'cost': 0 harus lebih dari 0",
        "baris 4, kolom 'cost': '1.500' ambigu (pemisah ribuan atau tanda desimal?)",
        "baris 5, kolom 'indicator': 99 bukan indikator permenpanrb-59-2020",
        "baris 6, kolom 'cost': '-1' bukan angka positif",
        "baris 7, kolom 'indicator': indikator 4 muncul lagi (pertama di baris 6)",
    ):
        assert words in result.err, words
    caps = write_column(tmp_path / "max.csv", "maks", {1: 6})
    result = run_spbe("plan", "--levels", str(levels), "--max", str(caps), env=no_store)
    assert result.code == 1 and "baris 1: judul kolom harus memuat indicator,max; yang tidak ada: max" in result.err


def test_bad_target_and_missing_store(tmp_path: Path, no_store: dict[str, str]):
    result = run_spbe("plan", "--target", "tinggi", env=no_store)
    assert result.code == 1 and "--target 'tinggi' bukan angka (mis. 4,20)" in result.err
    result = run_spbe("plan", env=no_store)
    assert result.code == 1 and "tidak ada: jalankan `spbe init` atau beri --levels" in result.err
    assert "Traceback" not in result.err


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("1", Decimal(1)),
        ("2.5", Decimal("2.5")),
        ("2,5", Decimal("2.5")),
        (" 12 ", Decimal(12)),
        ("0.125", Decimal("0.125")),
    ],
)
def test_costs_that_parse(raw: str, expected: Decimal):
    assert parse_cost(raw) == expected


@pytest.mark.parametrize(
    ("raw", "words"),
    [
        ("", "kosong; isi angka positif seperti 1 atau 2,5"),
        ("0", "harus lebih dari 0"),
        ("-2", "bukan angka positif"),
        ("1.000", "ambigu"),
        ("1,250", "ambigu"),
        ("NaN", "bukan angka positif"),
        ("1e3", "bukan angka positif"),
        ("Rp 5", "bukan angka positif"),
    ],
)
def test_costs_that_do_not(raw: str, words: str):
    result = parse_cost(raw)
    assert isinstance(result, str) and words in result


def test_read_costs_keeps_unlisted_indicators_out(tmp_path: Path):
    assert read_costs(write_column(tmp_path / "c.csv", "cost", {3: "1.5"}), FW) == {3: Decimal("1.5")}
    with pytest.raises(InputError, match="baris 2, kolom 'cost': 'x' bukan angka positif"):
        read_costs(write_column(tmp_path / "d.csv", "cost", {3: "x"}), FW)
