"""Pemdi evidence item by item: an OPD answers per item and states the level it aims for; an assessor
judges per item. Plain functions with keyword-only arguments; the caller owns the transaction (every
change and its audit event land together or not at all). CLI, importer, flows and the portal share them.

Rules decided here (the same as for indicator submissions in `spbe.services.submissions` where they meet):
- Every answer is a new version; nothing is edited. Content identical to the latest version (same OPD,
  evidence, note) is a no-op, so re-importing a file adds nothing.
- Who answers: the item's owner OPD (its indicator's lead OPD unless the item was given to a supporting
  OPD) through its SPBE admin, or a coordinator entering what the OPD sent.
- Late: an answer at or after the self-assessment deadline is late, except one that answers a revision
  request (the last review of the previous version said revisi), which is judged against the revision
  deadline. Late answers are kept and flagged, never refused.
- A review judges the latest version: `diterima`, or `revisi` with its kind (bukti_tidak_tepat |
  belum_diunggah) and a note saying what to fix. The indicator's assessor judges; a coordinator may judge
  in the assessor's stead (the audit says so). Conflict of interest: nobody judges an item of an
  indicator that their own OPD leads or supports, or an item given to their OPD. An identical repeat of
  the last review of the same version is a no-op.
- Ditolak otomatis. Items above the first level of their indicator that is not fully accepted are
  rejected automatically (the ministry app's rule). A review of such an item is RECORDED, not refused:
  the assessor may judge the whole indicator in one sitting, and the verdict counts as soon as the levels
  below are complete. Until then the item is shown as "ditolak otomatis" (`ItemState.auto_rejected`),
  and the result of `review_item` says so (`auto_rejected`, `blocking_level`).
- Aimed level: the lead OPD's admin (or a coordinator) states it per indicator; the latest statement wins.
- Once the final-report phase is closed the cycle is closed: no answers, reviews or aims.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from spbe import clock
from spbe.domain.assignment import conflict_of_interest
from spbe.domain.snapshot import CycleSnapshot, entered_state
from spbe.errors import InputError, RefusedError
from spbe.evidence_files import parse_ref
from spbe.intake.item_values import parse_item_evidence, parse_item_verdict, parse_revision_kind, parse_stage
from spbe.intake.values import MAX_NOTE, clean_text, parse_level
from spbe.items.catalog import Item, indicator_label
from spbe.items.externals import ExternalReading
from spbe.items.model import ItemsModel
from spbe.items.status import ItemState as EnteredState
from spbe.items.valuation import level_tallies
from spbe.services.evidence_store import find_evidence_file
from spbe.services.item_catalog import find_item, indicator_number, require_items_model
from spbe.services.item_setup import give_item, record_external, set_supporting, supporting_opds
from spbe.services.lookup import find_phase, get_assignment, get_opd, get_person
from spbe.services.people import Actor, actor_id, require_opd_admin
from spbe.services.submission_store import flush_or_refuse, item_answer_fingerprint, item_review_fingerprint
from spbe.services.submissions import refuse_closed_cycle
from spbe.store import models as m
from spbe.store import tables_items as t
from spbe.store.audit import record

__all__ = [
    "ItemReviewResult",
    "ItemSubmitResult",
    "aim_level",
    "external_readings",
    "give_item",
    "item_owner",
    "item_statuses",
    "record_external",
    "review_item",
    "set_supporting",
    "submit_item",
]


@dataclass
class ItemSubmitResult:
    answer: t.ItemAnswer
    item: Item
    created: bool  # False: identical to the latest version, nothing written
    answers_revision: bool = False

    @property
    def late(self) -> bool:
        return self.answer.late


@dataclass
class ItemReviewResult:
    review: t.ItemReview
    answer: t.ItemAnswer
    item: Item
    created: bool  # False: identical to the last review of this version, nothing written
    in_stead_of: str | None = None  # the assigned assessor, when a coordinator judged instead
    blocking_level: int | None = None  # the first level of the indicator not fully accepted, after this review

    @property
    def auto_rejected(self) -> bool:
        """The item sits above the blocking level: recorded, but ditolak otomatis until that level is complete."""
        return self.blocking_level is not None and self.item.level > self.blocking_level


@dataclass
class AimResult:
    row: t.AimedLevel
    created: bool


def item_owner(session: Session, *, cycle: m.Cycle, item: Item) -> str | None:
    """Who answers the item: the OPD it was given to, else its indicator's lead OPD."""
    given = session.exec(
        select(t.ItemOwner).where(t.ItemOwner.cycle_id == cycle.id, t.ItemOwner.item_code == item.code)
    ).first()
    if given is not None:
        return given.opd_code
    return get_assignment(session, cycle=cycle, number=item.indicator).owner_opd


