"""Every kind of command on PostgreSQL (`SPBE_DATABASE_URL=postgresql+psycopg://...`), as processes."""

from __future__ import annotations

import json

import pytest

from tests.conftest import POSTGRES_URL, _postgres_database
from tests.utils.cli import run_spbe
from tests.utils.levels import write_levels

pytestmark = pytest.mark.skipif(not POSTGRES_URL, reason="SPBE_TEST_POSTGRES_URL not set: PostgreSQL CLI test skipped")


@pytest.fixture
def pg_url():
    yield from _postgres_database()


def test_commands_on_postgres(prefect_harness, pg_url, tmp_path):
    from prefect.settings import PREFECT_API_URL

    env = {
        "SPBE_DATABASE_URL": pg_url,
        "SPBE_DATA_DIR": str(tmp_path),
        "PREFECT_API_URL": PREFECT_API_URL.value(),
        "SPBE_ACTOR": "koordinator",
        "SPBE_NOW": "2025-06-02T09:00:00+07:00",
    }
    init = run_spbe("init", env=env)
    assert init.code == 0, init.err
    assert "postgresql+psycopg://" in init.out and "dimuat dari" in init.out  # init speaks Indonesian now (cli-output)
    assert "tidak berubah" in run_spbe("init", env=env).out
    timeline = json.loads(run_spbe("timeline", "--json", env=env).out)
    assert timeline["phases"][0]["state"] == "pending"
    opened = run_spbe("phase", "open", "locus", env=env)
    assert opened.code == 0 and "tahap locus dibuka" in opened.out, opened.err
    assigned = run_spbe("assign", "--approve", env=env)
    assert assigned.code == 0 and "approved" in assigned.out, assigned.err
    status = json.loads(run_spbe("status", "--json", env=env).out)
    assert status["progress"]["locus"]["met"] is True
    audit = json.loads(run_spbe("audit", "--json", env=env).out)
    assert [e["action"] for e in audit] == [
        "cycle.loaded",
        "phase.opened",
        "assignment.auto",
        "outbox.queued",
        "assignment.approved",
        "outbox.reviewed",  # the SK's approval rewrites the queued notices that said "masih menunggu penetapan"
    ]
    assert len(json.loads(run_spbe("people", "--role", "assessor", "--json", env=env).out)) == 12
    levels = write_levels(tmp_path / "l.csv", dict.fromkeys(range(1, 48), 4))
    assert json.loads(run_spbe("score", "--levels", str(levels), "--json", env=env).out)["index"] == "4.00"
