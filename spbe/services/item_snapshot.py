"""The item part of a cycle snapshot (Pemdi): every catalog item with its owner, assessor, latest answer and
the last review of that answer, aimed levels, supporting OPDs and external values.

Six set-based queries, whatever the catalog's size: the latest answer of every item (one join on the max
version), every review of the cycle (narrow columns, in id order so the last one of a version wins),
item owners, supporting OPDs, aimed levels and external values (in id order: the latest row wins).
"""

from __future__ import annotations

import dataclasses
from fractions import Fraction

from sqlmodel import Session, col, func, select

from spbe.domain.snapshot import VERDICT_REVISE, CycleSnapshot, ExternalState, ItemState
from spbe.items.model import ItemsModel
from spbe.items.valuation import level_tallies
from spbe.store import models as m
from spbe.store import tables_items as t


def with_items(session: Session, cycle: m.Cycle, snapshot: CycleSnapshot, model: ItemsModel) -> CycleSnapshot:
    cid = cycle.id
    lead = {i.number: i.owner_opd for i in snapshot.indicators}
    assessor = {i.number: i.assessor for i in snapshot.indicators}
    given = {o.item_code: o.opd_code for o in session.exec(select(t.ItemOwner).where(t.ItemOwner.cycle_id == cid))}
    supporting: dict[int, list[str]] = {}
    for s in session.exec(select(t.SupportingOpd).where(t.SupportingOpd.cycle_id == cid).order_by(t.SupportingOpd.id)):
        supporting.setdefault(s.indicator_number, []).append(s.opd_code)
    aimed = {
        a.indicator_number: a.level
        for a in session.exec(select(t.AimedLevel).where(t.AimedLevel.cycle_id == cid).order_by(t.AimedLevel.id))
    }  # ordered by id: the latest statement wins
    externals = {
        e.indicator_number: ExternalState(
            e.indicator_number,
            Fraction(e.source_value),
            Fraction(e.value),
            e.source_date,
            e.recorded_by,
            e.recorded_at,
            e.note,
        )
        for e in session.exec(
            select(t.ExternalValue).where(t.ExternalValue.cycle_id == cid).order_by(t.ExternalValue.id)
        )
    }
    latest_version = (
        select(t.ItemAnswer.item_code, func.max(t.ItemAnswer.version).label("v"))
        .where(t.ItemAnswer.cycle_id == cid)
        .group_by(t.ItemAnswer.item_code)
        .subquery()
    )
    answers = {
        a.item_code: a
        for a in session.exec(
            select(t.ItemAnswer)
            .join(
                latest_version,
                (col(t.ItemAnswer.item_code) == latest_version.c.item_code)
                & (col(t.ItemAnswer.version) == latest_version.c.v),
            )
            .where(t.ItemAnswer.cycle_id == cid)
        )
    }
    last_review: dict[int, tuple] = {}
    rounds: dict[str, int] = {}
    for answer_id, code, verdict, kind, note, reviewer, stage in session.exec(
        select(
            t.ItemReview.answer_id,
            t.ItemReview.item_code,
            t.ItemReview.verdict,
            t.ItemReview.kind,
            t.ItemReview.note,
            t.ItemReview.reviewer,
            t.ItemReview.stage,
        )
        .where(t.ItemReview.cycle_id == cid)
        .order_by(t.ItemReview.id)
    ):
        last_review[answer_id] = (verdict, kind, note, reviewer, stage)  # the last review of each version wins
        if verdict == VERDICT_REVISE:
            rounds[code] = rounds.get(code, 0) + 1

    entered: list[ItemState] = []
    for item in model.catalog.items:
        answer = answers.get(item.code)
        review = last_review.get(answer.id) if answer is not None and answer.id is not None else None
        verdict, kind, note, reviewer, stage = review or (None, None, None, None, None)
        entered.append(
            ItemState(
                code=item.code,
                indicator=item.indicator,
                level=item.level,
                role=item.role.value,
                text=item.text,
                owner_opd=given.get(item.code) or lead.get(item.indicator),
                assessor=assessor.get(item.indicator),
                version=answer.version if answer else None,
                evidence=tuple(answer.evidence or ()) if answer else (),
                note=answer.note if answer else None,
                submitted_at=answer.submitted_at if answer else None,
                late=answer.late if answer else False,
                verdict=verdict,
                kind=kind,
                review_note=note,
                reviewer=reviewer,
                stage=stage,
                revise_rounds=rounds.get(item.code, 0),
                official_code=item.official_code,
            )
        )
    return dataclasses.replace(
        snapshot,
        evidence_model="items",
        items=tuple(_mark_auto_rejected(model, entered)),
        aimed=aimed,
        externals=externals,
        external_indicators=tuple(e.indicator for e in model.externals),
        supporting={n: tuple(v) for n, v in supporting.items()},
    )


def _mark_auto_rejected(model: ItemsModel, items: list[ItemState]) -> list[ItemState]:
    """Items above the first level of their indicator that is not fully accepted are ditolak otomatis."""
    states = {i.code: i.entered for i in items}
    blocking: dict[int, int] = {}
    for number in model.item_indicators():
        _, complete_through = level_tallies(model, number, states)
        blocking[number] = complete_through + 1
    return [dataclasses.replace(i, auto_rejected=True) if i.level > blocking.get(i.indicator, 6) else i for i in items]
