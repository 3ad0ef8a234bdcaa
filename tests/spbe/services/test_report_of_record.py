"""The report of record: the build sent to leadership is the one the final-report gate asks about; building
another does not undo its delivery; `spbe report --send [BUILD]` sends a chosen build; the message carries
the report, the change from last year, the gap to target and the most valuable actions."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import update
from sqlmodel import Session, select

from spbe import clock
from spbe.domain.gates import evaluate
from spbe.frameworks import load_framework
from spbe.report.model import PhaseRow
from spbe.services.report import build_report
from spbe.services.report_delivery import confirm_delivery, result_of, send_report
from spbe.services.snapshot import take_snapshot
from spbe.store import models as m
from spbe.store.db import session_scope
from spbe.store.tables_reminders import OutboxMessage
from tests.utils.cli import run_spbe
from tests.utils.report import BUILT, seed
from tests.utils.store import loaded_store

FW = load_framework("permenpanrb-59-2020")


def _deliver_all(engine) -> None:
    """What the dispatcher does when leadership's messages went out."""
    with session_scope(engine) as session:
        session.exec(update(OutboxMessage).where(OutboxMessage.kind == "report").values(state="sent"))


def _gate(engine):
    with Session(engine) as session:
        cycle = session.exec(select(m.Cycle)).one()
        return evaluate(take_snapshot(session, cycle), "final-report", BUILT)


@pytest.fixture
def store(sqlite_url: str):
    engine = loaded_store(sqlite_url)
    with session_scope(engine) as session:
        seed(session, levels={i.number: 3 for i in FW.indicators})  # index 3,00: a fall from 3,76
    return engine


def test_another_build_after_delivery_does_not_undo_the_gate(store, tmp_path: Path):
    with clock.use_clock(BUILT), session_scope(store) as session:
        cycle = session.exec(select(m.Cycle)).one()
        first = build_report(session, cycle=cycle, out_dir=tmp_path / "opening", actor="system:timekeeper")
        assert send_report(session, cycle=cycle, result=first, actor="system:timekeeper") == 2
    _deliver_all(store)
    with clock.use_clock(BUILT + timedelta(hours=1)), session_scope(store) as session:
        cycle = session.exec(select(m.Cycle)).one()
        assert confirm_delivery(session, cycle=cycle, actor="system:timekeeper") == []
    assert _gate(store).met
    with clock.use_clock(BUILT + timedelta(hours=2)), session_scope(store) as session:  # `spbe report --out`
        cycle = session.exec(select(m.Cycle)).one()
        second = build_report(session, cycle=cycle, out_dir=tmp_path / "laporan", actor="koordinator")
        assert second.report_id != first.report_id
    with clock.use_clock(BUILT + timedelta(hours=3)), session_scope(store) as session:
        cycle = session.exec(select(m.Cycle)).one()
        assert confirm_delivery(session, cycle=cycle, actor="system:timekeeper") == []
    gate = _gate(store)
    assert gate.met, [o.text for o in gate.outstanding]


def test_sending_a_chosen_build_makes_it_the_report_of_record(store, tmp_path: Path):
    with clock.use_clock(BUILT), session_scope(store) as session:
        cycle = session.exec(select(m.Cycle)).one()
        first = build_report(session, cycle=cycle, out_dir=tmp_path / "a", actor="koordinator")
        build_report(session, cycle=cycle, out_dir=tmp_path / "b", actor="koordinator")
    assert not _gate(store).met  # built, never sent
    with clock.use_clock(BUILT + timedelta(minutes=5)), session_scope(store) as session:
        cycle = session.exec(select(m.Cycle)).one()
        chosen = result_of(session, cycle, session.get(m.Report, first.report_id))
        send_report(session, cycle=cycle, result=chosen, actor="koordinator")
        again = send_report(session, cycle=cycle, result=chosen, actor="koordinator")
        assert again == 0  # sending the same build twice queues nothing twice
    with Session(store) as session:
        keys = sorted(r.key for r in session.exec(select(OutboxMessage).where(OutboxMessage.kind == "report")))
        assert keys == [f"pekalongan-2025:report:{first.report_id}:{p}" for p in ("sekda", "walikota")]
    _deliver_all(store)
    with clock.use_clock(BUILT + timedelta(hours=1)), session_scope(store) as session:
        cycle = session.exec(select(m.Cycle)).one()
        confirm_delivery(session, cycle=cycle, actor="koordinator")
        assert session.get(m.Report, first.report_id).delivered_to == ["sekda", "walikota"]
    assert _gate(store).met


