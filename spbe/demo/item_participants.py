"""The simulated people of a Pemdi year (evidence item by item): what they do and when, from the seed.

Pure, like `spbe.demo.participants` (whose locus, socialization and approvals it shares): given the state
at a phase's opening it returns that phase's acts. Lead OPDs state the level they aim for and answer the
items up to it, most with an uploaded file, some with a link, a few with a dead link or only a note;
supporting OPDs answer the items given to them; assessors accept items or send them back with the kind
of the problem; most sent-back items are answered and judged again. A coordinator records the external
indicators' values, writes the ministry export and records the ministry's result; the internal assessors
record the interviu's outcome per uploaded item.
"""

from __future__ import annotations

from datetime import datetime, time

from spbe.demo.participants import PLANNERS as BY_INDICATOR
from spbe.demo.participants import Act, Cast, answered_again
from spbe.domain.snapshot import CycleSnapshot, ItemState, ItemStatus, PhaseInfo

# Values the other agencies publish, as a coordinator would copy them (indicator, value, date). I7's
# conversion is not published (the framework asks for the 1-5 value): it stays "menunggu nilai eksternal".
EXTERNALS = ((5, "68,75", "SDI 2025, portal Satu Data Indonesia"), (6, "2", "SJIG 2025, BIG"),
             (18, "61,2", "SDI 2025 aspek interoperabilitas"))


def aim_of(cast: Cast, number: int) -> int:
    """The level an indicator's lead OPD aims for: a first year item by item, mostly 2 or 3."""
    key = 100 + number  # beside the true levels in the same seeded table
    if key not in cast.true_level:
        cast.true_level[key] = cast.rng.choices([1, 2, 3, 4], weights=[2, 5, 4, 1])[0]
    return cast.true_level[key]


