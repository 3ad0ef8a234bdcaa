"""An indicator's value from its items: the automatic rejection, then the framework's value rule.

Automatic rejection, as the ministry's app does it ("Otomatis ditolak karena tingkat kematangan
sebelumnya ditolak"): the first level whose main items are not all accepted blocks every level above it;
their items are `ditolak otomatis` whatever was entered for them, until that level is complete. A level
without main items is complete (see `spbe.items.model`). Pendukung items are judged and shown, but never
needed for a level and never counted in its share; above the blocking level they are rejected too.

Externally valued indicators take their value from a recorded reading (mapped to 1..5 by the framework's
data) and are "menunggu nilai eksternal", valued 1, until one is recorded.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Literal

from spbe.items.catalog import ITEM_LEVELS, Item, indicator_label
from spbe.items.externals import RECORDED, WAITING, ExternalReading, ExternalSpec
from spbe.items.model import ItemsModel
from spbe.items.provenance import number_text
from spbe.items.rules import LevelTally, ValueRule
from spbe.items.status import AUTO_REJECTION_NOTE, NOTHING, ItemState, ItemStatus
from spbe.scoring import report_value

FROM_ITEMS = "dinilai dari butir"


@dataclass(frozen=True, slots=True)
class ItemOutcome:
    """One item after the rules: what was entered and what counts."""

    item: Item
    entered: ItemState
    status: ItemStatus  # effective: the entered status, or DITOLAK_OTOMATIS

    @property
    def auto_rejected(self) -> bool:
        return self.status is ItemStatus.DITOLAK_OTOMATIS

    @property
    def note(self) -> str:
        return AUTO_REJECTION_NOTE if self.auto_rejected else ""

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "code": self.item.code,
            "official_code": self.item.official_code,
            "level": self.item.level,
            "role": self.item.role.value,
            "entered": self.entered.status.value,
            "status": self.status.value,
        }
        if self.entered.revision_kind is not None:
            out["revision_kind"] = self.entered.revision_kind.value
        if self.auto_rejected:
            out["note"] = AUTO_REJECTION_NOTE
        return out


@dataclass(frozen=True, slots=True)
class LevelSummary:
    """Counts per level for reports and reminders (main items only, plus the pendukung count)."""

    level: int
    required: int
    accepted: int  # main items accepted and counted
    revisi: int
    proses: int
    belum: int
    auto_rejected: int
    supporting: int  # pendukung items on this level (never required)

    @property
    def complete(self) -> bool:
        return self.accepted >= self.required

    def as_dict(self) -> dict[str, Any]:
        return {
            "level": self.level,
            "required": self.required,
            "accepted": self.accepted,
            "revisi": self.revisi,
            "proses": self.proses,
            "belum": self.belum,
            "ditolak_otomatis": self.auto_rejected,
            "pendukung": self.supporting,
            "complete": self.complete,
        }


@dataclass(frozen=True)
class IndicatorValue:
    indicator: int
    value: Fraction  # exact, 1..5
    basis: Literal["items", "external"]
    status: str  # FROM_ITEMS, or externals.WAITING / externals.RECORDED
    complete_through: int  # levels 1..n fully accepted, contiguously (0 = level 1 not complete)
    levels: tuple[LevelSummary, ...]  # levels 1..5 (empty for external indicators)
    items: tuple[ItemOutcome, ...]  # every catalog item of the indicator, in catalog order
    rule: ValueRule | None = None  # the rule that gave the value (item-valued indicators)
    external: ExternalSpec | None = None
    reading: ExternalReading | None = None

    @property
    def blocking_level(self) -> int | None:
        """The first level not fully accepted (items above it are ditolak otomatis), None if all are."""
        return None if self.complete_through == len(ITEM_LEVELS) else self.complete_through + 1

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "indicator": indicator_label(self.indicator),
            "basis": self.basis,
            "status": self.status,
            "value": str(report_value(self.value)),
            "value_exact": str(self.value),
        }
        if self.basis == "items":
            out["value_rule"] = self.rule.id if self.rule else None
            out["complete_through"] = self.complete_through
            out["blocking_level"] = self.blocking_level
            out["levels"] = [lv.as_dict() for lv in self.levels]
        else:
            assert self.external is not None
            out["external"] = {
                "source_index": self.external.source_index,
                "formula": self.external.describe(),
                **self.external.provenance.as_dict(),
                "source_value": None if self.reading is None else number_text(self.reading.source_value),
                "recorded_on": None
                if self.reading is None or self.reading.recorded_on is None
                else self.reading.recorded_on.isoformat(),
            }
        out["items"] = [o.as_dict() for o in self.items]
        return out


def level_tallies(
    model: ItemsModel, indicator: int, states: Mapping[str, ItemState]
) -> tuple[tuple[LevelTally, ...], int]:
    """What a value rule sees: per level, main items and those accepted, after the automatic rejection.

    Returns the tallies for levels 1..5 and the number of levels complete from level 1 up.
    """
    raw: list[tuple[int, int]] = []
    for level in ITEM_LEVELS:
        main = model.catalog.main_items(indicator, level)
        raw.append((len(main), sum(1 for i in main if states.get(i.code, NOTHING).accepted)))
    complete_through = 0
    for required, accepted in raw:
        if accepted < required:
            break
        complete_through += 1
    tallies = tuple(
        LevelTally(level, required, accepted if level <= complete_through + 1 else 0)
        for level, (required, accepted) in zip(ITEM_LEVELS, raw, strict=True)
    )
    return tallies, complete_through


def indicator_value(
    model: ItemsModel,
    indicator: int,
    states: Mapping[str, ItemState],
    *,
    rule: ValueRule | None = None,
    reading: ExternalReading | None = None,
) -> IndicatorValue:
    """The value of one indicator. `states` maps item codes (tool codes) to their entered state; an item
    missing from it is `belum`. `rule` defaults to the framework's rule in force."""
    if indicator not in model.indicator_numbers:
        raise KeyError(f"{indicator_label(indicator)} is not an indicator of this framework")
    items = model.catalog.items_of(indicator)
    spec = model.external(indicator)
    if spec is not None:
        outcomes = tuple(ItemOutcome(i, states.get(i.code, NOTHING), states.get(i.code, NOTHING).status) for i in items)
        if reading is None:
            return IndicatorValue(indicator, Fraction(1), "external", WAITING, 0, (), outcomes, external=spec)
        if reading.indicator != indicator:
            raise ValueError(f"reading for I{reading.indicator} given for I{indicator}")
        value = spec.to_value(reading.source_value)
        return IndicatorValue(indicator, value, "external", RECORDED, 0, (), outcomes, external=spec, reading=reading)
    if reading is not None:
        raise ValueError(f"{indicator_label(indicator)} is valued from its items, not from an external reading")

    rule = rule or model.value_rule
    tallies, complete_through = level_tallies(model, indicator, states)
    blocking = complete_through + 1
    outcomes = []
    for item in items:
        entered = states.get(item.code, NOTHING)
        status = ItemStatus.DITOLAK_OTOMATIS if item.level > blocking else entered.status
        outcomes.append(ItemOutcome(item, entered, status))
    summaries = tuple(_summary(level, tally, outcomes) for level, tally in zip(ITEM_LEVELS, tallies, strict=True))
    return IndicatorValue(
        indicator,
        rule.value(tallies),
        "items",
        FROM_ITEMS,
        complete_through,
        summaries,
        tuple(outcomes),
        rule=rule,
    )


