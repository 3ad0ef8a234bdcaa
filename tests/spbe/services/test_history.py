"""Recording official results of earlier years: a coordinator's act, all or nothing, audited, and used
by the report's year-over-year tables."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest
from sqlmodel import Session, select

from spbe.errors import InputError, RefusedError
from spbe.frameworks import load_framework
from spbe.services.history import import_results, official_results
from spbe.services.report import gather_report
from spbe.store import models as m
from spbe.store.db import session_scope
from spbe.store.tables_history import OfficialResult as Row
from tests.utils.cli import run_spbe
from tests.utils.store import loaded_store as loaded

FW = load_framework("permenpanrb-59-2020")
# 2024 aspects that produce Pekalongan's published 3,76 (illustrative numbers for the test).
ASPECTS_2024 = ["3.40", "3.75", "3.50", "4.00", "3.25", "2.67", "4.10", "4.17"]


def ministry_json(path: Path, *, year=2024, index="3.7560000000", aspects=ASPECTS_2024, **extra) -> Path:
    record = {
        "tahun": year,
        "kerangka": "permenpanrb-59-2020",
        "instansi": "Kota Pekalongan",
        "indeks": index,
        "aspek": [{"nomor": k, "indeks": v} for k, v in enumerate(aspects, start=1)],
        **extra,
    }
    path.write_text(json.dumps(record), encoding="utf-8")
    return path


def domains_csv(path: Path, rows: list[str]) -> Path:
    path.write_text("year;kind;name;index\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return path


DOMAINS_2023 = [
    "2023;index;;3,29",
    "2023;domain;1;3,00",
    "2023;domain;2;3,40",
    "2023;domain;3;2,80",
    "2023;domain;4;3,49",
]


def test_expected_2024_aspects_fit_the_index():
    weights = [FW.group_weight("aspect", a) for a in FW.aspects()]
    computed = sum(w * Decimal(v) for w, v in zip(weights, ASPECTS_2024, strict=True)) / 100
    assert abs(computed - Decimal("3.756")) < Decimal("0.005")  # the fixture itself is consistent


def test_a_coordinator_records_audited_and_a_second_import_changes_nothing(database_url: str, tmp_path: Path):
    engine = loaded(database_url)
    path = ministry_json(tmp_path / "hasil-2024.json")
    with session_scope(engine) as session:
        cycle = session.exec(select(m.Cycle)).one()
        (outcome,) = import_results(session, cycle=cycle, actor="koordinator", path=path)
        assert outcome.action == "recorded" and outcome.checks[0].ok
    with session_scope(engine) as session:
        cycle = session.exec(select(m.Cycle)).one()
        (again,) = import_results(session, cycle=cycle, actor="koordinator-2", path=path)
        assert again.action == "unchanged"
    with Session(engine) as session:
        (row,) = session.exec(select(Row)).all()
        assert (row.city, row.year, row.index, row.recorded_by) == (
            "Kota Pekalongan",
            2024,
            "3.7560000000",
            "koordinator",
        )
        assert [g["index"] for g in row.groups] == ASPECTS_2024
        events = session.exec(select(m.AuditEvent).where(m.AuditEvent.action.like("history.%"))).all()  # type: ignore[attr-defined]
        assert [(e.action, e.actor, e.subject) for e in events] == [
            ("history.recorded", "koordinator", "history:Kota Pekalongan:2024")
        ]
        assert events[0].detail["checks"][0]["ok"] is True
        results = official_results(session, city="Kota Pekalongan")
        assert [r.year for r in results] == [2024] and results[0].values("aspect")["Audit TIK"] == Decimal("2.67")


def test_only_a_coordinator_and_nothing_is_written_otherwise(sqlite_url: str, tmp_path: Path):
    engine = loaded(sqlite_url)
    with session_scope(engine) as session:
        cycle = session.exec(select(m.Cycle)).one()
        refusal = "'asr-01' berperan sebagai asesor: hanya koordinator yang boleh mencatat"
        with pytest.raises(RefusedError, match=refusal):
            import_results(session, cycle=cycle, actor="asr-01", path=ministry_json(tmp_path / "h.json"))
    with Session(engine) as session:
        assert session.exec(select(Row)).all() == []


def test_a_file_with_one_bad_year_records_none(sqlite_url: str, tmp_path: Path):
    engine = loaded(sqlite_url)
    bad_2022 = [
        "2022;index;;3,50",
        "2022;domain;1;3,00",
        "2022;domain;2;3,00",
        "2022;domain;3;3,00",
        "2022;domain;4;3,00",
    ]
    path = domains_csv(tmp_path / "riwayat.csv", DOMAINS_2023 + bad_2022)
    with session_scope(engine) as session:
        cycle = session.exec(select(m.Cycle)).one()
        with pytest.raises(InputError) as err:
            import_results(session, cycle=cycle, actor="koordinator", path=path)
    text = str(err.value)
    assert "riwayat.csv: 2022: tidak konsisten dengan bobot permenpanrb-59-2020" in text
    assert "dihitung 3,00, terbit 3,50, selisih 0,50 ≥ toleransi pembulatan 0,01" in text
    with Session(engine) as session:
        assert session.exec(select(Row)).all() == []


def test_changing_a_recorded_year_needs_replace_and_a_reason(sqlite_url: str, tmp_path: Path):
    engine = loaded(sqlite_url)
    first = domains_csv(tmp_path / "a.csv", DOMAINS_2023)
    changed = domains_csv(
        tmp_path / "b.csv",
        ["2023;index;;3,30", "2023;domain;1;3,00", "2023;domain;2;3,40", "2023;domain;3;2,80", "2023;domain;4;3,51"],
    )
    with session_scope(engine) as session:
        cycle = session.exec(select(m.Cycle)).one()
        import_results(session, cycle=cycle, actor="koordinator", path=first)
    with session_scope(engine) as session:
        cycle = session.exec(select(m.Cycle)).one()
        with pytest.raises(InputError, match="2023: sudah tercatat dengan angka lain"):
            import_results(session, cycle=cycle, actor="koordinator", path=changed)
        with pytest.raises(RefusedError, match="--replace butuh --reason"):
            import_results(session, cycle=cycle, actor="koordinator", path=changed, replace=True)
        (outcome,) = import_results(
            session, cycle=cycle, actor="koordinator", path=changed, replace=True, reason="ralat dari KemenPANRB"
        )
        assert outcome.action == "replaced"
    with Session(engine) as session:
        event = session.exec(select(m.AuditEvent).where(m.AuditEvent.action == "history.replaced")).one()
        assert event.reason == "ralat dari KemenPANRB" and event.detail["previous"]["index"] == "3.29"
        assert session.exec(select(Row)).one().index == "3.30"


def test_another_city_or_a_current_year_is_refused(sqlite_url: str, tmp_path: Path):
    engine = loaded(sqlite_url)
    with session_scope(engine) as session:
        cycle = session.exec(select(m.Cycle)).one()
        other = ministry_json(tmp_path / "x.json", instansi="Kota Denpasar")
        with pytest.raises(InputError, match="2024: hasil untuk Kota Denpasar, bukan Kota Pekalongan"):
            import_results(session, cycle=cycle, actor="koordinator", path=other)
        now = ministry_json(tmp_path / "y.json", year=2025)
        with pytest.raises(InputError, match="2025: hanya hasil tahun sebelum 2025"):
            import_results(session, cycle=cycle, actor="koordinator", path=now)


def test_the_report_compares_per_aspect_and_domain_with_recorded_years(sqlite_url: str, tmp_path: Path):
    engine = loaded(sqlite_url)
    with session_scope(engine) as session:
        cycle = session.exec(select(m.Cycle)).one()
        import_results(session, cycle=cycle, actor="koordinator", path=ministry_json(tmp_path / "h.json"))
        import_results(session, cycle=cycle, actor="koordinator", path=domains_csv(tmp_path / "d.csv", DOMAINS_2023))
    with Session(engine) as session:
        cycle = session.exec(select(m.Cycle)).one()
        data = gather_report(session, cycle=cycle)
    assert [(p.year, str(p.index), p.source) for p in data.history] == [
        (2023, "3.29", "official"),
        (2024, "3.76", "official"),
        (2025, "1.00", "current"),  # nothing submitted: level 1 everywhere
    ]
    assert str(data.history[1].delta) == "0.47" and str(data.history[2].delta) == "-2.76"
    domains, aspects = data.group_history
    assert (domains.kind, domains.years, aspects.kind, aspects.years) == (
        "domain",
        (2023, 2025),
        "aspect",
        (2024, 2025),
    )
    audit = next(r for r in aspects.rows if r.name == "Audit TIK")
    assert [str(v) for v in audit.values] == ["2.67", "1.00"] and str(audit.change) == "-1.67"
    assert domains.comparable and not data.history_notes  # same framework, and the cycle file agrees (3,29 / 3,76)


def test_history_commands_as_a_process(sqlite_url: str, tmp_path: Path):
    loaded(sqlite_url)
    env = {"SPBE_DATABASE_URL": sqlite_url, "SPBE_ACTOR": "koordinator"}
    path = ministry_json(tmp_path / "hasil.json")
    done = run_spbe("history", "import", str(path), env=env)
    assert done.code == 0, done.err
    assert "Kota Pekalongan 2024 (permenpanrb-59-2020): indeks 3,7560000000, 8 nilai aspek: dicatat" in done.out
    assert "selisih" in done.out and "< toleransi pembulatan" in done.out
    listed = run_spbe("history", "list", "--json", env=env)
    assert json.loads(listed.out)[0]["index"] == "3.7560000000"
    bad = ministry_json(tmp_path / "salah.json", index="3.90", year=2023)
    refused = run_spbe("history", "import", str(bad), "--as", "asr-01", env=env)
    assert refused.code == 2 and "hanya koordinator" in refused.err and "Traceback" not in refused.err
    wrong = run_spbe("history", "import", str(bad), env=env)
    assert wrong.code == 1 and "salah.json: 2023: tidak konsisten" in wrong.err and "selisih 0,14" in wrong.err
    assert "Traceback" not in wrong.err and wrong.out == ""
