"""Each phase's opening work: what people are told (and, for locus, assigned) when the phase opens.

Runs inside the transaction that opens the phase, so the notices exist exactly when the phase is
open; their keys make a repeated opening queue nothing new.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlmodel import Session

from spbe.domain.snapshot import CycleSnapshot, ItemStatus
from spbe.messages import render
from spbe.services.outbox import Notice
from spbe.services.snapshot import take_snapshot
from spbe.store import models as m


def _notice(cycle: m.Cycle, phase: m.Phase, recipient: str, template: str, **context) -> Notice:
    subject, body = render(template, cycle=cycle, phase=phase, **context)
    return Notice(recipient, subject, body, key=f"{cycle.code}:{phase.name}:opened:{recipient}", phase=phase.name)


def _answerable(session: Session, cycle: m.Cycle, phase: m.Phase, recipient: str, template: str, **context) -> Notice:
    """A notice that asks for an answer: it carries the recipient's portal link."""
    from spbe.portal.links import link_for

    link = link_for(session, cycle, recipient)
    subject, body = render(template, cycle=cycle, phase=phase, answer_link=link, **context)
    return Notice(recipient, subject, body, key=f"{cycle.code}:{phase.name}:opened:{recipient}", phase=phase.name)


def locus(session: Session, cycle: m.Cycle, phase: m.Phase) -> list[Notice]:
    from spbe.services.assignments import auto_assign
    from spbe.services.people import TIMEKEEPER

    if any(i.assessor is None for i in take_snapshot(session, cycle).indicators):
        auto_assign(session, cycle=cycle, actor=TIMEKEEPER)  # part of the opening, whoever opened
    snap = take_snapshot(session, cycle)
    notices = [
        _notice(
            cycle,
            phase,
            snap.opds[code].admin_key,
            "notice_locus_opd.txt.j2",
            opd=snap.opds[code],
            items=snap.indicators_of(code),
            people=snap.people,
        )
        for code in snap.owning_opds()
    ]
    for person in (p for p in snap.people.values() if p.role == "assessor"):
        items = snap.indicators_for_assessor(person.key)
        notices.append(
            _notice(
                cycle, phase, person.key, "notice_locus_assessor.txt.j2", person=person, items=items, opds=snap.opds
            )
        )
    return notices


def socialization(session: Session, cycle: m.Cycle, phase: m.Phase) -> list[Notice]:
    snap = take_snapshot(session, cycle)
    event = dict(phase.extra.get("event", {}))
    return [
        _notice(cycle, phase, opd.admin_key, "notice_socialization.txt.j2", opd=opd, event=event)
        for opd in snap.opds.values()
    ]


def self_assessment(session: Session, cycle: m.Cycle, phase: m.Phase) -> list[Notice]:
    snap = take_snapshot(session, cycle)
    return [
        _answerable(
            session,
            cycle,
            phase,
            snap.opds[code].admin_key,
            "notice_self_assessment.txt.j2",
            opd=snap.opds[code],
            items=snap.indicators_of(code),
        )
        for code in snap.owning_opds()
    ]


def document_review(session: Session, cycle: m.Cycle, phase: m.Phase) -> list[Notice]:
    snap = take_snapshot(session, cycle)
    return _per_assessor(session, snap, cycle, phase, ItemStatus.SUBMITTED, "notice_document_review.txt.j2")


def revision(session: Session, cycle: m.Cycle, phase: m.Phase) -> list[Notice]:
    snap = take_snapshot(session, cycle)
    notices = []
    for code in snap.owning_opds():
        items = [i for i in snap.indicators_of(code) if i.status is ItemStatus.REVISE]
        if items:
            notices.append(
                _answerable(
                    session,
                    cycle,
                    phase,
                    snap.opds[code].admin_key,
                    "notice_revision.txt.j2",
                    opd=snap.opds[code],
                    items=items,
                )
            )
    return notices


def final_report(session: Session, cycle: m.Cycle, phase: m.Phase) -> list[Notice]:
    return []  # the final-report flow builds and delivers the report itself


def _per_assessor(
    session: Session, snap: CycleSnapshot, cycle: m.Cycle, phase: m.Phase, status: ItemStatus, template: str
) -> list[Notice]:
    notices = []
    for person in (p for p in snap.people.values() if p.role == "assessor"):
        items = [i for i in snap.indicators_for_assessor(person.key) if i.status is status]
        if items:
            notices.append(
                _answerable(session, cycle, phase, person.key, template, person=person, items=items, opds=snap.opds)
            )
    return notices


OPENING_WORK: dict[str, Callable[[Session, m.Cycle, m.Phase], list[Notice]]] = {
    "locus": locus,
    "socialization": socialization,
    "self-assessment": self_assessment,
    "document-review": document_review,
    "revision": revision,
    "final-report": final_report,
}
