"""A read-only picture of one cycle at one moment: what gates, reminders, status and reports judge.

Built by `spbe.services.snapshot.take_snapshot` in a handful of queries; everything that decides
(gate rules, who has pending work, reminder due-ness) is a pure function of it and the clock.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum


class ItemStatus(StrEnum):
    MISSING = "missing"  # no submission yet
    SUBMITTED = "submitted"  # latest version awaits a review
    REVISE = "revise"  # latest version was sent back: the OPD must answer with a new version
    ACCEPTED = "accepted"  # latest version accepted


@dataclass(frozen=True)
class IndicatorState:
    number: int
    name: str
    weight: str
    owner_opd: str | None
    assessor: str | None
    version: int | None = None
    claimed_level: int | None = None
    evidence: tuple[str, ...] = ()
    submitted_at: datetime | None = None
    late: bool = False
    verdict: str | None = None  # of the latest review on the latest version
    validated_level: int | None = None
    revise_rounds: int = 0  # reviews that asked for revision, over all versions

    @property
    def status(self) -> ItemStatus:
        if self.version is None:
            return ItemStatus.MISSING
        if self.verdict is None:
            return ItemStatus.SUBMITTED
        return ItemStatus.REVISE if self.verdict == "revise" else ItemStatus.ACCEPTED

    @property
    def complete_submission(self) -> bool:
        return self.version is not None and self.claimed_level is not None and bool(self.evidence)


@dataclass(frozen=True)
class PhaseInfo:
    name: str
    title: str
    seq: int
    state: str
    opens_at: datetime
    deadline_at: datetime
    deadline_version: int
    close_mode: str
    overlap: bool
    extra: dict = field(default_factory=dict)


@dataclass(frozen=True)
class PersonInfo:
    key: str
    name: str
    role: str
    opd: str | None


@dataclass(frozen=True)
class OpdInfo:
    code: str
    name: str
    admin_key: str
    head_key: str


@dataclass(frozen=True)
class UploadedItem:
    """An item the city's review accepted, so it went to the ministry's app; its interviu outcome once
    recorded (`diterima`/`revisi` as the ministry's assessors decided after the interviu and sanggah)."""

    code: str
    indicator: int
    owner_opd: str | None
    interview_verdict: str | None = None


@dataclass(frozen=True)
class MinistryState:
    """What the city records of the ministry's stages (see spbe.domain.phases.MINISTRY_STAGES)."""

    export_at: datetime | None = None  # the latest `spbe export ministry`
    last_review_at: datetime | None = None  # the latest internal review (a later one makes the export stale)
    uploaded: tuple[UploadedItem, ...] = ()  # items cycles only: empty for a levels framework
    result_recorded: bool = False  # the ministry's result of the cycle's own year is on record


@dataclass(frozen=True)
class CycleSnapshot:
    cycle_id: int
    code: str
    year: int
    timezone: str
    phases: dict[str, PhaseInfo]
    opds: dict[str, OpdInfo]
    people: dict[str, PersonInfo]
    indicators: tuple[IndicatorState, ...]
    attendance: dict[str, tuple[bool, str | None]]  # opd → (waived, reason)
    assignments_approved: bool
    report_built: bool = False
    report_delivered: bool = False
    ministry: MinistryState = field(default_factory=MinistryState)

    def indicators_of(self, opd: str) -> list[IndicatorState]:
        return [i for i in self.indicators if i.owner_opd == opd]

    def indicators_for_assessor(self, key: str) -> list[IndicatorState]:
        return [i for i in self.indicators if i.assessor == key]

    def owning_opds(self) -> list[str]:
        """OPDs that own at least one indicator, in roster order."""
        owners = {i.owner_opd for i in self.indicators if i.owner_opd}
        return [c for c in self.opds if c in owners]