def test_the_message_to_leadership_carries_the_report_the_change_the_gap_and_three_actions(store, tmp_path: Path):
    with clock.use_clock(BUILT), session_scope(store) as session:
        cycle = session.exec(select(m.Cycle)).one()
        result = build_report(session, cycle=cycle, out_dir=tmp_path / "r", actor="koordinator")
        send_report(session, cycle=cycle, result=result, actor="koordinator")
    with Session(store) as session:
        row = session.exec(select(OutboxMessage).where(OutboxMessage.recipient == "walikota")).one()
    body = row.body
    assert "turun 0,76 dari 3,76 (2024) menjadi 3,00" in body
    assert "kurang 1,20 dari target 4,20" in body
    assert body.count("\n  1. Indikator") == 1 and "\n  3. Indikator" in body and "\n  4. " not in body
    assert "/home" not in body and str(tmp_path) not in body  # no path on the server
    assert "terlampir" in body and "dapat diminta kepada" in body  # no portal configured: whom to ask
    assert len(body) <= 1000
    assert sorted(Path(p).suffix for p in row.attachments) == [".html", ".xlsx"]

    from spbe.channels.base import Outgoing, Recipient
    from spbe.channels.email import EmailChannel

    mail = EmailChannel(host="127.0.0.1", port=2525, sender="spbe@pekalongan.example").build(
        Outgoing(1, row.key, "report", "final-report", row.subject, body,
                 Recipient("walikota", "Wali Kota", email="wk@pekalongan.example"), 1, "pekalongan-2025",
                 attachments=tuple(row.attachments))
    )
    names = sorted(part.get_filename() for part in mail.iter_attachments())
    assert names == ["laporan-spbe-pekalongan-2025.html", "laporan-spbe-pekalongan-2025.xlsx"]


def test_a_rise_is_called_a_rise(sqlite_url: str, tmp_path: Path):
    engine = loaded_store(sqlite_url)
    with session_scope(engine) as session:
        seed(session, levels={i.number: 4 for i in FW.indicators})
    with clock.use_clock(BUILT), session_scope(engine) as session:
        cycle = session.exec(select(m.Cycle)).one()
        send_report(
            session, cycle=cycle, result=build_report(session, cycle=cycle, out_dir=tmp_path, actor="k"), actor="k"
        )
    with Session(engine) as session:
        body = session.exec(select(OutboxMessage).where(OutboxMessage.recipient == "sekda")).one().body
    assert "naik 0,24 dari 3,76 (2024) menjadi 4,00" in body


def test_a_phase_approved_after_its_deadline_check_is_not_late():
    deadline = BUILT
    row = PhaseRow("revision", "Revisi", "closed", BUILT - timedelta(days=20), deadline, 1,
                   deadline + timedelta(minutes=45), False, ready_at=deadline + timedelta(seconds=20))
    assert not row.closed_late  # the gate held at the check; the approval came 45 minutes later
    late = PhaseRow("revision", "Revisi", "closed", BUILT - timedelta(days=20), deadline, 1,
                    deadline + timedelta(days=2), False, ready_at=deadline + timedelta(days=1, minutes=5))
    assert late.closed_late  # ready only on the next day's check
    auto = PhaseRow("document-review", "Reviu", "closed", BUILT - timedelta(days=20), deadline, 1,
                    deadline + timedelta(seconds=30), False)
    assert not auto.closed_late  # closed by the check at the deadline


def test_spbe_report_send_command(store, tmp_path: Path):
    env = {"SPBE_DATABASE_URL": str(store.url), "SPBE_NOW": "2025-12-10T09:00:00+07:00", "SPBE_ACTOR": "koordinator"}
    built = run_spbe("report", "--out", str(tmp_path / "cli"), "--json", env=env)
    assert built.code == 0, built.err
    report_id = json.loads(built.out)["report_id"]
    assert json.loads(built.out)["sent"] is False
    sent = run_spbe("report", "--send", str(report_id), env=env)
    assert sent.code == 0, sent.err
    assert f"Laporan #{report_id} dikirim kepada pimpinan: 2 pesan baru diantrekan" in sent.out
    missing = run_spbe("report", "--send", "99", env=env)
    assert missing.code == 1 and "laporan #99 tidak ada" in missing.err
    leader = run_spbe("report", "--send", env=env | {"SPBE_ACTOR": "walikota"})
    assert leader.code == 2, leader.err  # leadership reads reports; sending them is the coordinator's
    neither = run_spbe("report", env=env)
    assert neither.code == 1 and "--out FOLDER" in neither.err
