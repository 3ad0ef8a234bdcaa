"""A read-only picture of one cycle at one moment: what gates, reminders, status and reports judge.

Built by `spbe.services.snapshot.take_snapshot` in a handful of queries; everything that decides
(gate rules, who has pending work, reminder due-ness) is a pure function of it and the clock.

Units. Gates, reminders and status judge "units": under a framework whose evidence model is `levels`
(59/2020) a unit is an indicator (`IndicatorState`: one claimed level, versioned); under `items` (Pemdi)
a unit is an evidence item (`ItemState`: one answer per item, versioned, judged diterima or revisi).
Both carry the same fields the rules read (owner OPD, assessor, version, evidence, late, status,
revise rounds, `indicator`, `item`), so there is one copy of every rule, not one per framework.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from fractions import Fraction

from spbe.i18n import _
from spbe.items import status as item_status


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

    @property
    def indicator(self) -> int:
        return self.number

    @property
    def item(self) -> str | None:
        """Units under `levels` are whole indicators: no item."""
        return None

    @property
    def label(self) -> str:
        return _("indicator {number}").format(number=self.number)


VERDICT_ACCEPTED = "diterima"
VERDICT_REVISE = "revisi"


@dataclass(frozen=True)
class ItemState:
    """One evidence item of a cycle (Pemdi): the catalog's facts, who answers and judges it, and the
    latest answer version with the last review of that version.

    `auto_rejected`: the item sits above the first level of its indicator whose main items are not all
    accepted, so it is "ditolak otomatis" whatever its own verdict; the verdict is kept and counts as soon
    as the levels below are complete (see `spbe.services.items`)."""

    code: str
    indicator: int
    level: int
    role: str  # utama | pendukung | unknown (unknown counts as utama)
    text: str
    owner_opd: str | None
    assessor: str | None
    version: int | None = None
    evidence: tuple[str, ...] = ()
    note: str | None = None
    submitted_at: datetime | None = None
    late: bool = False
    verdict: str | None = None  # diterima | revisi: the last review of the latest version
    kind: str | None = None  # revisi: bukti_tidak_tepat | belum_diunggah
    review_note: str | None = None
    auto_rejected: bool = False
    revise_rounds: int = 0  # reviews that sent it back, over all versions
    official_code: str = ""
    reviewer: str | None = None
    stage: str | None = None  # internal | interviu, of the last review

    @property
    def status(self) -> ItemStatus:
        if self.version is None:
            return ItemStatus.MISSING
        if self.verdict is None:
            return ItemStatus.SUBMITTED
        return ItemStatus.REVISE if self.verdict == VERDICT_REVISE else ItemStatus.ACCEPTED

    @property
    def counts_as_main(self) -> bool:
        return self.role != "pendukung"

    @property
    def complete_submission(self) -> bool:
        return self.version is not None and bool(self.evidence)

    @property
    def item(self) -> str:
        return self.code

    @property
    def label(self) -> str:
        return _("item {code}").format(code=self.code)

    @property
    def revision_kind(self) -> item_status.RevisionKind | None:
        return self.entered.revision_kind

    @property
    def entered(self) -> item_status.ItemState:
        """The state in the `spbe.items` vocabulary (diterima | revisi | proses | belum) the value rules read."""
        return entered_state(self.verdict, self.kind, answered=self.version is not None)

    @property
    def shown_status(self) -> str:
        """What a person reads: the app's words, `ditolak otomatis` where the rules say so."""
        if self.auto_rejected:
            return item_status.ItemStatus.DITOLAK_OTOMATIS.value
        return self.entered.label


def entered_state(verdict: str | None, kind: str | None, *, answered: bool) -> item_status.ItemState:
    """A stored verdict in the value rules' vocabulary: diterima | revisi (with its kind) | proses | belum."""
    if not answered:
        return item_status.NOTHING
    if verdict == VERDICT_ACCEPTED:
        return item_status.ItemState(item_status.ItemStatus.DITERIMA)
    if verdict == VERDICT_REVISE:
        revision = None if kind is None else item_status.RevisionKind(kind.replace("_", " "))
        return item_status.ItemState(item_status.ItemStatus.REVISI, revision)
    return item_status.ItemState(item_status.ItemStatus.PROSES)


@dataclass(frozen=True)
class ExternalState:
    """The latest value a coordinator recorded for an external indicator (I5 SDI, I6 SJIG, ...)."""

    indicator: int
    source_value: Fraction
    value: Fraction  # 1..5, by the framework's mapping
    source_date: date | None
    recorded_by: str
    recorded_at: datetime
    note: str | None = None


Unit = IndicatorState | ItemState  # what gates and reminders judge (see the module docstring)


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
    evidence_model: str = "levels"  # levels (59/2020) | items (Pemdi)
    items: tuple[ItemState, ...] = ()  # catalog order; empty under `levels`
    aimed: dict[int, int] = field(default_factory=dict)  # indicator → level its lead OPD aims for (latest)
    externals: dict[int, ExternalState] = field(default_factory=dict)  # recorded external values
    external_indicators: tuple[int, ...] = ()  # indicators valued from another agency's index
    supporting: dict[int, tuple[str, ...]] = field(default_factory=dict)  # indicator → supporting OPDs

    @property
    def by_items(self) -> bool:
        return self.evidence_model == "items"

    @property
    def units(self) -> tuple[IndicatorState, ...] | tuple[ItemState, ...]:
        """What gates and reminders judge: indicators under `levels`, items under `items`."""
        return self.items if self.by_items else self.indicators

    def item_indicators(self) -> list[IndicatorState]:
        """Indicators valued from their items (not external), in order."""
        external = set(self.external_indicators)
        return [i for i in self.indicators if i.number not in external]

    def aimed_level(self, indicator: int) -> int | None:
        return self.aimed.get(indicator)

    def required_items(self) -> list[ItemState]:
        """The items the self-assessment waits for: main items up to each indicator's aimed level (level 1
        where no aim is stated yet), external indicators excepted."""
        external = set(self.external_indicators)
        return [
            i
            for i in self.items
            if i.counts_as_main and i.indicator not in external and i.level <= self.aimed.get(i.indicator, 1)
        ]

    def indicators_of(self, opd: str) -> list[IndicatorState]:
        return [i for i in self.indicators if i.owner_opd == opd]

    def items_of(self, opd: str) -> list[ItemState]:
        return [i for i in self.items if i.owner_opd == opd]

    def item(self, code: str) -> ItemState | None:
        return next((i for i in self.items if i.code == code), None)

    def indicators_for_assessor(self, key: str) -> list[IndicatorState]:
        return [i for i in self.indicators if i.assessor == key]

    def owning_opds(self) -> list[str]:
        """OPDs that own at least one unit (indicator, or under `items` an item), in roster order."""
        owners = {i.owner_opd for i in self.indicators if i.owner_opd}
        owners |= {i.owner_opd for i in self.items if i.owner_opd}
        return [c for c in self.opds if c in owners]
