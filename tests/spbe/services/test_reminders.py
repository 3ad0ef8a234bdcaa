"""The sweep against a real store: ledger and outbox rows in one transaction, idempotent, following
deadline changes and resolved items, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlmodel import Session, func, select

from spbe import clock
from spbe.services.cycles import load_config_files, load_cycle
from spbe.services.reminders import sweep
from spbe.store import models as m
from spbe.store.db import session_scope
from spbe.store.tables_reminders import OutboxMessage, ReminderLedger
from tests.conftest import CYCLE_FILE
from tests.utils.store import open_store
from tests.utils.store import submit_claims as submit

WIB = ZoneInfo("Asia/Jakarta")


def wib(*args: int) -> datetime:
    return datetime(*args, tzinfo=WIB)


def run_sweep(engine, now: datetime, **kw):
    with clock.use_clock(now), session_scope(engine) as session:
        cycle = session.exec(select(m.Cycle)).one()
        return sweep(session, cycle=cycle, **kw)


def rows(engine) -> list[OutboxMessage]:
    with Session(engine) as session:
        return list(session.exec(select(OutboxMessage).order_by(OutboxMessage.id)))


def test_sweep_writes_ledger_and_outbox_once(database_url: str):
    engine = open_store(database_url)
    assert run_sweep(engine, wib(2025, 9, 19, 7, 0)).queued == []
    first = run_sweep(engine, wib(2025, 9, 19, 9, 0))
    reminders = [q for q in first.queued if q["kind"] == "reminder"]
    assert len(reminders) == 12 and {q["rule"] for q in reminders} == {"H-7"}  # one per OPD admin with items
    assert len([q for q in first.queued if q["kind"] == "digest"]) == 2
    again = run_sweep(engine, wib(2025, 9, 19, 9, 5))
    assert again.queued == [] and again.cancelled == []
    with Session(engine) as session:
        assert session.exec(select(func.count()).select_from(ReminderLedger)).one() == 14
        ledger = session.exec(select(ReminderLedger).where(ReminderLedger.recipient == "adm-bpkad")).one()
        out = session.get(OutboxMessage, ledger.outbox_id)
        assert out.key == "pekalongan-2025/self-assessment/H-7/v1/adm-bpkad" and out.state == "queued"
        assert (
            "Indikator 33" in out.body
            and "Indikator 38" in out.body
            and "Selasa, 30 September 2025 pukul 16.00 WIB" in out.body
        )
        assert "7 hari kerja lagi" in out.body and out.subject.startswith("[SPBE 2025] Pengingat H-7")
        events = session.exec(select(m.AuditEvent).where(m.AuditEvent.action == "reminders.swept")).all()
        assert len(events) == 1 and events[0].detail["queued"] == 14


def test_dry_run_writes_nothing(database_url: str):
    engine = open_store(database_url)
    result = run_sweep(engine, wib(2025, 9, 19, 9, 0), dry_run=True)
    assert len(result.queued) == 14 and result.dry_run
    assert rows(engine) == []


def test_resolved_items_are_cancelled_before_delivery(database_url: str):
    engine = open_store(database_url)
    run_sweep(engine, wib(2025, 9, 19, 17, 0))  # after hours: queued for Monday
    by = {r.recipient: r for r in rows(engine)}
    assert by["adm-bpkad"].not_before == wib(2025, 9, 22, 8, 0)
    submit(engine, [33, 34, 38], wib(2025, 9, 20, 10, 0))  # BPKAD submits everything over the weekend
    submit(engine, [12], wib(2025, 9, 20, 10, 0))  # BAPPERIDA one of three
    result = run_sweep(engine, wib(2025, 9, 22, 7, 30))
    assert [(c["recipient"], c["reason"]) for c in result.cancelled] == [("adm-bpkad", "resolved")]
    assert [r["recipient"] for r in result.refreshed] == ["adm-bapperida"]
    by = {r.recipient: r for r in rows(engine)}
    assert by["adm-bpkad"].state == "cancelled" and by["adm-bpkad"].cancel_reason == "resolved"
    assert "Indikator 12 " not in by["adm-bapperida"].body and "Indikator 13 " in by["adm-bapperida"].body
    # never reminded again while nothing is pending
    later = run_sweep(engine, wib(2025, 9, 29, 9, 0))
    assert "adm-bpkad" not in {q["recipient"] for q in later.queued}


def test_extended_deadline_reschedules(database_url: str, tmp_path: Path):
    engine = open_store(database_url)
    run_sweep(engine, wib(2025, 9, 25, 17, 0))  # H-3, queued for the next morning
    moved = tmp_path / "cycle.toml"
    moved.write_text(
        CYCLE_FILE.read_text(encoding="utf-8")
        .replace('deadline = "2025-09-30 16:00"', 'deadline = "2025-10-07 16:00"')
        .replace('roster = "roster/pekalongan"', f'roster = "{CYCLE_FILE.parent / "roster/pekalongan"}"'),
        encoding="utf-8",
    )
    cfg, roster = load_config_files(moved)
    with session_scope(engine) as session:
        load_cycle(session, config=cfg, roster=roster, actor="tester")  # deadline_version 1 → 2
    result = run_sweep(engine, wib(2025, 9, 26, 7, 0))
    assert len(result.cancelled) == 12 and {c["reason"] for c in result.cancelled} == {"deadline_moved"}
    assert result.queued == []
    result = run_sweep(engine, wib(2025, 9, 26, 8, 0))  # H-7 of the new date
    reminders = [q for q in result.queued if q["kind"] == "reminder"]
    assert {(q["rule"], q["key"].split("/")[3]) for q in reminders} == {("H-7", "v2")}
    body = next(r.body for r in rows(engine) if r.state == "queued" and r.kind == "reminder")
    assert "Selasa, 7 Oktober 2025 pukul 16.00 WIB" in body
