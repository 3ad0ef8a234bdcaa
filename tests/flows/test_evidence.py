"""The evidence link check as a Prefect flow (on the session's one test server): the same statuses and
notices as the service, batched into a few task runs, safe to run twice."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlmodel import Session, select

from spbe.store import models as m
from spbe.store.tables_reminders import OutboxMessage
from tests.utils.intake import cycle_file, loaded_store, submit_links
from tests.utils.webserver import local_server, status


def test_flow_checks_records_and_notifies_once(
    prefect_harness, sqlite_store_env: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    from flows.evidence import check_evidence_links
    from spbe.settings import get_settings

    monkeypatch.setenv("SPBE_NOW", "2025-10-01T09:00:00+07:00")
    get_settings.cache_clear()
    engine = loaded_store(sqlite_store_env, cycle_file=cycle_file(tmp_path))
    with local_server({"/ok.pdf": status(200), "/hilang.pdf": status(404)}) as srv:
        submit_links(
            engine,
            {
                ("DINKOMINFO", 1): [srv.url("/ok.pdf"), srv.url("/hilang.pdf")],
                ("BAPPERIDA", 12): [srv.url("/hilang.pdf"), "http://169.254.169.254/latest/meta-data/"],
            },
        )
        state = check_evidence_links(actor="koordinator", cycle_code="pekalongan-2025", return_state=True)
        assert state.is_completed(), state.message
        summary = state.result()
        assert summary["counts"] == {"ok": 1, "not_found": 1, "unsafe": 1}
        assert summary["notified_opds"] == ["BAPPERIDA", "DINKOMINFO"] and summary["notices_queued"] == 2
        again = check_evidence_links(actor="koordinator")  # the current cycle; nothing new to tell anyone
        assert again["notices_queued"] == 0 and again["changed"] == 0
    with Session(engine) as session:
        checks = {c.url: c.status for c in session.exec(select(m.EvidenceCheck))}
        events = session.exec(select(m.AuditEvent).where(m.AuditEvent.action == "evidence.checked")).all()
        queued = session.exec(select(OutboxMessage).where(OutboxMessage.key.contains("evidence-links"))).all()
    assert sorted(checks.values()) == ["not_found", "ok", "unsafe"]
    assert len(events) == 2 and all(e.flow_run_id for e in events)  # each change traced to its flow run
    assert len(queued) == 2


def test_only_a_coordinator_runs_the_check(prefect_harness, sqlite_store_env: str, tmp_path: Path):
    """The deployment's Run form takes an actor: a stranger's run ends Refused and checks nothing."""
    from flows.evidence import check_evidence_links

    engine = loaded_store(sqlite_store_env, cycle_file=cycle_file(tmp_path))
    state = check_evidence_links(actor="adm-bapperida", return_state=True)
    assert state.is_failed() and state.name == "Refused" and "hanya koordinator" in state.message
    with Session(engine) as session:
        assert session.exec(select(m.EvidenceCheck)).first() is None