def self_assessment(snap: CycleSnapshot, phase: PhaseInfo, cast: Cast) -> list[Act]:
    days = cast.working_days(cast.local(phase.opens_at), cast.local(phase.deadline_at))
    late = datetime.combine(cast.local(phase.deadline_at), time(16, 20), cast.tz)
    lead = {i.number: i.owner_opd for i in snap.indicators}
    acts = []
    for ind in snap.item_indicators():
        if cast.only is not None and ind.number not in cast.only:
            continue
        aim = aim_of(cast, ind.number)
        for item in snap.items:
            if item.indicator != ind.number or item.level > aim or not item.owner_opd:
                continue
            roll = cast.rng.random()
            if roll < 0.04:
                continue  # never answered
            at = late if roll < 0.09 else cast.moment(cast.rng.choice(days[len(days) // 4 :]))
            evidence, note = _answer(cast, item, version=1)
            acts.append(
                Act(
                    at,
                    "submit",
                    snap.opds[item.owner_opd].admin_key,
                    opd=item.owner_opd,
                    indicator=item.indicator,
                    item=item.code,
                    level=aim if item.owner_opd == lead.get(item.indicator) else None,  # the lead states the aim
                    evidence=evidence,
                    note=note,
                    phase=phase.name,
                )
            )
    first = cast.moment(days[min(3, len(days) - 1)], 9, 11)
    for number, value, note in EXTERNALS:
        if number in snap.external_indicators:
            acts.append(
                Act(first, "external", "koordinator", indicator=number, note=note, phase=phase.name,
                    evidence=(value, f"{snap.year - 1}-12-31"))
            )
    return acts


def _answer(cast: Cast, item: ItemState, *, version: int) -> tuple[tuple[str, ...], str]:
    """An uploaded file (`upload:NAME`, stored by the runner), a link, a dead link, or (rarely) only a note."""
    name = f"{item.code}-v{version}"
    roll = cast.rng.random()
    if version == 1 and roll < 0.03:
        return (), "bukti menyusul"
    if roll < 0.55 or version > 1:
        return (f"upload:{name}.pdf",), "bukti diunggah"
    kind = "ok" if roll < 0.93 else ("missing" if roll < 0.97 else "private")
    return (f"{cast.evidence_base}/{kind}/{name}.pdf",), "tautan dokumen"


def document_review(snap: CycleSnapshot, phase: PhaseInfo, cast: Cast) -> list[Act]:
    days = cast.working_days(cast.local(phase.opens_at), cast.local(phase.deadline_at))
    assessors = sorted({i.assessor for i in snap.items if i.assessor and i.status is ItemStatus.SUBMITTED})
    slow = cast.rng.choice(assessors) if assessors else None  # finishes four working days late
    late_day = cast.calendar.add_working_days(cast.local(phase.deadline_at), 4)
    acts = []
    for item in snap.items:
        if item.status is not ItemStatus.SUBMITTED or not item.assessor:
            continue
        at = cast.moment(late_day if item.assessor == slow else cast.rng.choice(days[2:-3] or days))
        broken = any("/missing/" in e or "/private/" in e for e in item.evidence)
        if not item.evidence:
            acts.append(_judge(at, item, phase, "belum_diunggah", "bukti belum diunggah; unggah berkasnya"))
        elif broken:
            acts.append(_judge(at, item, phase, "bukti_tidak_tepat", "tautan bukti tidak dapat dibuka"))
        elif cast.rng.random() < 0.12:
            note = f"bukti belum memenuhi kriteria tingkat {item.level}; lengkapi tanda tangan dan tanggal"
            acts.append(_judge(at, item, phase, "bukti_tidak_tepat", note))
        else:
            acts.append(_judge(at, item, phase, None, "sesuai"))
    return acts


def _judge(at: datetime, item: ItemState, phase: PhaseInfo, kind: str | None, note: str) -> Act:
    return Act(
        at,
        "review",
        item.assessor or "koordinator",
        opd=item.owner_opd,
        indicator=item.indicator,
        item=item.code,
        verdict="revisi" if kind else "diterima",
        reason=kind,
        note=note,
        phase=phase.name,
    )


def revision(snap: CycleSnapshot, phase: PhaseInfo, cast: Cast) -> list[Act]:
    days = cast.working_days(cast.local(phase.opens_at), cast.local(phase.deadline_at))
    acts = []
    for item in answered_again(snap.items, cast):
        first = cast.rng.randrange(0, max(1, len(days) - 6))
        evidence, _ = _answer(cast, item, version=(item.version or 1) + 1)
        acts.append(
            Act(cast.moment(days[first]), "submit", snap.opds[item.owner_opd].admin_key, opd=item.owner_opd,
                indicator=item.indicator, item=item.code, evidence=evidence, note="perbaikan", phase=phase.name)
        )
        judged = cast.moment(days[min(len(days) - 2, first + cast.rng.randrange(1, 5))])
        acts.append(_judge(judged, item, phase, None, "perbaikan diterima"))
    return acts


def ministry_upload(snap: CycleSnapshot, phase: PhaseInfo, cast: Cast) -> list[Act]:
    """The coordinator writes `spbe export ministry` two working days in and enters it into the app."""
    day = cast.calendar.add_working_days(cast.local(phase.opens_at), 2)
    return [Act(datetime.combine(day, time(10, 0), cast.tz), "export", "koordinator", phase=phase.name)]


def ministry_interview(snap: CycleSnapshot, phase: PhaseInfo, cast: Cast) -> list[Act]:
    """The interviu's outcome per uploaded item, entered over its first days by the item's internal assessor (a
    coordinator of the OPD that leads the indicator may not judge it); a few items are disputed."""
    days = cast.working_days(cast.local(phase.opens_at), cast.local(phase.deadline_at))
    acts = []
    for item in snap.items:
        if item.verdict != "diterima" or item.auto_rejected:
            continue
        at = datetime.combine(days[min(len(days) - 1, cast.rng.randrange(1, 4))], time(15, 0), cast.tz)
        disputed = cast.rng.random() < 0.06
        acts.append(
            Act(at, "interview", item.assessor or "koordinator", indicator=item.indicator, item=item.code,
                verdict="revisi" if disputed else "diterima", reason="bukti_tidak_tepat" if disputed else None,
                note="sanggah: asesor eksternal meminta bukti pelaksanaan" if disputed else "interviu: sesuai",
                phase=phase.name)
        )
    return acts


def ministry_result(snap: CycleSnapshot, phase: PhaseInfo, cast: Cast) -> list[Act]:
    """The ministry's result arrives a month in; the coordinator records it (`spbe history import`)."""
    day = cast.calendar.add_working_days(cast.local(phase.opens_at), 20)
    return [Act(datetime.combine(day, time(10, 0), cast.tz), "result", "koordinator", phase=phase.name)]


PLANNERS = {
    **BY_INDICATOR,  # locus, socialization and the final report are the same in both models
    "self-assessment": self_assessment,
    "document-review": document_review,
    "revision": revision,
    "ministry-upload": ministry_upload,
    "ministry-interview": ministry_interview,
    "ministry-visit": lambda snap, phase, cast: [],
    "ministry-result": ministry_result,
}
