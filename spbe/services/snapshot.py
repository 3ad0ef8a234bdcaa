"""Reading a `CycleSnapshot` from the store in a fixed number of queries, whatever the cycle's size.

Under an items framework (Pemdi) six more queries read the item part, set-based: the latest answer of
every item (one join on the max version), every review of the cycle (narrow columns), item owners,
supporting OPDs, aimed levels and external values. No query per item or per indicator.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from sqlmodel import Session, col, func, select

from spbe.domain.phases import MINISTRY_STAGES
from spbe.domain.snapshot import (
    CycleSnapshot,
    IndicatorState,
    MinistryState,
    OpdInfo,
    PersonInfo,
    PhaseInfo,
    UploadedItem,
)
from spbe.services.item_catalog import items_model_of
from spbe.services.item_snapshot import with_items
from spbe.services.report_record import reports_of_record
from spbe.store import models as m


def take_snapshot(session: Session, cycle: m.Cycle) -> CycleSnapshot:
    return take_snapshots(session, [cycle])[cycle.id]  # type: ignore[index]


def take_snapshots(session: Session, cycles: Sequence[m.Cycle]) -> dict[int, CycleSnapshot]:
    """The snapshots of many cycles (a national sweep) in the same fixed number of queries as one: every
    table read once for all of them (`cycle_id IN (...)`), grouped here. The item part (Pemdi) and the
    ministry's stages are read per cycle, only for cycles that have them."""
    ids = [c.id for c in cycles]
    phases: dict[int, dict[str, PhaseInfo]] = {cid: {} for cid in ids}
    for p in session.exec(select(m.Phase).where(col(m.Phase.cycle_id).in_(ids)).order_by(m.Phase.seq)):
        phases[p.cycle_id][p.name] = PhaseInfo(
            p.name, p.title, p.seq, p.state, p.opens_at, p.deadline_at, p.deadline_version,
            p.close_mode, p.overlap, dict(p.extra or {}),
        )
    opds: dict[int, dict[str, OpdInfo]] = {cid: {} for cid in ids}
    for o in session.exec(select(m.Opd).where(col(m.Opd.cycle_id).in_(ids)).order_by(m.Opd.id)):
        opds[o.cycle_id][o.code] = OpdInfo(o.code, o.name, o.admin_key, o.head_key)
    people: dict[int, dict[str, PersonInfo]] = {cid: {} for cid in ids}
    for person in session.exec(select(m.Person).where(col(m.Person.cycle_id).in_(ids)).order_by(m.Person.id)):
        people[person.cycle_id][person.key] = PersonInfo(person.key, person.name, person.role, person.opd_code)
    # The tables that grow with the cycle are read as plain rows of the columns the snapshot keeps, not as
    # ORM objects: at national scale (600 agencies, ~160,000 rows) building and tracking the objects was
    # two thirds of the sweep (bench/national.py --profile).
    indicators: dict[int, dict[int, tuple]] = {cid: {} for cid in ids}
    for cid, number, name, weight in session.exec(
        select(m.Indicator.cycle_id, m.Indicator.number, m.Indicator.name, m.Indicator.weight).where(
            col(m.Indicator.cycle_id).in_(ids)
        )
    ):
        indicators[cid][number] = (name, weight)
    assignments: dict[int, list[tuple]] = {cid: [] for cid in ids}
    for cid, *assignment in session.exec(
        select(
            m.Assignment.cycle_id,
            m.Assignment.indicator_number,
            m.Assignment.owner_opd,
            m.Assignment.assessor_key,
            m.Assignment.approved_at,
        ).where(col(m.Assignment.cycle_id).in_(ids))
    ):
        assignments[cid].append(tuple(assignment))

    latest_version = (
        select(m.Submission.cycle_id, m.Submission.indicator_number, func.max(m.Submission.version).label("v"))
        .where(col(m.Submission.cycle_id).in_(ids))
        .group_by(m.Submission.cycle_id, m.Submission.indicator_number)
        .subquery()
    )
    latest: dict[int, dict[int, tuple]] = {cid: {} for cid in ids}
    for cid, number, *sub in session.exec(
        select(
            m.Submission.cycle_id,
            m.Submission.indicator_number,
            m.Submission.id,
            m.Submission.version,
            m.Submission.level,
            m.Submission.evidence,
            m.Submission.submitted_at,
            m.Submission.late,
        )
        .join(
            latest_version,
            (m.Submission.cycle_id == latest_version.c.cycle_id)
            & (m.Submission.indicator_number == latest_version.c.indicator_number)
            & (m.Submission.version == latest_version.c.v),
        )
        .where(col(m.Submission.cycle_id).in_(ids))
    ):
        latest[cid][number] = tuple(sub)
    reviews: dict[int, dict[int, tuple[str, int | None]]] = {cid: {} for cid in ids}
    rounds: dict[int, dict[int, int]] = {cid: {} for cid in ids}
    for cid, submission_id, number, verdict, level in session.exec(
        select(m.Review.cycle_id, m.Review.submission_id, m.Review.indicator_number, m.Review.verdict, m.Review.level)
        .where(col(m.Review.cycle_id).in_(ids))
        .order_by(m.Review.id)
    ):
        reviews[cid][submission_id] = (verdict, level)  # the last review of each version wins
        if verdict == "revise":
            rounds[cid][number] = rounds[cid].get(number, 0) + 1
    attendance: dict[int, dict[str, tuple[bool, str | None]]] = {cid: {} for cid in ids}
    for cid, opd_code, waived, reason in session.exec(
        select(m.Attendance.cycle_id, m.Attendance.opd_code, m.Attendance.waived, m.Attendance.reason).where(
            col(m.Attendance.cycle_id).in_(ids)
        )
    ):
        attendance[cid][opd_code] = (waived, reason)
    built = set(session.exec(select(m.Report.cycle_id).where(col(m.Report.cycle_id).in_(ids)).distinct()))
    of_record = reports_of_record(session, ids)  # the build sent to leadership: another build undoes nothing

    snapshots = {}
    for cycle in cycles:
        cid = cycle.id
        states = []
        for number, owner, assessor, _approved in sorted(assignments[cid], key=lambda a: a[0]):
            name, weight = indicators[cid][number]
            sub = latest[cid].get(number)
            sub_id, version, level, evidence, submitted_at, late = sub if sub else (None, None, None, (), None, False)
            verdict, validated = reviews[cid].get(sub_id, (None, None)) if sub else (None, None)
            states.append(IndicatorState(
                number=number, name=name, weight=weight, owner_opd=owner, assessor=assessor,
                version=version, claimed_level=level, evidence=tuple(evidence or ()),
                submitted_at=submitted_at, late=late, verdict=verdict,
                validated_level=validated if verdict == "accept" else None,
                revise_rounds=rounds[cid].get(number, 0),
            ))
        record = of_record.get(cid)
        approved = bool(assignments[cid]) and all(a[3] is not None for a in assignments[cid])
        snapshot = CycleSnapshot(
            cycle_id=cid, code=cycle.code, year=cycle.year, timezone=cycle.timezone, phases=phases[cid],
            opds=opds[cid], people=people[cid], indicators=tuple(states), attendance=attendance[cid],
            assignments_approved=approved, report_built=cid in built,
            report_delivered=bool(record and record.delivered_at),
        )
        model = items_model_of(cycle)
        if model is not None:
            snapshot = with_items(session, cycle, snapshot, model)
        if set(phases[cid]) & set(MINISTRY_STAGES):
            snapshot = dataclasses.replace(snapshot, ministry=ministry_state(session, cycle, snapshot))
        snapshots[cid] = snapshot
    return snapshots