def _summary(level: int, tally: LevelTally, outcomes: list[ItemOutcome]) -> LevelSummary:
    main = [o for o in outcomes if o.item.level == level and o.item.counts_as_main]

    def count(status: ItemStatus) -> int:
        return sum(1 for o in main if o.status is status)

    return LevelSummary(
        level=level,
        required=tally.required,
        accepted=tally.accepted,
        revisi=count(ItemStatus.REVISI),
        proses=count(ItemStatus.PROSES),
        belum=count(ItemStatus.BELUM),
        auto_rejected=count(ItemStatus.DITOLAK_OTOMATIS),
        supporting=sum(1 for o in outcomes if o.item.level == level and not o.item.counts_as_main),
    )


def indicator_values(
    model: ItemsModel,
    states: Mapping[str, ItemState],
    readings: Mapping[int, ExternalReading] | None = None,
    *,
    rule: ValueRule | None = None,
) -> dict[int, IndicatorValue]:
    """Every indicator's value (indicator number → IndicatorValue). Unknown item codes are refused."""
    unknown = sorted(code for code in states if model.catalog.find(code) is None)
    if unknown:
        raise KeyError(f"unknown item codes: {', '.join(unknown)}")
    not_tool_codes = sorted(code for code in states if model.catalog.item(code).code != code)
    if not_tool_codes:
        raise KeyError(f"states must be keyed by the tool code, not: {', '.join(not_tool_codes)}")
    readings = readings or {}
    stray = sorted(n for n in readings if not model.is_external(n))
    if stray:
        raise ValueError(f"external readings for indicators valued from items: {stray}")
    return {n: indicator_value(model, n, states, rule=rule, reading=readings.get(n)) for n in model.indicator_numbers}