def submit_item(
    session: Session,
    *,
    cycle: m.Cycle,
    actor: Actor,
    code: str,
    evidence: list[str] | str | None,
    note: str | None = None,
    now: datetime | None = None,
    source: str = "cli",
) -> ItemSubmitResult:
    """Record an OPD's answer to one item as a new version (identical content: nothing written)."""
    model = require_items_model(cycle, doing=f"menjawab butir {code}")
    item = find_item(model, code)
    problems: list[str] = []
    refs = _field(problems, "evidence", parse_item_evidence, evidence)
    clean_note = _field(problems, "note", lambda v: clean_text(v, limit=MAX_NOTE), note)
    if refs is not None:
        problems += _unknown_files(session, cycle, refs)
    if problems:
        raise InputError(problems, source=f"butir {item.code}")
    refuse_closed_cycle(session, cycle)
    owner = item_owner(session, cycle=cycle, item=item)
    if owner is None:
        raise RefusedError(
            f"butir {item.code}: {indicator_label(item.indicator)} belum punya OPD pengampu; tetapkan dengan "
            "`spbe assign --indicator N --owner KODE` lebih dulu"
        )
    opd = get_opd(session, cycle=cycle, code=owner)
    require_opd_admin(session, cycle, opd, actor)
    fingerprint = item_answer_fingerprint(opd=opd.code, code=item.code, evidence=refs or [], note=clean_note)
    latest = _latest_answer(session, cycle, item.code)
    previous = _last_review(session, latest.id) if latest is not None else None
    answers_revision = previous is not None and previous.verdict == "revisi"
    if latest is not None and latest.fingerprint == fingerprint:
        return ItemSubmitResult(latest, item, created=False, answers_revision=answers_revision)
    now = now or clock.now()
    deadline = _deadline(session, cycle, "revision" if answers_revision else "self-assessment")
    answer = t.ItemAnswer(
        cycle_id=cycle.id,
        item_code=item.code,
        indicator_number=item.indicator,
        level=item.level,
        opd_code=opd.code,
        version=(latest.version + 1) if latest else 1,
        evidence=refs or [],
        note=clean_note,
        submitted_by=actor_id(actor),
        submitted_at=now,
        late=deadline is not None and now >= deadline,
        source=source,
        fingerprint=fingerprint,
    )
    session.add(answer)
    flush_or_refuse(session, f"jawaban lain untuk butir {item.code} tercatat pada saat yang sama; coba lagi")
    record(
        session,
        cycle_id=cycle.id,
        actor=actor_id(actor),
        action="item.answered",
        subject=f"item:{item.code}",
        detail={
            "indicator": item.indicator,
            "level": item.level,
            "opd": opd.code,
            "version": answer.version,
            "evidence": len(answer.evidence),
            "late": answer.late,
            "answers_revision": answers_revision,
            "source": source,
        },
    )
    return ItemSubmitResult(answer, item, created=True, answers_revision=answers_revision)


def aim_level(
    session: Session,
    *,
    cycle: m.Cycle,
    actor: Actor,
    indicator: int | str,
    level: int | str,
    now: datetime | None = None,
    source: str = "cli",
) -> AimResult:
    """The level the lead OPD aims for on an indicator this year (its main items up to it are what the
    self-assessment waits for). A repeat of the current aim writes nothing."""
    model = require_items_model(cycle, doing="menetapkan tingkat sasaran")
    number = indicator_number(model, indicator)
    label = indicator_label(number)
    try:
        clean_level = parse_level(level)
    except ValueError as exc:
        raise InputError(f"{label}, tingkat sasaran: {exc}") from None
    spec = model.external(number)
    if spec is not None:
        raise RefusedError(
            f"{label} dinilai dari {spec.source_index}, bukan dari butir: tidak ada tingkat sasaran yang ditetapkan "
            "OPD; koordinator mencatat nilainya dengan `spbe external`"
        )
    refuse_closed_cycle(session, cycle)
    lead = get_assignment(session, cycle=cycle, number=number).owner_opd
    if lead is None:
        raise RefusedError(f"{label} belum punya OPD pengampu; tetapkan dengan `spbe assign` lebih dulu")
    require_opd_admin(session, cycle, get_opd(session, cycle=cycle, code=lead), actor)
    latest = session.exec(
        select(t.AimedLevel)
        .where(t.AimedLevel.cycle_id == cycle.id, t.AimedLevel.indicator_number == number)
        .order_by(col(t.AimedLevel.id).desc())
        .limit(1)
    ).first()
    if latest is not None and latest.level == clean_level and latest.opd_code == lead:
        return AimResult(latest, created=False)
    row = t.AimedLevel(
        cycle_id=cycle.id,
        indicator_number=number,
        opd_code=lead,
        level=clean_level,
        stated_by=actor_id(actor),
        stated_at=now or clock.now(),
    )
    session.add(row)
    session.flush()
    record(
        session,
        cycle_id=cycle.id,
        actor=actor_id(actor),
        action="item.aim_stated",
        subject=f"indicator:{number}",
        detail={"opd": lead, "level": clean_level, "before": latest.level if latest else None, "source": source},
    )
    return AimResult(row, created=True)


