"""Phase and intake commands at their doors, as a user would type them: a check that could close a phase
needs a coordinator; an admin cannot take an assessor's queue; refusals come before any flow run."""

from __future__ import annotations

import json
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
