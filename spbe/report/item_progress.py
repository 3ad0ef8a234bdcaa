"""The report per indicator under an items framework: the level reached, the items accepted, sent back
and missing per level, and what the next level needs; the value with the rule that gave it (its source
and confidence), because the ministry has not published how accepted items become a value.

Pure: the catalog and the item states in, rows out (`indicator_progress`), so it is tested without a
store; `from_snapshot` feeds it from the cycle's snapshot, `progress_markdown` writes it for people.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from spbe.items.catalog import Item, indicator_label
from spbe.items.externals import ExternalReading
from spbe.items.index import score_items
from spbe.items.status import ItemState, ItemStatus
from spbe.number_text import decimal_text
from spbe.scoring import report_value

if TYPE_CHECKING:
    from spbe.domain.snapshot import CycleSnapshot
    from spbe.frameworks import Framework


@dataclass(frozen=True)
class LevelProgress:
    level: int
    name: str
    required: int  # main items (unknown roles count as main)
    accepted: int
    sent_back: int  # revisi
    waiting: int  # proses: uploaded, not judged
    missing: int  # belum
    auto_rejected: int  # ditolak otomatis: a lower level is not complete
    complete: bool

    def as_dict(self) -> dict[str, Any]:
        return {
            "level": self.level,
            "name": self.name,
            "required": self.required,
            "accepted": self.accepted,
            "sent_back": self.sent_back,
            "waiting": self.waiting,
            "missing": self.missing,
            "auto_rejected": self.auto_rejected,
            "complete": self.complete,
        }


@dataclass(frozen=True)
class IndicatorProgress:
    indicator: int
    name: str
    value: Decimal  # shown, two decimals
    value_exact: str
    basis: str  # items | external
    status: str  # dinilai dari butir | menunggu nilai eksternal | nilai eksternal tercatat
    level_reached: int  # levels complete from level 1 up (0: level 1 not complete)
    levels: tuple[LevelProgress, ...]
    next_level: int | None  # the first level not complete (None: all complete, or external)
    next_needs: tuple[tuple[Item, ItemStatus], ...]  # its main items not accepted yet, with their status
    rule: dict[str, Any]  # id, name, source, confidence of the value rule (or the external mapping)

    def as_dict(self) -> dict[str, Any]:
        return {
            "indicator": indicator_label(self.indicator),
            "name": self.name,
            "value": str(self.value),
            "value_exact": self.value_exact,
            "basis": self.basis,
            "status": self.status,
            "level_reached": self.level_reached,
            "levels": [lv.as_dict() for lv in self.levels],
            "next_level": self.next_level,
            "next_needs": [{"code": i.code, "text": i.text, "status": s.value} for i, s in self.next_needs],
            "value_rule": self.rule,
        }


def indicator_progress(
    framework: Framework,
    states: Mapping[str, ItemState],
    readings: Mapping[int, ExternalReading] | None = None,
    *,
    rule_id: str | None = None,
) -> tuple[IndicatorProgress, ...]:
    """One row per indicator, in the framework's order."""
    result = score_items(framework, states=states, readings=readings or {}, rule_id=rule_id)
    names = {i.number: i.name for i in framework.indicators}
    rule = {
        "id": result.rule.id,
        "name": result.rule.name,
        "source": result.rule.source,
        "confidence": result.rule.confidence,
    }
    rows = []
    for v in result.values:
        levels = tuple(
            LevelProgress(
                lv.level,
                framework.level_name(lv.level, indicator=v.indicator),
                lv.required,
                lv.accepted,
                lv.revisi,
                lv.proses,
                lv.belum,
                lv.auto_rejected,
                lv.complete,
            )
            for lv in v.levels
        )
        if v.basis == "external":
            assert v.external is not None
            spec = {
                "id": f"eksternal-I{v.indicator}",
                "name": f"{v.external.source_index}: {v.external.describe()}",
                "source": v.external.provenance.source,
                "confidence": v.external.provenance.confidence.value,
            }
            next_level, needs = None, ()
        else:
            spec = rule
            next_level = v.blocking_level
            needs = tuple(
                (o.item, o.status)
                for o in v.items
                if o.item.level == next_level and o.item.counts_as_main and o.status is not ItemStatus.DITERIMA
            )
        rows.append(
            IndicatorProgress(
                v.indicator,
                names[v.indicator],
                report_value(v.value),
                str(v.value),
                v.basis,
                v.status,
                v.complete_through,
                levels,
                next_level,
                needs,
                spec,
            )
        )
    return tuple(rows)


def from_snapshot(framework: Framework, snapshot: CycleSnapshot) -> tuple[IndicatorProgress, ...]:
    """The rows from the cycle's snapshot (item statuses and recorded external values)."""
    from spbe.services.items import external_readings, item_statuses

    return indicator_progress(framework, item_statuses(snapshot), external_readings(snapshot))


def progress_markdown(rows: tuple[IndicatorProgress, ...], *, limit_needs: int = 8) -> str:
    """Per indicator, in Bahasa Indonesia: the value with its rule, each level's counts, the next level's needs."""
    lines: list[str] = []
    for r in rows:
        lines.append(f"### {indicator_label(r.indicator)} {r.name}: nilai {decimal_text(r.value)} ({r.status})")
        lines.append(
            f"Aturan nilai: {r.rule['name']} (sumber: {r.rule['source']}; keyakinan: {r.rule['confidence']})"
        )
        if r.basis == "external":
            lines.append("")
            continue
        lines.append(f"Tingkat tercapai: {r.level_reached}")
        lines.append("")
        lines.append("| Tingkat | Butir utama | Diterima | Revisi | Proses | Belum | Ditolak otomatis |")
        lines.append("|---|---|---|---|---|---|---|")
        for lv in r.levels:
            lines.append(
                f"| {lv.level} {lv.name}{' ✓' if lv.complete else ''} | {lv.required} | {lv.accepted} | "
                f"{lv.sent_back} | {lv.waiting} | {lv.missing} | {lv.auto_rejected} |"
            )
        if r.next_level is not None:
            lines.append("")
            lines.append(f"Untuk tingkat {r.next_level} masih diperlukan {len(r.next_needs)} butir:")
            for item, status in r.next_needs[:limit_needs]:
                lines.append(f"- {item.code} ({status.label}): {item.text}")
            if len(r.next_needs) > limit_needs:
                lines.append(f"- … dan {len(r.next_needs) - limit_needs} butir lain")
        lines.append("")
    return "\n".join(lines)
