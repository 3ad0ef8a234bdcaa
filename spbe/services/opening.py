"""What people are told when a phase opens, written from the store as it stands.

The opening runs these inside the transaction that opens the phase (`spbe.services.opening_work`, which
also assigns assessors for locus), so the notices exist exactly when the phase is open; their keys make
a repeated opening queue nothing new. While a notice waits, `spbe.services.stale` writes it again from
`RENDER_OPENING`, so it still holds when it leaves.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, time

from sqlmodel import Session

from spbe.domain.snapshot import CycleSnapshot, ItemStatus
from spbe.frameworks import load_framework
from spbe.messages import clipped, fitted, message_length, render
from spbe.services.outbox import Notice
from spbe.services.snapshot import take_snapshot
from spbe.store import models as m


def _notice(cycle: m.Cycle, phase: m.Phase, recipient: str, template: str, **context) -> Notice:
    subject, body = render(template, cycle=cycle, phase=phase, **context)
    return Notice(
        recipient,
        subject,
        body,
        key=f"{cycle.code}:{phase.name}:opened:{recipient}",
        phase=phase.name,
        deadline_version=phase.deadline_version,
        about=f"opening:{phase.name}",  # rewritten from the store while it waits (spbe.services.stale)
    )


def _answerable(session: Session, cycle: m.Cycle, phase: m.Phase, recipient: str, template: str, **context) -> Notice:
    """A notice that asks for an answer: it carries the recipient's portal link."""
    from spbe.portal.links import link_for

    return _notice(cycle, phase, recipient, template, answer_link=link_for(session, cycle, recipient), **context)


def locus_notices(session: Session, cycle: m.Cycle, phase: m.Phase) -> list[Notice]:
    """What locus tells owners and assessors, from the assignment as it stands (no assigning here)."""
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
                cycle,
                phase,
                person.key,
                "notice_locus_assessor.txt.j2",
                person=person,
                items=items,
                opds=snap.opds,
                approved=snap.assignments_approved,
            )
        )
    return notices


def socialization(session: Session, cycle: m.Cycle, phase: m.Phase) -> list[Notice]:
    """The invitation: the event's time in the reader's words, a confirmation deadline before the event
    (the working day before it, 16.00, never after the phase's deadline) and whom to confirm to."""
    snap = take_snapshot(session, cycle)
    event = dict(phase.extra.get("event", {}))
    start, confirm_by = _event_times(cycle, phase, event)
    from sqlmodel import select

    contact = session.exec(
        select(m.Person).where(m.Person.cycle_id == cycle.id, m.Person.role == "coordinator").order_by(m.Person.id)
    ).first()
    return [
        _notice(
            cycle,
            phase,
            opd.admin_key,
            "notice_socialization.txt.j2",
            opd=opd,
            event=event,
            start=start,
            confirm_by=confirm_by,
            contact=contact,
        )
        for opd in snap.opds.values()
    ]


def _event_times(cycle: m.Cycle, phase: m.Phase, event: dict) -> tuple[datetime | None, datetime]:
    from zoneinfo import ZoneInfo

    from spbe.errors import ConfigError
    from spbe.services.cycles import cycle_config_for
    from spbe.timeparse import parse_local

    if not event.get("when"):
        return None, phase.deadline_at
    tz = ZoneInfo(cycle.timezone)
    try:
        start = parse_local(event["when"], tz=tz, what="event when")
    except ConfigError:
        return None, phase.deadline_at  # refused by name when the cycle file is loaded
    day = cycle_config_for(cycle.config_path).calendar.add_working_days(start.astimezone(tz).date(), -1)
    confirm_by = min(datetime.combine(day, time(16, 0), tzinfo=tz), start, phase.deadline_at)
    return start, confirm_by


def self_assessment(session: Session, cycle: m.Cycle, phase: m.Phase) -> list[Notice]:
    snap = take_snapshot(session, cycle)
    if snap.by_items:
        required = snap.required_items()
        return [
            _item_notice(
                session, cycle, phase, snap, "self-assessment", code, [i for i in required if i.owner_opd == code]
            )
            for code in snap.owning_opds()
            if any(i.owner_opd == code for i in required)
        ]
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
    if snap.by_items:
        notices = []
        for person in (p for p in snap.people.values() if p.role == "assessor"):
            items = [i for i in snap.items if i.assessor == person.key and i.status is ItemStatus.SUBMITTED]
            if items:
                notices.append(_item_notice(session, cycle, phase, snap, "document-review", person.key, items))
        return notices
    return _per_assessor(session, snap, cycle, phase, ItemStatus.SUBMITTED, "notice_document_review.txt.j2")


