"""The whole 2025 year on SQLite, every coordinator action a real Prefect flow run, the clock moved
through all six phases. After each step `status` and the audit trail must tell the truth, and every
flow run twice must change nothing the second time."""

from __future__ import annotations

import json
import time
from datetime import datetime

import pytest
from sqlmodel import Session, func, select

from flows.registry import run_action, run_flow
from spbe import clock
from spbe.errors import RefusedError
from spbe.services.attendance import record_attendance
from spbe.services.cycles import current_cycle
from spbe.services.status import cycle_status
from spbe.services.submissions import review, submit
from spbe.store import models as m
from spbe.store.db import session_scope
from spbe.store.tables_reminders import OutboxMessage
from spbe.timekeeper import default_action
from tests.utils.cli import run_spbe
from tests.utils.store import loaded_store

WIB = "+07:00"


def at(text: str) -> datetime:
    return datetime.fromisoformat(text + WIB)


class Year:
    def __init__(self, url: str) -> None:
        self.engine = loaded_store(url)
        self.clock = clock.SimulatedClock(at("2025-06-02T09:00:00"))
        self.timings: dict[str, float] = {}

    def go(self, when: str) -> None:
        self.clock.advance_to(at(when))

    def action(self, action: str, phase: str, **params) -> dict:
        """A coordinator's flow when an actor is given; else the timekeeper's own flow (no actor to type)."""
        start = time.perf_counter()
        result = run_action(action, phase, **params) if "actor" in params else default_action(action, phase)
        self.timings[f"{phase}:{action}"] = self.timings.get(f"{phase}:{action}", 0) + time.perf_counter() - start
        assert result["flow_run_id"]
        return result

    def twice(self, action: str, phase: str, **params) -> dict:
        """Run a flow, then again: the second run must change no state, queue nothing, audit nothing."""
        first = self.action(action, phase, **params)
        before = self.counts()
        second = self.action(action, phase, **params)
        assert not second.get("changed", False), second
        assert self.counts() == before, (action, phase)
        return first

    def counts(self) -> tuple[int, int]:
        with Session(self.engine) as session:
            return (
                session.exec(select(func.count()).select_from(m.AuditEvent)).one(),
                session.exec(select(func.count()).select_from(OutboxMessage)).one(),
            )

    def states(self) -> dict[str, str]:
        return {p["name"]: p["state"] for p in cycle_status()["phases"]}

    def last_actions(self, n: int) -> list[str]:
        with Session(self.engine) as session:
            events = session.exec(select(m.AuditEvent).order_by(m.AuditEvent.id.desc()).limit(n)).all()
            return [e.action for e in events][::-1]

    def do(self, fn, **kw):
        with session_scope(self.engine) as session:
            return fn(session, cycle=current_cycle(session), **kw)

    def assignment(self) -> dict[int, tuple[str, str]]:
        with Session(self.engine) as session:
            return {a.indicator_number: (a.owner_opd, a.assessor_key) for a in session.exec(select(m.Assignment))}


@pytest.fixture
def year(prefect_harness, sqlite_store_env):
    y = Year(sqlite_store_env)
    with clock.use_clock(y.clock):
        yield y


