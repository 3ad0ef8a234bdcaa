"""Phase transitions on a real store (SQLite and PostgreSQL): refusals, idempotency, atomicity."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlmodel import Session, func, select

from spbe.errors import RefusedError
from spbe.services import assignments
from spbe.services.attendance import record_attendance
from spbe.services.cycles import current_cycle
from spbe.services.opening_work import OPENING_WORK
from spbe.services.people import TIMEKEEPER
from spbe.services.phases import (
    GateNotMet,
    check_gate,
    close_phase,
    open_phase,
    refusal_before_run,
    reject_approval,
)
from spbe.store import models as m
from spbe.store.db import session_scope
from tests.utils.store import audit_actions, loaded_store, phase_state

JUNE = datetime(2025, 6, 2, 2, 0, tzinfo=UTC)  # 09:00 WIB, after locus opens
AUGUST = datetime(2025, 8, 4, 2, 0, tzinfo=UTC)
AFTER_AUGUST = datetime(2025, 8, 29, 10, 0, tzinfo=UTC)  # 17:00 WIB on the socialization deadline


@pytest.fixture
def engine(database_url):
    return loaded_store(database_url)


def _do(engine, fn, **kw):
    with session_scope(engine) as session:
        return fn(session, cycle=current_cycle(session), **kw)


def _outbox_count(engine) -> int:
    from spbe.store.tables_reminders import OutboxMessage

    with Session(engine) as session:
        return session.exec(select(func.count()).select_from(OutboxMessage)).one()


def test_open_twice_is_a_noop_without_second_notices(engine):
    first = _do(engine, open_phase, name="locus", actor="koordinator", now=JUNE, opening_work=OPENING_WORK["locus"])
    assert first.changed and first.notices_queued > 0
    queued = _outbox_count(engine)
    again = _do(engine, open_phase, name="locus", actor="koordinator", now=JUNE, opening_work=OPENING_WORK["locus"])
    assert not again.changed and "sudah dibuka" in again.message and again.notices_queued == 0
    assert _outbox_count(engine) == queued
    assert audit_actions(engine).count("phase.opened") == 1


def test_out_of_order_and_early_opening_refused(engine):
    with pytest.raises(RefusedError, match="tahap sebelumnya, locus, masih belum dibuka"):
        _do(engine, open_phase, name="socialization", actor="koordinator", now=AUGUST)
    with pytest.raises(RefusedError) as early:
        _do(engine, open_phase, name="locus", actor="koordinator", now=datetime(2025, 6, 2, 0, 30, tzinfo=UTC))
    assert str(early.value).startswith(  # in the cycle's zone and the way people write it, not ISO in UTC
        "tahap locus dibuka pada Senin, 2 Juni 2025 pukul 08.00 WIB; sekarang Senin, 2 Juni 2025 pukul 07.30 WIB."
    )
    with pytest.raises(RefusedError, match="perlu --reason"):
        _do(engine, open_phase, name="locus", actor="koordinator", now=datetime(2025, 5, 1, tzinfo=UTC), early=True)
    change = _do(
        engine,
        open_phase,
        name="locus",
        actor="koordinator",
        now=datetime(2025, 5, 1, tzinfo=UTC),
        early=True,
        reason="SK tim SPBE terbit lebih awal",
    )
    assert change.changed
    assert phase_state(engine, "locus") == "open"


def test_only_coordinators_open_close_force(engine):
    refusal = "'asr-01' berperan sebagai asesor: hanya koordinator yang boleh membuka tahap locus"
    with pytest.raises(RefusedError, match=refusal):
        _do(engine, open_phase, name="locus", actor="asr-01", now=JUNE)
    with pytest.raises(RefusedError, match="'root' tidak ada di roster"):
        _do(engine, open_phase, name="locus", actor="root", now=JUNE)
    _do(engine, open_phase, name="locus", actor="koordinator", now=JUNE)
    with pytest.raises(RefusedError, match="hanya koordinator yang boleh memaksa"):
        _do(engine, close_phase, name="locus", actor="adm-dinkominfo", now=JUNE, force=True, reason="x")
    assert phase_state(engine, "locus") == "open"


def test_close_with_unmet_gate_lists_and_override_needs_reason(engine):
    _do(engine, open_phase, name="locus", actor="koordinator", now=JUNE, opening_work=OPENING_WORK["locus"])
    with pytest.raises(GateNotMet) as err:
        _do(engine, close_phase, name="locus", actor="koordinator", now=JUNE)
    assert err.value.exit_code == 2 and "belum disetujui koordinator" in str(err.value)
    with pytest.raises(RefusedError, match="--force perlu --reason"):
        _do(engine, close_phase, name="locus", actor="koordinator", now=JUNE, force=True, reason="  ")
    forced = _do(
        engine, close_phase, name="locus", actor="koordinator", now=JUNE, force=True, reason="SK ditandatangani manual"
    )
    assert forced.after == "closed"
    with Session(engine) as session:
        event = session.exec(select(m.AuditEvent).where(m.AuditEvent.action == "phase.forced_closed")).one()
        assert event.actor == "koordinator" and event.reason == "SK ditandatangani manual"
        assert any("belum disetujui koordinator" in u for u in event.detail["unmet"])
        assert session.exec(select(m.Phase).where(m.Phase.name == "locus")).one().forced


def test_approval_flow_for_locus(engine):
    _do(engine, open_phase, name="locus", actor="koordinator", now=JUNE, opening_work=OPENING_WORK["locus"])
    _do(engine, assignments.approve, actor="koordinator")
    early = _do(engine, check_gate, name="locus", now=JUNE, actor=TIMEKEEPER)
    then = "pada batas waktunya tahap meminta persetujuan koordinator"
    assert early.gate.met and not early.changed and then in early.message
    after = datetime(2025, 7, 31, 10, 0, tzinfo=UTC)
    waiting = _do(engine, check_gate, name="locus", now=after, actor=TIMEKEEPER)
    assert waiting.after == "awaiting_approval" and waiting.notices_queued == 2  # both coordinators told
    rejected = _do(engine, reject_approval, name="locus", actor="koordinator", note="cek ulang SK")
    assert rejected.after == "open"
    assert _do(engine, check_gate, name="locus", now=after, actor=TIMEKEEPER).after == "awaiting_approval"
    closed = _do(engine, close_phase, name="locus", actor="koordinator-2", now=after)
    assert closed.after == "closed"
    again = _do(engine, close_phase, name="locus", actor="koordinator", now=after)
    assert not again.changed and "sudah ditutup" in again.message
    actions = audit_actions(engine)
    assert actions.count("phase.awaiting_approval") == 2 and "phase.approval_rejected" in actions


def test_auto_phase_closes_at_deadline_when_gate_holds(engine):
    _do(engine, open_phase, name="locus", actor="koordinator", now=JUNE, opening_work=OPENING_WORK["locus"])
    _do(engine, close_phase, name="locus", actor="koordinator", now=JUNE, force=True, reason="uji")
    _do(engine, open_phase, name="socialization", actor="koordinator", now=AUGUST)
    with Session(engine) as session:
        codes = [o.code for o in session.exec(select(m.Opd))]
    for code in codes[:-1]:
        _do(engine, record_attendance, opd=code, actor="koordinator")
    one_missing = _do(engine, check_gate, name="socialization", now=AFTER_AUGUST, actor=TIMEKEEPER)
    assert one_missing.after == "open"
    with pytest.raises(RefusedError, match="perlu --reason"):
        _do(engine, record_attendance, opd=codes[-1], actor="koordinator", waive=True)
    _do(engine, record_attendance, opd=codes[-1], actor="koordinator", waive=True, reason="dinas luar kota")
    row, created = _do(engine, record_attendance, opd=codes[-1], actor="koordinator")
    assert not created and row.waived
    closed = _do(engine, check_gate, name="socialization", now=AFTER_AUGUST, actor=TIMEKEEPER)
    assert closed.after == "closed" and closed.gate.notes == (f"{codes[-1]}: dibebaskan (dinas luar kota)",)


def test_failure_inside_opening_leaves_state_and_audit_untouched(engine):
    before = audit_actions(engine)

    def broken_work(session, cycle, phase):
        raise RuntimeError("template server down")

    with pytest.raises(RuntimeError):
        _do(engine, open_phase, name="locus", actor="koordinator", now=JUNE, opening_work=broken_work)
    assert phase_state(engine, "locus") == "pending"
    assert audit_actions(engine) == before
    assert _outbox_count(engine) == 0


def test_manual_assignment_refuses_conflict_and_voids_approval(engine):
    _do(engine, assignments.auto_assign, actor="koordinator")
    _do(engine, assignments.approve, actor="koordinator")
    with pytest.raises(RefusedError, match="konflik kepentingan: asesor asr-01 berasal dari DINKOMINFO"):
        _do(engine, assignments.assign, indicator=1, assessor="asr-01", actor="koordinator")
    current = _do(engine, assignments.assign, indicator=1, actor="koordinator")[0].assessor_key
    row, decree = _do(engine, assignments.assign, indicator=1, assessor="asr-05", actor="koordinator")
    assert row.assessor_key == "asr-05" and row.source == "manual" and decree.startswith("approval withdrawn")
    with Session(engine) as session:
        assert all(a.approved_at is None for a in session.exec(select(m.Assignment)))
    events = len(audit_actions(engine))
    assert _do(engine, assignments.assign, indicator=1, assessor="asr-05", actor="koordinator")[1] == "unchanged"
    assert len(audit_actions(engine)) == events  # the same choice again changes nothing
    assert current != "asr-05"
    result = _do(engine, assignments.auto_assign, actor="koordinator")
    with Session(engine) as session:
        assert (
            session.exec(select(m.Assignment).where(m.Assignment.indicator_number == 1)).one().assessor_key == "asr-05"
        )
    assert result.plan.spread <= 1


def test_closed_decree_is_amended_only_with_a_reason(engine):
    _do(engine, assignments.auto_assign, actor="koordinator")
    _do(engine, assignments.approve, actor="koordinator")
    _do(engine, open_phase, name="locus", actor="koordinator", now=JUNE)
    _do(engine, close_phase, name="locus", actor="koordinator", now=JUNE)
    with pytest.raises(RefusedError, match="tahap locus sudah ditutup dan SK-nya berlaku"):
        _do(engine, assignments.assign, indicator=1, assessor="asr-05", actor="koordinator")
    row, decree = _do(
        engine, assignments.assign, indicator=1, assessor="asr-05", actor="koordinator", reason="asr-03 cuti sakit"
    )
    assert decree == "decree amended" and row.approved_by == "koordinator"
    with Session(engine) as session:
        assert all(a.approved_at is not None for a in session.exec(select(m.Assignment)))  # the decree still stands
        event = session.exec(select(m.AuditEvent).where(m.AuditEvent.action == "assignment.amended")).one()
        assert event.reason == "asr-03 cuti sakit" and event.detail["after"]["assessor"] == "asr-05"


def _approved_locus(engine) -> datetime:
    """Locus open with its decree approved: its gate holds; returns a moment after its deadline."""
    _do(engine, open_phase, name="locus", actor="koordinator", now=JUNE, opening_work=OPENING_WORK["locus"])
    _do(engine, assignments.approve, actor="koordinator")
    return datetime(2025, 7, 31, 10, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("actor", "said"),
    [
        (
            "mallory",
            "'mallory' tidak ada di roster: hanya koordinator yang boleh memeriksa syarat penutupan tahap locus",
        ),
        ("asr-03", "'asr-03' berperan sebagai asesor: hanya koordinator yang boleh memeriksa syarat penutupan"),
        ("system:timekeeper", "'system:timekeeper' tidak ada di roster"),  # typed into a flag or a form
    ],
)
def test_a_gate_check_that_can_change_state_needs_a_coordinator_or_the_timekeeper(engine, actor, said):
    after = _approved_locus(engine)
    before = audit_actions(engine)
    with pytest.raises(RefusedError, match=said):
        _do(engine, check_gate, name="locus", now=after, actor=actor)
    with pytest.raises(RefusedError, match=said):  # the CLI asks the same before any flow run
        _do(engine, refusal_before_run, action="check", name="locus", now=after, actor=actor)
    assert phase_state(engine, "locus") == "open" and audit_actions(engine) == before
    assert _do(engine, check_gate, name="locus", now=after, actor="koordinator").after == "awaiting_approval"


def test_the_timekeeper_opens_only_what_is_due_and_never_closes_by_hand(engine):
    may = datetime(2025, 5, 1, tzinfo=UTC)
    with pytest.raises(RefusedError, match="penjaga waktu membuka tahap hanya setelah waktunya tiba"):
        _do(engine, open_phase, name="locus", actor=TIMEKEEPER, now=may, early=True, reason="form says so")
    change = _do(engine, open_phase, name="locus", actor=TIMEKEEPER, now=JUNE, opening_work=OPENING_WORK["locus"])
    assert change.changed
    with Session(engine) as session:
        opened = session.exec(select(m.AuditEvent).where(m.AuditEvent.action == "phase.opened")).one()
    assert opened.actor == "system:timekeeper"
    refusal = "'system:timekeeper' tidak ada di roster: hanya koordinator yang boleh memaksa"
    with pytest.raises(RefusedError, match=refusal):
        _do(engine, close_phase, name="locus", actor=TIMEKEEPER, now=JUNE, force=True, reason="x")
    with pytest.raises(RefusedError, match="hanya koordinator yang boleh membuka"):  # the string is nobody
        _do(engine, open_phase, name="socialization", actor="system:timekeeper", now=AUGUST)


@pytest.mark.parametrize(
    ("action", "params", "said"),
    [
        ("open", {"actor": "asr-01"}, "hanya koordinator yang boleh membuka tahap locus"),
        ("open", {"actor": "koordinator", "early": True}, "perlu --reason"),
        ("close", {"actor": "koordinator"}, "belum dibuka; buka dulu"),
        ("close", {"actor": "adm-dinkominfo", "force": True, "reason": "x"}, "hanya koordinator yang boleh memaksa"),
        ("reject", {"actor": "koordinator", "note": "x"}, "tidak sedang menunggu persetujuan"),
        ("reject", {"actor": "walikota", "note": "x"}, "hanya koordinator yang boleh menolak"),
    ],
)
def test_the_refusals_a_command_meets_are_said_before_any_run(engine, action, params, said):
    """The CLI's check before a flow run is the operation's own check (the same `may_*` rule)."""
    may = datetime(2025, 5, 1, tzinfo=UTC)
    with pytest.raises(RefusedError, match=said):
        _do(engine, refusal_before_run, action=action, name="locus", now=may, **params)
    operation = {"open": open_phase, "close": close_phase, "reject": reject_approval}[action]
    if action != "reject":
        params = {**params, "now": may}
    with pytest.raises(RefusedError, match=said):
        _do(engine, operation, name="locus", **params)
