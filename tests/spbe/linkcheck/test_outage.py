"""`spbe links` on a server with no route to the internet: when every external host fails the same way the
coordinator hears it is the server's outage, no OPD is told, no status changes; statuses OPDs read are plain."""

from __future__ import annotations

import socket
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlmodel import Session, select

from spbe import clock
from spbe.linkcheck.checker import LinkChecker, LinkResult
from spbe.linkcheck.policy import EvidenceSettings, status_text
from spbe.linkcheck.service import check_links, server_outage
from spbe.store import models as m
from spbe.store.db import session_scope
from spbe.store.tables_reminders import OutboxMessage
from tests.utils.intake import cycle_file, loaded_store, submit_links, the_cycle

OCT = datetime(2025, 10, 1, 2, 0, tzinfo=UTC)


async def no_dns(host: str, port: int):
    raise socket.gaierror(socket.EAI_AGAIN, f"Temporary failure in name resolution ({host})")


def test_every_host_failing_the_same_way_is_the_servers_outage(
    sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setenv("SPBE_DATA_DIR", str(tmp_path / "data"))
    engine = loaded_store(sqlite_url, cycle_file=cycle_file(tmp_path))
    submit_links(
        engine,
        {
            ("DINKOMINFO", 1): ["https://drive.google.com/file/d/abc/view"],
            ("BAPPERIDA", 12): ["https://data.pekalongankota.go.id/sk.pdf"],
            ("BAG-ORG", 14): ["https://docs.google.com/document/d/x"],
        },
    )
    checker = LinkChecker(EvidenceSettings(timeout_seconds=0.5), resolver=no_dns)
    with clock.use_clock(OCT), session_scope(engine) as session:
        report = check_links(session, cycle=the_cycle(session), now=clock.now(), checker=checker)
    assert report.outage and "3 host" in report.outage
    with Session(engine) as session:
        rows = session.exec(select(OutboxMessage)).all()
        checks = session.exec(select(m.EvidenceCheck)).all()
        events = [e.action for e in session.exec(select(m.AuditEvent))]
    assert {r.recipient for r in rows if "evidence" in r.key} == {"koordinator", "koordinator-2"}  # no OPD
    told = next(r for r in rows if "evidence-outage" in r.key)
    assert "bukan tautan yang rusak" in told.body and "`spbe links`" in told.body
    assert checks == [] and "evidence.outage" in events and "evidence.checked" not in events


def test_one_host_down_is_that_hosts_problem_and_mixed_failures_are_not_an_outage():
    down = [LinkResult(f"https://a.example/{i}", "error", detail="ConnectError: refused") for i in range(3)]
    assert server_outage(down) is None  # one host: the OPDs' server, tell them
    mixed = [
        LinkResult("https://a.example/1", "error", detail="ConnectError: cannot resolve a.example"),
        LinkResult("https://b.example/1", "not_found", 404, "HTTP 404"),
    ]
    assert server_outage(mixed) is None
    same = [
        LinkResult("https://a.example/1", "error", detail="ConnectError: cannot resolve a.example"),
        LinkResult("https://b.example/1", "error", detail="ConnectError: cannot resolve b.example"),
    ]
    assert server_outage(same)


def test_statuses_an_opd_reads_are_plain_indonesian():
    assert status_text("not_found", 404) == "tautan tidak dapat dibuka (404)"
    assert status_text("not_found", 410) == "tautan tidak dapat dibuka (410)"
    assert status_text("forbidden", 403).startswith("butuh izin akses")
    assert "Error" not in status_text("error") and "galat" not in status_text("error")