def test_whole_year(year: Year):
    start = time.perf_counter()
    expect = dict.fromkeys(
        ["locus", "socialization", "self-assessment", "document-review", "revision", "final-report"], "pending"
    )

    # --- locus (Jun-Jul): open, auto assignment, approval, closing approved by a coordinator ---
    opened = year.twice("open", "locus", actor="koordinator")
    assert opened["after"] == "open" and opened["notices_queued"] > 0
    expect["locus"] = "open"
    assert year.states() == expect
    owners = year.assignment()
    assert all(assessor for _, assessor in owners.values())
    check = year.action("check", "locus", actor="koordinator")
    assert not check["gate"]["met"] and check["gate"]["outstanding"][0]["kind"] == "not_approved"
    from flows.locus import assign_assessors

    approved = run_flow(assign_assessors, actor="koordinator", approve=True)
    assert "approved" in approved["message"]
    year.go("2025-07-31T16:30:00")
    with pytest.raises(RefusedError, match="'system:timekeeper' tidak ada di roster"):  # typed, it is nobody
        year.action("check", "locus", actor="system:timekeeper")
    waiting = year.twice("check", "locus")
    assert waiting["after"] == "awaiting_approval"
    expect["locus"] = "awaiting_approval"
    assert year.states() == expect
    year.twice("close", "locus", actor="koordinator")
    expect["locus"] = "closed"
    assert year.states() == expect
    # closing also reviews the notices still queued for the phase (outbox.reviewed); the phase event is the last other
    assert [a for a in year.last_actions(4) if not a.startswith("outbox.")][-1:] == ["phase.closed"]

    # --- socialization (Aug): invitations, attendance, automatic close at the deadline ---
    year.go("2025-08-01T08:00:00")
    opened = year.twice("open", "socialization", actor="koordinator")
    assert opened["notices_queued"] == 40
    with Session(year.engine) as session:
        codes = [o.code for o in session.exec(select(m.Opd).order_by(m.Opd.id))]
    from flows.socialization import record_attendance as attend_flow

    for code in codes[:-1]:
        year.do(record_attendance, opd=code, actor="koordinator")
    sheet = run_flow(attend_flow, actor="koordinator", opds=[codes[-2], codes[-1]])
    assert sheet["recorded"] == [codes[-1]] and sheet["already"] == [codes[-2]]
    year.go("2025-08-29T16:05:00")
    closed = year.twice("check", "socialization")
    assert closed["after"] == "closed"
    expect["socialization"] = "closed"
    assert year.states() == expect

    # --- self-assessment (Sep): submissions, one late, one missing; closes at the deadline ---
    year.go("2025-09-01T08:00:00")
    opened = year.twice("open", "self-assessment", actor="koordinator")
    assert opened["notices_queued"] == len({o for o, _ in owners.values()})
    numbers = sorted(owners)
    late, missing = numbers[-2], numbers[-1]
    for n in numbers[:-2]:
        year.do(
            submit,
            opd=owners[n][0],
            indicator=n,
            level=3 + n % 3,
            evidence=[f"http://127.0.0.1:9/data/{n}"],
            actor=f"adm-{owners[n][0].lower()}",
        )
    year.go("2025-09-30T15:00:00")
    before_deadline = year.action("check", "self-assessment")
    assert before_deadline["after"] == "open"
    assert {o["indicator"] for o in before_deadline["gate"]["outstanding"]} == {late, missing}
    year.go("2025-09-30T17:00:00")
    year.do(
        submit,
        opd=owners[late][0],
        indicator=late,
        level=4,
        evidence=["http://127.0.0.1:9/data/late"],
        actor="koordinator",
    )
    closed = year.twice("check", "self-assessment")
    assert closed["after"] == "closed"
    notes = " | ".join(closed["gate"]["notes"])
    assert f"indikator {late} ({owners[late][0]}) diisi terlambat" in notes
    assert f"indikator {missing}: belum ada isian" in notes
    expect["self-assessment"] = "closed"
    assert year.states() == expect

    # --- document review (Oct): assessors accept or send back; closes when all are reviewed ---
    year.go("2025-10-01T08:00:00")
    opened = year.twice("open", "document-review", actor="koordinator")
    assert opened["notices_queued"] > 0
    with Session(year.engine) as session:  # the opening ran the evidence link check once
        checks = session.exec(select(m.EvidenceCheck)).all()
        assert len(checks) == len(numbers) - 1 and {c.status for c in checks} == {"unsafe"}
    sent_back = numbers[:3]
    for n in numbers[:-1]:
        verdict = "revise" if n in sent_back else "accept"
        year.do(
            review,
            indicator=n,
            assessor=owners[n][1],
            verdict=verdict,
            level=None if verdict == "revise" else 3,
            note="lengkapi notulen reviu" if verdict == "revise" else "sesuai",
            actor=owners[n][1],
        )
    status = cycle_status()
    assert status["progress"]["document-review"]["met"]
    year.go("2025-10-31T16:05:00")
    assert year.twice("check", "document-review")["after"] == "closed"
    expect["document-review"] = "closed"

    # --- revision (Nov): two answered and re-reviewed, one never answered; approval needed ---
    year.go("2025-11-03T08:00:00")
    opened = year.twice("open", "revision", actor="koordinator")
    assert opened["notices_queued"] == len({owners[n][0] for n in sent_back})
    for n in sent_back[:2]:
        year.do(
            submit,
            opd=owners[n][0],
            indicator=n,
            level=3,
            evidence=[f"http://127.0.0.1:9/data/{n}-v2"],
            actor="koordinator",
        )
        year.do(review, indicator=n, assessor=owners[n][1], verdict="accept", level=3, note="ok", actor=owners[n][1])
    year.go("2025-11-20T10:00:00")
    mid = year.action("check", "revision")
    assert mid["after"] == "open"
    assert [o["kind"] for o in mid["gate"]["outstanding"]] == ["revision_requested"]
    year.go("2025-11-28T16:10:00")
    waiting = year.twice("check", "revision")
    assert waiting["after"] == "awaiting_approval"
    result = year.action("close", "revision", actor="koordinator")
    assert result["after"] == "closed"
    expect["revision"] = "closed"

    # --- final report (Dec): opening builds it and queues it for leadership; closing waits for delivery ---
    year.go("2025-12-01T08:00:00")
    year.twice("open", "final-report", actor="koordinator")
    with Session(year.engine) as session:
        report = session.exec(select(m.Report)).one()
        assert report.delivered_at is None
        queued = session.exec(select(OutboxMessage).where(OutboxMessage.kind == "report")).all()
        assert sorted(q.recipient for q in queued) == ["sekda", "walikota"]
    with pytest.raises(RefusedError, match="laporan akhir belum dikirimkan") as refused:
        year.action("close", "final-report", actor="koordinator")
    assert refused.value.exit_code == 2
    forced = year.action("close", "final-report", actor="koordinator", force=True, reason="laporan dikirim manual")
    assert forced["after"] == "closed"
    expect["final-report"] = "closed"
    assert year.states() == expect

    with Session(year.engine) as session:
        events = session.exec(select(m.AuditEvent).where(m.AuditEvent.action.like("phase.%"))).all()
        assert all(e.flow_run_id for e in events)  # every phase change happened inside a flow run
        assert [e.subject for e in events if e.action == "phase.forced_closed"] == ["final-report"]
    total = time.perf_counter() - start
    slowest = sorted(year.timings.items(), key=lambda kv: -kv[1])[:5]
    print(f"\nwhole-year scenario: {total:.1f} s; slowest actions: " + ", ".join(f"{k} {v:.2f}s" for k, v in slowest))