def review_item(
    session: Session,
    *,
    cycle: m.Cycle,
    actor: Actor,
    code: str,
    verdict: str,
    kind: str | None = None,
    note: str | None = None,
    now: datetime | None = None,
    stage: str = "internal",
    version: int | None = None,
    source: str = "cli",
) -> ItemReviewResult:
    """Judge the latest answer of an item. `version`, when given, is the version the reviewer saw (a
    template row): if the OPD answered again since, the review is refused, never applied to unseen content."""
    model = require_items_model(cycle, doing=f"menilai butir {code}")
    item = find_item(model, code)
    problems: list[str] = []
    clean_verdict = _field(problems, "verdict", parse_item_verdict, verdict)
    clean_kind = _field(problems, "kind", parse_revision_kind, kind)
    clean_stage = _field(problems, "stage", parse_stage, stage)
    clean_note = _field(problems, "note", lambda v: clean_text(v, limit=MAX_NOTE), note)
    if clean_verdict == "revisi" and clean_kind is None and not any(p.startswith("kind") for p in problems):
        problems.append("kind: revisi memerlukan alasannya: bukti_tidak_tepat atau belum_diunggah")
    if clean_verdict == "revisi" and clean_note is None and not any(p.startswith("note") for p in problems):
        problems.append("note: revisi memerlukan catatan yang menyebut apa yang harus diperbaiki")
    if clean_verdict == "diterima" and clean_kind is not None:
        problems.append("kind: alasan hanya untuk revisi, bukan untuk diterima")
    if problems:
        raise InputError(problems, source=f"butir {item.code}")
    refuse_closed_cycle(session, cycle)
    person = get_person(session, cycle=cycle, key=actor_id(actor))
    assignment = get_assignment(session, cycle=cycle, number=item.indicator)
    in_stead_of: str | None = None
    if assignment.assessor_key != person.key:
        if person.role != "coordinator":
            assigned = assignment.assessor_key or "belum ada"
            raise RefusedError(
                f"butir {item.code}: {indicator_label(item.indicator)} dinilai asesor {assigned}, bukan "
                f"{person.key}; hanya asesornya (atau koordinator menggantikannya) yang menilai"
            )
        in_stead_of = assignment.assessor_key or "-"
    owner = item_owner(session, cycle=cycle, item=item)
    supporters = supporting_opds(session, cycle=cycle, indicator=item.indicator)
    if conflict_of_interest(person.opd_code, assignment.owner_opd, owner, *supporters):
        raise RefusedError(
            f"konflik kepentingan: {person.key} dari {person.opd_code}, yang mengampu atau mendukung "
            f"{indicator_label(item.indicator)} (butir {item.code}); minta koordinator menugaskan asesor lain"
        )
    latest = _latest_answer(session, cycle, item.code)
    if latest is None:
        raise RefusedError(f"butir {item.code} belum dijawab OPD; belum ada yang dinilai")
    if version is not None and version != latest.version:
        raise RefusedError(
            f"butir {item.code}: penilaian ini untuk versi {version}, tetapi versi {latest.version} sudah dikirim "
            "sejak itu; nilai versi terbaru (ambil template asesor yang baru)"
        )
    assert latest.id is not None and clean_verdict is not None and clean_stage is not None
    fingerprint = item_review_fingerprint(
        answer_id=latest.id,
        reviewer=person.key,
        verdict=clean_verdict,
        kind=clean_kind,
        note=clean_note,
        stage=clean_stage,
    )
    last = _last_review(session, latest.id)
    if last is not None and last.fingerprint == fingerprint:
        blocking = blocking_level(session, cycle=cycle, model=model, indicator=item.indicator)
        return ItemReviewResult(last, latest, item, False, in_stead_of, blocking)
    row = t.ItemReview(
        cycle_id=cycle.id,
        answer_id=latest.id,
        item_code=item.code,
        version=latest.version,
        verdict=clean_verdict,
        kind=clean_kind,
        note=clean_note,
        reviewer=person.key,
        reviewed_at=now or clock.now(),
        stage=clean_stage,
        source=source,
        fingerprint=fingerprint,
    )
    session.add(row)
    flush_or_refuse(session, f"penilaian butir {item.code} tidak dapat dicatat; coba lagi")
    blocking = blocking_level(session, cycle=cycle, model=model, indicator=item.indicator)
    detail: dict[str, Any] = {
        "indicator": item.indicator,
        "level": item.level,
        "version": latest.version,
        "verdict": clean_verdict,
        "kind": clean_kind,
        "stage": clean_stage,
        "source": source,
        "auto_rejected": blocking is not None and item.level > blocking,
    }
    if in_stead_of:
        detail["in_stead_of"] = in_stead_of
    record(
        session,
        cycle_id=cycle.id,
        actor=person.key,
        action="item.reviewed",
        subject=f"item:{item.code}",
        reason=f"koordinator menilai menggantikan {in_stead_of}" if in_stead_of else None,
        detail=detail,
    )
    return ItemReviewResult(row, latest, item, True, in_stead_of, blocking)