EXPORT_ACTION = "export.ministry"  # the audit event `spbe export ministry` writes


def ministry_state(session: Session, cycle: m.Cycle, snapshot: CycleSnapshot) -> MinistryState:
    """What the ministry's stages judge: read only for a cycle that has them (a few small queries). Under
    items, what went to the ministry is every item the internal review accepted; an item whose last review
    is of the interviu stage carries that outcome."""
    from spbe.store import tables_items as t
    from spbe.store.tables_history import OfficialResult

    export_at = session.exec(
        select(func.max(m.AuditEvent.at)).where(m.AuditEvent.cycle_id == cycle.id, m.AuditEvent.action == EXPORT_ACTION)
    ).one()
    last_levels = session.exec(select(func.max(m.Review.reviewed_at)).where(m.Review.cycle_id == cycle.id)).one()
    last_items = session.exec(
        select(func.max(t.ItemReview.reviewed_at)).where(
            t.ItemReview.cycle_id == cycle.id, t.ItemReview.stage != "interviu"
        )
    ).one()
    last_review = max((x for x in (last_levels, last_items) if x is not None), default=None)
    recorded = session.exec(
        select(OfficialResult.id).where(OfficialResult.city == cycle.city, OfficialResult.year == cycle.year)
    ).first()
    uploaded = tuple(
        UploadedItem(i.code, i.indicator, i.owner_opd, i.verdict if i.stage == "interviu" else None)
        for i in snapshot.items
        if i.stage == "interviu" or (i.verdict == "diterima" and i.version is not None)
    )
    return MinistryState(
        export_at=export_at, last_review_at=last_review, uploaded=uploaded, result_recorded=recorded is not None
    )
