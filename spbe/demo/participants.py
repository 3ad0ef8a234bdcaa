"""Simulated OPD admins, assessors and coordinators: what they do and when, decided up front from a seed.

Pure: given the state at a phase's opening, the calendar and a random generator, it returns the acts
of that phase. Most people are on time, some late, some work is sent back, a few evidence links are
dead or private: the year the engine is built for.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from spbe.calendar import WorkCalendar
from spbe.domain.snapshot import CycleSnapshot, IndicatorState, ItemStatus, PhaseInfo


@dataclass(frozen=True)
class Act:
    at: datetime
    kind: str  # attend | waive | submit | review | approve_assignment | close_phase; items also: external |
    # export | interview | result
    actor: str
    opd: str | None = None
    indicator: int | None = None
    level: int | None = None  # claimed or judged level; items: the level the lead OPD aims for
    verdict: str | None = None
    evidence: tuple[str, ...] = ()
    note: str | None = None
    phase: str | None = None
    item: str | None = None  # items: the evidence item's code
    reason: str | None = None  # items: a revisi's kind (bukti_tidak_tepat | belum_diunggah)

    def as_dict(self) -> dict:
        return {
            k: (v.isoformat() if isinstance(v, datetime) else list(v) if isinstance(v, tuple) else v)
            for k, v in self.__dict__.items()
        }


@dataclass
class Cast:
    """The seeded traits of the year's people: who is late, what each indicator is really worth."""

    seed: int
    evidence_base: str  # a local server answering /ok/..., /missing/... (404), /private/... (403)
    tz: ZoneInfo
    calendar: WorkCalendar
    rng: random.Random = field(init=False)
    true_level: dict[int, int] = field(default_factory=dict)
    only: frozenset[int] | None = None  # the indicators whose owners answer (a smaller year); None: all

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)

    def level_of(self, number: int) -> int:
        if number not in self.true_level:
            self.true_level[number] = self.rng.choices([2, 3, 4, 5], weights=[1, 2, 5, 3])[0]
        return self.true_level[number]

    def working_days(self, start: date, end: date) -> list[date]:
        return self.calendar.working_days(start, end)

    def moment(self, day: date, hour_from: int = 8, hour_to: int = 15) -> datetime:
        minutes = self.rng.randrange(hour_from * 60, hour_to * 60)
        return datetime.combine(day, time(minutes // 60, minutes % 60), self.tz)

    def local(self, instant: datetime) -> date:
        return instant.astimezone(self.tz).date()


def locus(snap: CycleSnapshot, phase: PhaseInfo, cast: Cast) -> list[Act]:
    """The coordinator checks the automatic assignment and approves the decree three weeks in."""
    days = cast.working_days(cast.local(phase.opens_at), cast.local(phase.deadline_at))
    return [Act(cast.moment(days[min(14, len(days) - 1)]), "approve_assignment", "koordinator", phase=phase.name)]


def socialization(snap: CycleSnapshot, phase: PhaseInfo, cast: Cast) -> list[Act]:
    event_day = _event_day(phase, cast)
    days = cast.working_days(event_day, cast.local(phase.deadline_at))
    acts = []
    for code, opd in snap.opds.items():
        roll = cast.rng.random()
        if roll < 0.85:
            day = event_day  # attended the briefing
        elif roll < 0.97:
            day = cast.rng.choice(days[1:] or days)  # acknowledged later, from the recording
        else:
            acts.append(
                Act(cast.moment(days[-1]), "waive", "koordinator", opd=code, note="tugas luar kota", phase=phase.name)
            )
            continue
        acts.append(Act(cast.moment(day, 9, 12), "attend", opd.admin_key, opd=code, phase=phase.name))
    return acts


def _event_day(phase: PhaseInfo, cast: Cast) -> date:
    from spbe.errors import ConfigError
    from spbe.timeparse import parse_local

    try:
        return parse_local(phase.extra.get("event", {}).get("when"), tz=cast.tz, what="event when").date()
    except ConfigError:
        return cast.working_days(cast.local(phase.opens_at), cast.local(phase.deadline_at))[5]


def self_assessment(snap: CycleSnapshot, phase: PhaseInfo, cast: Cast) -> list[Act]:
    days = cast.working_days(cast.local(phase.opens_at), cast.local(phase.deadline_at))
    late_day = cast.calendar.add_working_days(cast.local(phase.deadline_at), 0)
    acts = []
    for item in snap.indicators:
        if not item.owner_opd:
            continue
        admin = snap.opds[item.owner_opd].admin_key
        roll = cast.rng.random()
        if roll < 0.04:
            continue  # never submitted
        if roll < 0.10:  # late: after the deadline, before the gate closes the phase
            at = datetime.combine(late_day, time(16, 20), cast.tz)
        else:
            at = cast.moment(cast.rng.choice(days[len(days) // 4 :]))  # most in the second half of the month
        claimed = min(5, cast.level_of(item.number) + (1 if cast.rng.random() < 0.2 else 0))  # some optimism
        acts.append(
            Act(
                at,
                "submit",
                admin,
                opd=item.owner_opd,
                indicator=item.number,
                level=claimed,
                evidence=_evidence(cast, item.number),
                phase=phase.name,
            )
        )
    return acts


def _evidence(cast: Cast, number: int, version: int = 1) -> tuple[str, ...]:
    roll = cast.rng.random()
    kind = "ok" if roll < 0.9 or version > 1 else ("missing" if roll < 0.95 else "private")
    links = [f"{cast.evidence_base}/{kind}/indikator-{number}-v{version}.pdf"]
    if cast.rng.random() < 0.3:
        links.append(f"{cast.evidence_base}/ok/notulen-reviu-{number}-v{version}.pdf")
    return tuple(links)


def document_review(snap: CycleSnapshot, phase: PhaseInfo, cast: Cast) -> list[Act]:
    days = cast.working_days(cast.local(phase.opens_at), cast.local(phase.deadline_at))
    # one assessor is overloaded and finishes four working days late: reminders turn "terlambat", then escalate
    assessors = sorted({i.assessor for i in snap.indicators if i.assessor and i.status is ItemStatus.SUBMITTED})
    slow = cast.rng.choice(assessors) if assessors else None
    late_day = cast.calendar.add_working_days(cast.local(phase.deadline_at), 4)
    acts = []
    for item in snap.indicators:
        if item.status is not ItemStatus.SUBMITTED or not item.assessor:
            continue
        truth = cast.level_of(item.number)
        broken = any("/missing/" in e or "/private/" in e for e in item.evidence)
        at = cast.moment(late_day if item.assessor == slow else cast.rng.choice(days[2:-3] or days))
        if broken or ((item.claimed_level or 0) > truth and cast.rng.random() < 0.5):
            note = (
                "tautan data dukung tidak dapat dibuka"
                if broken
                else f"bukti belum mendukung tingkat {item.claimed_level}; lengkapi notulen reviu berkala"
            )
            acts.append(
                Act(
                    at,
                    "review",
                    item.assessor,
                    opd=item.owner_opd,
                    indicator=item.number,
                    verdict="revise",
                    note=note,
                    phase=phase.name,
                )
            )
        else:
            acts.append(_accept(at, item, min(item.claimed_level or truth, truth), "sesuai", phase))
    return acts


def _accept(at: datetime, item: IndicatorState, level: int, note: str, phase: PhaseInfo) -> Act:
    return Act(
        at,
        "review",
        item.assessor or "koordinator",
        opd=item.owner_opd,
        indicator=item.number,
        level=level,
        verdict="accept",
        note=note,
        phase=phase.name,
    )


def answered_again(units: Iterable, cast: Cast) -> Iterator:
    """The sent-back units (indicators, or items) their OPD answers again; about one in eight never is, and
    the revision deadline passes with it outstanding."""
    for unit in units:
        if unit.status is ItemStatus.REVISE and unit.owner_opd and cast.rng.random() >= 0.12:
            yield unit


def revision(snap: CycleSnapshot, phase: PhaseInfo, cast: Cast) -> list[Act]:
    days = cast.working_days(cast.local(phase.opens_at), cast.local(phase.deadline_at))
    acts = []
    for item in answered_again(snap.indicators, cast):
        admin = snap.opds[item.owner_opd].admin_key
        first = cast.rng.randrange(0, max(1, len(days) - 6))
        answered = cast.moment(days[first])
        truth = cast.level_of(item.number)
        acts.append(
            Act(
                answered,
                "submit",
                admin,
                opd=item.owner_opd,
                indicator=item.number,
                level=truth,
                evidence=_evidence(cast, item.number, version=2),
                phase=phase.name,
            )
        )
        reviewed = cast.moment(days[min(len(days) - 2, first + cast.rng.randrange(1, 5))])
        acts.append(_accept(reviewed, item, truth, "perbaikan diterima", phase))
    return acts


def approvals(phase: PhaseInfo, cast: Cast) -> list[Act]:
    """A coordinator approves a phase that needs approval soon after its deadline's gate check."""
    if phase.close_mode != "approval":
        return []
    return [Act(phase.deadline_at + timedelta(minutes=45), "close_phase", "koordinator", phase=phase.name)]


PLANNERS = {
    "locus": locus,
    "socialization": socialization,
    "self-assessment": self_assessment,
    "document-review": document_review,
    "revision": revision,
    "final-report": lambda snap, phase, cast: [],
}


def acts_for(snap: CycleSnapshot, phase: PhaseInfo, cast: Cast, planners: dict | None = None) -> list[Act]:
    """The phase's acts, from `planners` (per indicator by default; spbe.demo.item_participants per item)."""
    acts = (planners or PLANNERS)[phase.name](snap, phase, cast) + approvals(phase, cast)
    return sorted(acts, key=lambda a: a.at)