def blocking_level(session: Session, *, cycle: m.Cycle, model: ItemsModel, indicator: int) -> int | None:
    """The first level of an indicator whose main items are not all accepted (None: all five are), from the
    latest answer of each of its items and the last review of it: two queries, this indicator only."""
    answers = {
        a.item_code: a
        for a in session.exec(
            select(t.ItemAnswer)
            .where(t.ItemAnswer.cycle_id == cycle.id, t.ItemAnswer.indicator_number == indicator)
            .order_by(col(t.ItemAnswer.version))
        )
    }  # ordered by version: the latest wins
    ids = [a.id for a in answers.values()]
    verdicts: dict[int, tuple[str, str | None]] = {}
    if ids:
        for answer_id, verdict, kind in session.exec(
            select(t.ItemReview.answer_id, t.ItemReview.verdict, t.ItemReview.kind)
            .where(col(t.ItemReview.answer_id).in_(ids))
            .order_by(col(t.ItemReview.id))
        ):
            verdicts[answer_id] = (verdict, kind)
    states: dict[str, EnteredState] = {}
    for code, answer in answers.items():
        verdict, kind = verdicts.get(answer.id or 0, (None, None))
        states[code] = entered_state(verdict, kind, answered=True)
    _, complete_through = level_tallies(model, indicator, states)
    return None if complete_through >= 5 else complete_through + 1


def item_statuses(snapshot: CycleSnapshot) -> dict[str, EnteredState]:
    """Item code → entered state (the `spbe.items.status` vocabulary), what `score_items` reads."""
    return {i.code: i.entered for i in snapshot.items}


def external_readings(snapshot: CycleSnapshot) -> dict[int, ExternalReading]:
    """Recorded external values as the value rules read them (source value and its date)."""
    return {
        n: ExternalReading(n, e.source_value, e.source_date or e.recorded_at.date())
        for n, e in snapshot.externals.items()
    }


def _latest_answer(session: Session, cycle: m.Cycle, code: str) -> t.ItemAnswer | None:
    return session.exec(
        select(t.ItemAnswer)
        .where(t.ItemAnswer.cycle_id == cycle.id, t.ItemAnswer.item_code == code)
        .order_by(col(t.ItemAnswer.version).desc())
        .limit(1)
    ).first()


def _last_review(session: Session, answer_id: int | None) -> t.ItemReview | None:
    if answer_id is None:
        return None
    return session.exec(
        select(t.ItemReview).where(t.ItemReview.answer_id == answer_id).order_by(col(t.ItemReview.id).desc()).limit(1)
    ).first()


def _unknown_files(session: Session, cycle: m.Cycle, refs: list[str]) -> list[str]:
    problems = []
    for ref in refs:
        digest = parse_ref(ref)
        if digest is not None and find_evidence_file(session, cycle=cycle, digest=digest) is None:
            problems.append(f"evidence: berkas {ref[:30]}… belum diunggah ke siklus {cycle.code}")
    return problems


def _deadline(session: Session, cycle: m.Cycle, phase: str) -> datetime | None:
    row = find_phase(session, cycle, phase)
    return row.deadline_at if row else None


def _field(problems: list[str], name: str, parse, value):
    try:
        return parse(value)
    except ValueError as exc:
        problems.append(f"{name}: {exc}")
        return None
