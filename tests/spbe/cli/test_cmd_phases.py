"""Phase and intake commands at their doors, as a user would type them: a check that could close a phase
needs a coordinator; an admin cannot take an assessor's queue; refusals come before any flow run."""

from __future__ import annotations

import json
import re
from pathlib import Path

from tests.utils.cli import run_spbe

UNREACHABLE = "http://127.0.0.1:9/api"  # had a command started a flow run, it would exit 3, not 2


def _loaded(tmp_path: Path) -> dict[str, str]:
    env = {
        "SPBE_DATA_DIR": str(tmp_path / "data"),
        "SPBE_DATABASE_URL": f"sqlite:///{tmp_path / 'data/spbe.db'}",
        "SPBE_TEMPLATE_SECRET": "a-test-secret-of-enough-length",
        "PREFECT_API_URL": "",
    }
    assert run_spbe("init", env=env).code == 0
    return env


def _locus_holds(url: str) -> None:
    """Locus open with every indicator assigned and the decree approved: its gate holds."""
    from datetime import UTC, datetime

    from sqlmodel import select

    from spbe.services.assignments import auto_assign
    from spbe.services.cycles import current_cycle
    from spbe.services.people import TIMEKEEPER
    from spbe.store import models as m
    from spbe.store.db import dispose_engines, get_engine, session_scope

    with session_scope(get_engine(url)) as session:
        auto_assign(session, cycle=current_cycle(session), actor=TIMEKEEPER)
        for a in session.exec(select(m.Assignment)):
            a.approved_at, a.approved_by = datetime(2025, 7, 1, tzinfo=UTC), "koordinator"
        session.exec(select(m.Phase).where(m.Phase.name == "locus")).one().state = "open"
    dispose_engines()


def test_phase_check_as_a_stranger_or_an_assessor_changes_nothing_and_starts_no_run(tmp_path: Path):
    """After the deadline, with the gate holding, a check would ask for approval: not for just anyone."""
    env = {**_loaded(tmp_path), "SPBE_NOW": "2025-08-05T09:00:00+07:00", "PREFECT_API_URL": UNREACHABLE}
    _locus_holds(env["SPBE_DATABASE_URL"])
    before = json.loads(run_spbe("audit", "--json", env=env).out)
    for who, said in (("mallory", "'mallory' tidak ada di roster"), ("asr-03", "'asr-03' berperan sebagai asesor")):
        result = run_spbe("phase", "check", "locus", "--as", who, env=env)
        doing = "memeriksa syarat penutupan tahap locus"
        assert result.code == 2 and said in result.err and doing in result.err, result.err
    status = json.loads(run_spbe("status", "--json", env=env).out)
    assert status["phases"][0]["state"] == "open" and status["progress"]["locus"]["met"] is True
    assert json.loads(run_spbe("audit", "--json", env=env).out) == before


def test_an_admin_cannot_take_an_assessors_review_queue_nor_run_the_link_check(tmp_path: Path):
    env = _loaded(tmp_path)
    out = tmp_path / "asr-01.xlsx"
    taken = run_spbe("template", "--assessor", "asr-01", "--out", str(out), "--as", "adm-bapperida", env=env)
    assert taken.code == 2 and "tidak boleh mengambil template asesor asr-01" in taken.err and not out.exists()
    links = run_spbe("links", "--as", "adm-bapperida", env=env)
    assert links.code == 2 and "hanya koordinator yang boleh memeriksa tautan bukti dukung" in links.err
    own = run_spbe(
        "template", "--opd", "BAPPERIDA", "--out", str(tmp_path / "b.xlsx"), "--as", "adm-bapperida", env=env
    )
    assert own.code == 0, own.err  # its own OPD's template is the admin's to take
    thread = run_spbe("thread", "--indicator", "1", "--as", "adm-bapperida", env=env)
    assert thread.code == 2 and "tidak boleh membaca utas indikator 1" in thread.err
    assert run_spbe("thread", "--indicator", "12", "--as", "adm-bapperida", env=env).code == 0


def test_what_a_person_reads_is_indonesian_on_the_cycles_clock(tmp_path: Path):
    """The clock is typed in UTC; status, the early-open refusal and the audit all read in WIB, the way
    people write it, while --json keeps ISO 8601 with the offset."""
    env = {**_loaded(tmp_path), "SPBE_NOW": "2025-06-02T00:30:00+00:00", "PREFECT_API_URL": UNREACHABLE}
    now, opens = "Senin, 2 Juni 2025 pukul 07.30 WIB", "Senin, 2 Juni 2025 pukul 08.00 WIB"

    early = run_spbe("phase", "open", "locus", env=env)
    assert early.code == 2 and f"tahap locus dibuka pada {opens}; sekarang {now}." in early.err, early.err
    assert "+00:00" not in early.err and "T01:00" not in early.err

    status = run_spbe("status", env=env)
    assert status.code == 0, status.err
    assert "Kota Pekalongan 2025 (PermenPANRB No. 59 Tahun 2020" in status.out and f"sekarang {now}" in status.out
    locus = next(line for line in status.out.splitlines() if line.startswith("locus"))
    assert "belum dibuka" in locus and opens in locus and "Kamis, 31 Juli 2025 pukul 16.00 WIB" in locus
    assert json.loads(run_spbe("status", "--json", env=env).out)["phases"][0]["opens"] == "2025-06-02T08:00:00+07:00"

    audit = run_spbe("audit", env=env)
    assert audit.code == 0 and "(UTC)" not in audit.out
    header, _rule, first = audit.out.splitlines()[:3]
    assert header.split()[:3] == ["waktu", "pelaku", "tindakan"]
    day = r"(Senin|Selasa|Rabu|Kamis|Jumat|Sabtu|Minggu), \d+ \w+ \d{4}"
    assert re.match(day + r" pukul \d\d\.\d\d WIB  koordinator", first), first


def test_a_gate_met_at_the_deadline_prints_one_count_and_one_list(sqlite_url: str, capsys):
    """'gate: met (43/47)' followed by the same four indicators twice (outstanding, then 'after the deadline'
    notes): the missing ones are listed once, under the count, and only other notes follow."""
    from datetime import UTC, datetime

    from sqlmodel import Session, select

    from spbe.cli.cmd_phases import _print_result
    from spbe.domain.gates import evaluate
    from spbe.services.phases import gate_dict
    from spbe.services.snapshot import take_snapshot
    from spbe.store import models as m
    from tests.utils.store import open_store, submit_claims

    engine = open_store(sqlite_url)
    submit_claims(engine, list(range(1, 44)), datetime(2025, 9, 10, 3, tzinfo=UTC))
    with Session(engine) as session:
        gate = evaluate(
            take_snapshot(session, session.exec(select(m.Cycle)).one()),
            "self-assessment",
            datetime(2025, 10, 1, 3, tzinfo=UTC),
        )
    assert gate.met and len(gate.outstanding) == 4
    _print_result({"message": "", "gate": gate_dict(gate), "flow_run_id": "x"}, as_json=False)
    out = capsys.readouterr().out
    assert "43/47" in out
    for n in range(44, 48):
        assert out.count(f"indikator {n}:") == 1, out
    assert "masih belum selesai setelah batas waktu (4):" in out
