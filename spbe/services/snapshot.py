"""Reading a `CycleSnapshot` from the store in a fixed number of queries, whatever the cycle's size.

Under an items framework (Pemdi) six more queries read the item part, set-based: the latest answer of
every item (one join on the max version), every review of the cycle (narrow columns), item owners,
supporting OPDs, aimed levels and external values. No query per item or per indicator.
"""

from __future__ import annotations

from sqlmodel import Session, func, select

from spbe.domain.snapshot import CycleSnapshot, IndicatorState, OpdInfo, PersonInfo, PhaseInfo
from spbe.services.item_catalog import items_model_of
from spbe.services.item_snapshot import with_items
from spbe.services.report_record import report_of_record
from spbe.store import models as m


def take_snapshot(session: Session, cycle: m.Cycle) -> CycleSnapshot:
    cid = cycle.id
    phases = {
        p.name: PhaseInfo(p.name, p.title, p.seq, p.state, p.opens_at, p.deadline_at, p.deadline_version,
                          p.close_mode, p.overlap, dict(p.extra or {}))
        for p in session.exec(select(m.Phase).where(m.Phase.cycle_id == cid).order_by(m.Phase.seq))
    }
    opds = {o.code: OpdInfo(o.code, o.name, o.admin_key, o.head_key)
            for o in session.exec(select(m.Opd).where(m.Opd.cycle_id == cid).order_by(m.Opd.id))}
    people = {p.key: PersonInfo(p.key, p.name, p.role, p.opd_code)
              for p in session.exec(select(m.Person).where(m.Person.cycle_id == cid).order_by(m.Person.id))}
    indicators = {i.number: i for i in session.exec(select(m.Indicator).where(m.Indicator.cycle_id == cid))}
    assignments = session.exec(select(m.Assignment).where(m.Assignment.cycle_id == cid)).all()

    latest_version = (
        select(m.Submission.indicator_number, func.max(m.Submission.version).label("v"))
        .where(m.Submission.cycle_id == cid)
        .group_by(m.Submission.indicator_number)
        .subquery()
    )
    latest = {
        s.indicator_number: s
        for s in session.exec(
            select(m.Submission).join(
                latest_version,
                (m.Submission.indicator_number == latest_version.c.indicator_number)
                & (m.Submission.version == latest_version.c.v),
            ).where(m.Submission.cycle_id == cid)
        )
    }
    reviews: dict[int, m.Review] = {}
    rounds: dict[int, int] = {}
    for r in session.exec(select(m.Review).where(m.Review.cycle_id == cid).order_by(m.Review.id)):
        reviews[r.submission_id] = r  # the last review of each version wins
        if r.verdict == "revise":
            rounds[r.indicator_number] = rounds.get(r.indicator_number, 0) + 1

    states = []
    for a in sorted(assignments, key=lambda a: a.indicator_number):
        ind = indicators[a.indicator_number]
        sub = latest.get(a.indicator_number)
        rev = reviews.get(sub.id) if sub else None
        states.append(IndicatorState(
            number=ind.number, name=ind.name, weight=ind.weight, owner_opd=a.owner_opd, assessor=a.assessor_key,
            version=sub.version if sub else None,
            claimed_level=sub.level if sub else None,
            evidence=tuple(sub.evidence or ()) if sub else (),
            submitted_at=sub.submitted_at if sub else None,
            late=sub.late if sub else False,
            verdict=rev.verdict if rev else None,
            validated_level=rev.level if rev and rev.verdict == "accept" else None,
            revise_rounds=rounds.get(a.indicator_number, 0),
        ))
    attendance = {a.opd_code: (a.waived, a.reason)
                  for a in session.exec(select(m.Attendance).where(m.Attendance.cycle_id == cid))}
    report = session.exec(select(m.Report.id).where(m.Report.cycle_id == cid).limit(1)).first()
    of_record = report_of_record(session, cycle)  # the build sent to leadership: another build undoes nothing
    approved = bool(assignments) and all(a.approved_at is not None for a in assignments)
    snapshot = CycleSnapshot(
        cycle_id=cid, code=cycle.code, year=cycle.year, timezone=cycle.timezone, phases=phases, opds=opds,
        people=people, indicators=tuple(states), attendance=attendance, assignments_approved=approved,
        report_built=report is not None, report_delivered=bool(of_record and of_record.delivered_at),
    )
    model = items_model_of(cycle)
    if model is None:
        return snapshot
    return with_items(session, cycle, snapshot, model)
