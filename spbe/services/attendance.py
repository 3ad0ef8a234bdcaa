"""Socialization attendance: each OPD admin acknowledges the briefing, or a coordinator waives it."""

from __future__ import annotations

from sqlmodel import Session, select

from spbe import clock
from spbe.errors import InputError, RefusedError
from spbe.services.people import find_person, require_coordinator
from spbe.store import models as m
from spbe.store.audit import record


def may_record(
    session: Session, *, cycle: m.Cycle, opd: str, actor: str, waive: bool = False, reason: str | None = None
) -> None:
    """The OPD's own admin records its attendance, or a coordinator; only a coordinator waives, with a reason."""
    unit = session.exec(select(m.Opd).where(m.Opd.cycle_id == cycle.id, m.Opd.code == opd)).first()
    if unit is None:
        raise InputError(f"field 'opd': unknown OPD {opd!r}")
    if waive:
        require_coordinator(session, cycle, actor, doing="waive attendance")
        if not (reason and reason.strip()):
            raise RefusedError("a waiver needs --reason TEXT")
        return
    person = find_person(session, cycle, actor)
    if not (person and (person.role == "coordinator" or person.key == unit.admin_key)):
        who = f"{actor!r} ({person.role})" if person else f"{actor!r} (not in the roster)"
        raise RefusedError(
            f"{who} may not record attendance for {opd}: a coordinator or the OPD's admin ({unit.admin_key}) may"
        )


def record_attendance(
    session: Session, *, cycle: m.Cycle, opd: str, actor: str, waive: bool = False, reason: str | None = None
) -> tuple[m.Attendance, bool]:
    """Returns (row, created); recording an OPD twice is a no-op."""
    may_record(session, cycle=cycle, opd=opd, actor=actor, waive=waive, reason=reason)
    existing = session.exec(
        select(m.Attendance).where(m.Attendance.cycle_id == cycle.id, m.Attendance.opd_code == opd)
    ).first()
    if existing is not None:
        return existing, False
    row = m.Attendance(
        cycle_id=cycle.id, opd_code=opd, recorded_at=clock.now(), recorded_by=actor, waived=waive, reason=reason
    )
    session.add(row)
    record(
        session,
        cycle_id=cycle.id,
        actor=actor,
        action="attendance.waived" if waive else "attendance.recorded",
        subject=opd,
        reason=reason,
    )
    return row, True