def test_cli_uses_the_running_server_and_prints_the_run(prefect_harness, tmp_path):
    """The real `spbe` against a running Prefect server: run id and UI link printed, refusals exit 2."""
    from prefect.settings import PREFECT_API_URL

    env = {
        "SPBE_DATA_DIR": str(tmp_path / "data"),
        "SPBE_DATABASE_URL": f"sqlite:///{tmp_path / 'data/spbe.db'}",
        "PREFECT_API_URL": PREFECT_API_URL.value(),
        "SPBE_NOW": "2025-06-02T09:00:00+07:00",
        "SPBE_ACTOR": "koordinator",
    }
    assert run_spbe("init", env=env).code == 0
    opened = run_spbe("phase", "open", "locus", env=env)
    assert opened.code == 0, opened.err
    assert "tahap locus dibuka" in opened.out and "flow run: " in opened.out and "/runs/flow-run/" in opened.out
    refused = run_spbe("phase", "close", "locus", env=env)
    unmet = "syarat penutupan tahap locus belum terpenuhi"
    assert refused.code == 2 and unmet in refused.err and "Traceback" not in refused.err
    not_coordinator = run_spbe("phase", "close", "locus", "--force", "--reason", "x", "--as", "asr-01", env=env)
    assert not_coordinator.code == 2 and "hanya koordinator yang boleh memaksa" in not_coordinator.err
    status = json.loads(run_spbe("status", "--json", env=env).out)
    assert status["year"] == 2025 and status["phases"][0] == {
        "name": "locus",
        "state": "open",
        "opens": "2025-06-02T08:00:00+07:00",
        "deadline": "2025-07-31T16:00:00+07:00",
        "deadline_version": 1,
    }
    assert status["progress"]["locus"]["outstanding"] == 1
    audit = json.loads(run_spbe("audit", "--json", env=env).out)
    assert [e["action"] for e in audit][:3] == ["cycle.loaded", "phase.opened", "assignment.auto"]
    people = json.loads(run_spbe("people", "--role", "coordinator", "--json", env=env).out)
    assert people == [
        {"id": "koordinator", "name": "Rina Kusumawati", "role": "coordinator", "opd": "DINKOMINFO"},
        {"id": "koordinator-2", "name": "Hadi Purwanto", "role": "coordinator", "opd": "DINKOMINFO"},
    ]
