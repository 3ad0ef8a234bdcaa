"""The locus decree: who owns each indicator and who assesses it, balanced and free of conflicts of interest."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, select

from spbe import clock
from spbe.domain.assignment import AssignmentPlan, balance, conflict_of_interest
from spbe.errors import InputError, RefusedError
from spbe.i18n import _
from spbe.services.lookup import find_person, find_phase
from spbe.services.people import Actor, actor_id, require_coordinator, require_coordinator_or_timekeeper
from spbe.store import models as m
from spbe.store.audit import record


@dataclass
class AutoAssignResult:
    plan: AssignmentPlan
    changed: list[int]

    def as_dict(self) -> dict:
        return {
            "changed": self.changed,
            "loads": self.plan.loads,
            "spread": self.plan.spread,
            "unassignable": list(self.plan.unassignable),
        }


def _assignments(session: Session, cycle: m.Cycle) -> list[m.Assignment]:
    return list(
        session.exec(
            select(m.Assignment).where(m.Assignment.cycle_id == cycle.id).order_by(m.Assignment.indicator_number)
        )
    )


def auto_assign(session: Session, *, cycle: m.Cycle, actor: Actor, keep_manual: bool = True) -> AutoAssignResult:
    """Assign assessors to every indicator; manual choices are kept and count toward the balance. A coordinator
    asks for it, or the opening of locus does it (`TIMEKEEPER`)."""
    require_coordinator_or_timekeeper(session, cycle, actor, doing=_("assign assessors"))
    rows = _assignments(session, cycle)
    assessors = session.exec(
        select(m.Person).where(m.Person.cycle_id == cycle.id, m.Person.role == "assessor").order_by(m.Person.key)
    ).all()
    fixed = {
        a.indicator_number: a.assessor_key for a in rows if keep_manual and a.source == "manual" and a.assessor_key
    }
    plan = balance([(a.indicator_number, a.owner_opd) for a in rows], [(p.key, p.opd_code) for p in assessors], fixed)
    changed = []
    for a in rows:
        wanted = plan.assessor_of.get(a.indicator_number)
        if wanted and wanted != a.assessor_key:
            a.assessor_key, a.source = wanted, a.source if a.indicator_number in fixed else "auto"
            a.approved_at = a.approved_by = None
            session.add(a)
            changed.append(a.indicator_number)
    if changed:
        _clear_approval(session, rows)
        record(
            session,
            cycle_id=cycle.id,
            actor=actor_id(actor),
            action="assignment.auto",
            detail={
                "changed": changed,
                "loads": plan.loads,
                "spread": plan.spread,
                "unassignable": list(plan.unassignable),
            },
        )
    return AutoAssignResult(plan, changed)


def assign(
    session: Session,
    *,
    cycle: m.Cycle,
    indicator: int,
    actor: str,
    owner: str | None = None,
    assessor: str | None = None,
    reason: str | None = None,
) -> tuple[m.Assignment, str]:
    """Change one indicator's owner or assessor; returns the row and what happened to the decree.

    While locus is open a change withdraws the decree's approval (the coordinator approves the new version).
    Once locus is closed the decree stands: a change is an amendment that needs a reason, kept on record."""
    require_coordinator(session, cycle, actor, doing=_("change the assignment"))
    rows = {a.indicator_number: a for a in _assignments(session, cycle)}
    problems = []
    if indicator not in rows:
        raise InputError(
            _("field 'indicator': {indicator} is not an indicator of this cycle (1-{last})").format(
                indicator=indicator, last=len(rows)
            )
        )
    row = rows[indicator]
    new_owner = owner or row.owner_opd
    if owner and session.exec(select(m.Opd).where(m.Opd.cycle_id == cycle.id, m.Opd.code == owner)).first() is None:
        problems.append(_("field 'owner': unknown OPD {opd!r}").format(opd=owner))
    if assessor:
        person = find_person(session, cycle, assessor)
        if person is None or person.role != "assessor":
            problems.append(_("field 'assessor': {key!r} is not an assessor in the roster").format(key=assessor))
        elif conflict_of_interest(person.opd_code, new_owner):
            raise RefusedError(
                _("conflict of interest: assessor {key} belongs to {opd}, which owns indicator {indicator}").format(
                    key=assessor, opd=new_owner, indicator=indicator
                )
            )
    elif row.assessor_key and new_owner:
        current = find_person(session, cycle, row.assessor_key)
        if current and conflict_of_interest(current.opd_code, new_owner):
            raise RefusedError(
                _(
                    "conflict of interest: the current assessor {key} belongs to {opd}; give another --assessor "
                    "with the new owner"
                ).format(key=row.assessor_key, opd=new_owner)
            )
    if problems:
        raise InputError(problems)
    before = {"owner": row.owner_opd, "assessor": row.assessor_key}
    after = {"owner": new_owner, "assessor": assessor or row.assessor_key}
    if after == before:
        return row, "unchanged"
    locus = find_phase(session, cycle, "locus")
    amending = locus is not None and locus.state == "closed"
    if amending and not (reason and reason.strip()):
        raise RefusedError(
            _("locus is closed and its decree stands: an amendment needs --reason TEXT (kept on record)")
        )
    row.owner_opd, row.assessor_key, row.source = after["owner"], after["assessor"], "manual"
    if amending:
        row.approved_at, row.approved_by = clock.now(), actor  # the amendment is the coordinator's own decision
        decree = "decree amended"
    else:
        decree = (
            "approval withdrawn: approve the new assignment" if _clear_approval(session, list(rows.values())) else ""
        )
    session.add(row)
    record(
        session,
        cycle_id=cycle.id,
        actor=actor,
        action="assignment.amended" if amending else "assignment.set",
        subject=f"indicator {indicator}",
        reason=reason,
        detail={"before": before, "after": after, "decree": decree or "not yet approved"},
    )
    _tell_assessors(session, cycle, indicator, before["assessor"], after["assessor"], reason)
    return row, decree


def _tell_assessors(
    session: Session, cycle: m.Cycle, indicator: int, old: str | None, new: str | None, reason: str | None
) -> None:
    """A new assessor hears of it and the old one is released; waiting notices that no longer hold are
    cancelled or rewritten (spbe.services.stale)."""
    from spbe.services.outbox import enqueue
    from spbe.services.stale import reassignment_notices, review_notices

    session.flush()
    if old != new:
        notices = reassignment_notices(session, cycle=cycle, indicator=indicator, old=old, new=new, reason=reason)
        if notices:
            enqueue(session, cycle_id=cycle.id, notices=notices)
    review_notices(session, cycle=cycle)


def approve(session: Session, *, cycle: m.Cycle, actor: str) -> int:
    """The coordinator approves the whole assignment (the decree); refused while anything is incomplete."""
    require_coordinator(session, cycle, actor, doing=_("approve the assignment"))
    from spbe.domain.gates import locus
    from spbe.services.snapshot import take_snapshot

    blocking = [o for o in locus(take_snapshot(session, cycle), clock.now()).outstanding if o.kind != "not_approved"]
    if blocking:
        raise RefusedError(
            _("the assignment cannot be approved yet:") + "\n" + "\n".join(f"  - {o.text}" for o in blocking)
        )
    now = clock.now()
    rows = [a for a in _assignments(session, cycle) if a.approved_at is None]
    for a in rows:
        a.approved_at, a.approved_by = now, actor
        session.add(a)
    if rows:
        record(session, cycle_id=cycle.id, actor=actor, action="assignment.approved", detail={"count": len(rows)})
        from spbe.services.stale import review_notices

        session.flush()
        review_notices(session, cycle=cycle)  # notices saying "masih menunggu penetapan" now say it is decreed
    return len(rows)


def _clear_approval(session: Session, rows: list[m.Assignment]) -> bool:
    """Any change before locus closes voids the decree's approval; True when there was one to void."""
    cleared = False
    for a in rows:
        if a.approved_at is not None:
            a.approved_at = a.approved_by = None
            session.add(a)
            cleared = True
    return cleared