def revision(session: Session, cycle: m.Cycle, phase: m.Phase) -> list[Notice]:
    snap = take_snapshot(session, cycle)
    if snap.by_items:
        return [
            _item_notice(session, cycle, phase, snap, "revision", code, items)
            for code in snap.owning_opds()
            if (items := [i for i in snap.items_of(code) if i.status is ItemStatus.REVISE])
        ]
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


NOTICE_ITEMS = 30  # items listed in one opening notice; the rest are counted (the template has them all)


def _item_notice(
    session: Session, cycle: m.Cycle, phase: m.Phase, snap: CycleSnapshot, what: str, who: str, items: list
) -> Notice:
    """An items cycle's opening notice to an OPD (by code) or an assessor (by key), items grouped by indicator;
    fewer listed when the message would pass MAX_MESSAGE (the rest counted)."""

    framework = load_framework(cycle.framework_id)
    opd = snap.opds.get(who)
    recipient = opd.admin_key if opd else who

    def notice_listing(listed: int) -> Notice:
        groups: list[dict] = []
        for item in items[:listed]:
            if not groups or groups[-1]["number"] != item.indicator:
                label, name = framework.indicator_label(item.indicator), framework.short_indicator_name(item.indicator)
                groups.append({"number": item.indicator, "label": label, "name": name, "entries": []})
            entry = {"code": item.code, "level": item.level, "text": clipped(item.text), "note": None}
            groups[-1]["entries"].append(entry)
        notice = _answerable(
            session,
            cycle,
            phase,
            recipient,
            "notice_items.txt.j2",
            what=what,
            opd=opd,
            person=snap.people.get(who),
            groups=groups,
            count=len(items),
            more=max(len(items) - listed, 0),
        )
        return notice

    return fitted(
        notice_listing,
        total=len(items),
        most=NOTICE_ITEMS,
        length=lambda notice: message_length(notice.subject, notice.body),
    )


def final_report(session: Session, cycle: m.Cycle, phase: m.Phase) -> list[Notice]:
    return []  # the final-report flow builds and delivers the report itself


def ministry_stage(session: Session, cycle: m.Cycle, phase: m.Phase) -> list[Notice]:
    """A ministry stage opens: the coordinators are told what to do in it; for the visit, the admins and
    heads of every owning OPD too (with the visit's time and place once set)."""
    from zoneinfo import ZoneInfo

    from spbe.errors import ConfigError
    from spbe.messages import tanggal_jam
    from spbe.services.cycles import framework_of
    from spbe.timeparse import parse_local

    snap = take_snapshot(session, cycle)
    event = dict(phase.extra.get("event") or {})
    when_text = None
    if event.get("when"):
        try:
            when_text = tanggal_jam(
                parse_local(event["when"], tz=ZoneInfo(cycle.timezone), what="event when"), cycle.timezone
            )
        except ConfigError:  # checked when the cycle file was loaded; an edited store row shows as typed
            when_text = str(event["when"])
    recipients = [p for p in snap.people.values() if p.role == "coordinator"]
    if phase.name == "ministry-visit":
        for code in snap.owning_opds():
            for key in (snap.opds[code].admin_key, snap.opds[code].head_key):
                if key in snap.people:
                    recipients.append(snap.people[key])
    short_name = framework_of(cycle).short_name
    return [
        _notice(
            cycle,
            phase,
            person.key,
            "notice_ministry_stage.txt.j2",
            person=person,
            event=event,
            when_text=when_text,
            short_name=short_name,
        )
        for person in recipients
    ]


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


RENDER_OPENING: dict[str, Callable[[Session, m.Cycle, m.Phase], list[Notice]]] = {
    "locus": locus_notices,
    "socialization": socialization,
    "self-assessment": self_assessment,
    "document-review": document_review,
    "revision": revision,
    "final-report": final_report,
    "ministry-upload": ministry_stage,
    "ministry-interview": ministry_stage,
    "ministry-visit": ministry_stage,
    "ministry-result": ministry_stage,
}
