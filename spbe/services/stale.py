"""Notices still true when they arrive: what to do with a queued message whose subject changed.

Every outbox row knows what it is about: its phase, the deadline version it was written for and, in
`about`, anything else it depends on ("opening:<phase>" for the phase's opening notices,
"assignment:<n>:<assessor>" for a reassignment). Before it goes out (at every reminder sweep, and in the
transaction that closes a phase, moves a deadline or changes an assignment):
- a message about a phase that closed is cancelled (notices, reminders, escalations; never the report);
- an opening notice is written again from the store as it is now (the new deadline, the assessor's
  current list, the decree approved), and cancelled when nothing is left for its reader to do;
- another notice written for an older deadline version is cancelled (the gate notices are keyed by it);
- a reassignment notice whose assignment changed again is cancelled.
Reminders themselves are re-checked by the sweep (`spbe.services.reminders`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from sqlmodel import Session, col, select

from spbe import clock
from spbe.services.outbox import cancel
from spbe.store import models as m
from spbe.store.audit import record
from spbe.store.tables_reminders import OPEN_STATES, OutboxMessage

PHASE_KINDS = ("notice", "reminder", "escalation")  # what a closed phase makes untrue (not the report)
OPENING = "opening:"
ASSIGNMENT = "assignment:"
UNASSIGNED = "unassigned:"


@dataclass
class Review:
    cancelled: dict[str, list[int]] = field(default_factory=dict)
    rewritten: list[int] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.cancelled or self.rewritten)

    def as_dict(self) -> dict:
        return {"cancelled": {k: len(v) for k, v in self.cancelled.items()}, "rewritten": len(self.rewritten)}


def review_notices(session: Session, *, cycle: m.Cycle, actor: str = "outbox") -> Review:
    """Cancel or rewrite every waiting message whose subject changed; one audit event when anything did."""
    return review_notices_many(session, cycles=[cycle], actor=actor)[cycle.id]  # type: ignore[index]


def review_notices_many(session: Session, *, cycles: Sequence[m.Cycle], actor: str = "outbox") -> dict[int, Review]:
    """`review_notices` for many cycles (a national sweep): the waiting rows, phases and assignments of all
    of them read in one query each, the cancellations written together."""
    ids = [c.id for c in cycles]
    reviews: dict[int, Review] = {cid: Review() for cid in ids}  # type: ignore[misc]
    waiting: dict[int, list[OutboxMessage]] = {}
    for row in session.exec(
        select(OutboxMessage).where(
            col(OutboxMessage.cycle_id).in_(ids),
            col(OutboxMessage.state).in_(OPEN_STATES),
            col(OutboxMessage.kind).in_(PHASE_KINDS),
        )
    ):
        waiting.setdefault(row.cycle_id, []).append(row)
    if not waiting:
        return reviews
    busy = list(waiting)
    phases_of: dict[int, dict[str, m.Phase]] = {cid: {} for cid in busy}
    for p in session.exec(select(m.Phase).where(col(m.Phase.cycle_id).in_(busy))):
        phases_of[p.cycle_id][p.name] = p
    assessors_of: dict[int, dict[int, str | None]] = {cid: {} for cid in busy}
    for a in session.exec(select(m.Assignment).where(col(m.Assignment.cycle_id).in_(busy))):
        assessors_of[a.cycle_id][a.indicator_number] = a.assessor_key
    by_id = {c.id: c for c in cycles}
    cancelled: dict[str, list[int]] = {}
    for cid, rows in waiting.items():
        review, phases, assessors = reviews[cid], phases_of[cid], assessors_of[cid]
        openings: dict[str, list[OutboxMessage]] = {}
        for row in rows:
            phase = phases.get(row.phase or "")
            about = row.about or ""
            if phase is not None and phase.state == "closed":
                review.cancelled.setdefault("phase_closed", []).append(row.id)  # type: ignore[arg-type]
            elif about.startswith((ASSIGNMENT, UNASSIGNED)) and _assignment_changed(about, assessors):
                review.cancelled.setdefault("assignment_changed", []).append(row.id)  # type: ignore[arg-type]
            elif about.startswith(OPENING) and phase is not None and row.kind == "notice":
                openings.setdefault(phase.name, []).append(row)
            elif (
                row.kind == "notice"
                and phase is not None
                and row.deadline_version is not None
                and row.deadline_version != phase.deadline_version
            ):
                review.cancelled.setdefault("deadline_moved", []).append(row.id)  # type: ignore[arg-type]
        for name, opening in openings.items():
            _rewrite_openings(session, by_id[cid], phases[name], opening, review)
        for reason, row_ids in review.cancelled.items():
            cancelled.setdefault(reason, []).extend(row_ids)
    now = clock.now()
    for reason, row_ids in cancelled.items():
        cancel(session, row_ids, reason=reason, now=now)
    for cid, review in reviews.items():
        if review.changed:
            record(session, cycle_id=cid, actor=actor, action="outbox.reviewed", detail=review.as_dict())
    return reviews


def _assignment_changed(about: str, assessors: dict[int, str | None]) -> bool:
    """'assignment:12:asr-03' no longer holds when 12 has another assessor; 'unassigned:12:asr-03' when
    asr-03 has it again."""
    kind, _, rest = about.partition(":")
    number, _, person = rest.partition(":")
    try:
        current = assessors.get(int(number))
    except ValueError:
        return False
    return current != person if kind + ":" == ASSIGNMENT else current == person


def _rewrite_openings(
    session: Session, cycle: m.Cycle, phase: m.Phase, waiting: list[OutboxMessage], review: Review
) -> None:
    from spbe.services.opening import RENDER_OPENING

    work: Callable | None = RENDER_OPENING.get(phase.name)
    if work is None:
        return
    fresh = {n.recipient: n for n in work(session, cycle, phase)}
    now = clock.now()
    for row in waiting:
        notice = fresh.get(row.recipient)
        if notice is None:
            review.cancelled.setdefault("nothing_left", []).append(row.id)  # type: ignore[arg-type]
        elif (notice.subject, notice.body) != (row.subject, row.body) or row.deadline_version != phase.deadline_version:
            row.subject, row.body, row.deadline_version, row.updated_at = (
                notice.subject,
                notice.body,
                phase.deadline_version,
                now,
            )
            session.add(row)
            review.rewritten.append(row.id)  # type: ignore[arg-type]


def reassignment_notices(
    session: Session, *, cycle: m.Cycle, indicator: int, old: str | None, new: str | None, reason: str | None
):
    """The old assessor hears the indicator is no longer theirs, the new one that it is; each notice is
    cancelled if the assignment changes again before it goes out."""
    from spbe.messages import render
    from spbe.services.outbox import Notice

    people = {p.key: p for p in session.exec(select(m.Person).where(m.Person.cycle_id == cycle.id))}
    ind = session.exec(
        select(m.Indicator).where(m.Indicator.cycle_id == cycle.id, m.Indicator.number == indicator)
    ).first()
    row = session.exec(
        select(m.Assignment).where(m.Assignment.cycle_id == cycle.id, m.Assignment.indicator_number == indicator)
    ).first()
    owner = (
        session.exec(select(m.Opd).where(m.Opd.cycle_id == cycle.id, m.Opd.code == row.owner_opd)).first()
        if row and row.owner_opd
        else None
    )
    stamp = clock.now().isoformat()
    notices = []
    for person_key, gained, other_key in ((new, True, old), (old, False, new)):
        person = people.get(person_key or "")
        if person is None:
            continue
        subject, body = render(
            "notice_reassignment.txt.j2",
            cycle=cycle,
            person=person,
            gained=gained,
            indicator={"number": indicator, "name": ind.name if ind else ""},
            owner_name=owner.name if owner else (row.owner_opd if row else "-"),
            other=people.get(other_key or ""),
            approved=bool(row and row.approved_at),
            reason=reason,
        )
        about = f"{ASSIGNMENT if gained else UNASSIGNED}{indicator}:{person.key}"
        notices.append(
            Notice(person.key, subject, body, key=f"{cycle.code}:{about}:{stamp}", about=about, kind="notice")
        )
    return notices
