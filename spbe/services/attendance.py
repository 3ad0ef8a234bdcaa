"""Socialization attendance: each OPD admin acknowledges the briefing, or a coordinator waives it."""

from __future__ import annotations

from sqlmodel import Session, select

from spbe import clock
from spbe.errors import InputError, RefusedError
from spbe.i18n import _
from spbe.services.people import find_person, require_coordinator, role_text
from spbe.store import models as m
from spbe.store.audit import record


def may_record(
    session: Session, *, cycle: m.Cycle, opd: str, actor: str, waive: bool = False, reason: str | None = None
) -> None:
    """The OPD's own admin records its attendance, or a coordinator; only a coordinator waives, with a reason."""
    unit = session.exec(select(m.Opd).where(m.Opd.cycle_id == cycle.id, m.Opd.code == opd)).first()
    if unit is None:
        raise InputError(_("field 'opd': unknown OPD {opd!r}").format(opd=opd))
    if waive:
        require_coordinator(session, cycle, actor, doing=_("waive attendance"))
        if not (reason and reason.strip()):
            raise RefusedError(_("a waiver needs --reason TEXT"))
        return
    person = find_person(session, cycle, actor)
    if not (person and (person.role == "coordinator" or person.key == unit.admin_key)):
        who = (
            f"{actor!r} ({role_text(person.role)})"
            if person
            else _("{actor!r} (not in the roster)").format(actor=actor)
        )
        raise RefusedError(
            _("{who} may not record attendance for {opd}: a coordinator or the OPD's admin ({admin}) may").format(
                who=who, opd=opd, admin=unit.admin_key
            )
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
