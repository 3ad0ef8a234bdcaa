"""The Pemdi index from item states: each indicator's value, then the regulation's weighted means.

Aspect index Σ(wI·NI)/wA and Pemdi index Σ(wA·IA) = Σ(wI·NI)/100, exact: the weighted means are
`spbe.scoring.score` on the (fractional) indicator values, the same code that scores 59/2020.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import TYPE_CHECKING, Any

from spbe.errors import ConfigError
from spbe.items.externals import ExternalReading
from spbe.items.model import ItemsModel
from spbe.items.rules import ValueRule
from spbe.items.status import ItemState
from spbe.items.valuation import IndicatorValue, indicator_values
from spbe.scoring import Score, score

if TYPE_CHECKING:
    from spbe.frameworks import Framework


def items_model(framework: Framework) -> ItemsModel:
    """The framework's item model; ConfigError for a framework scored by claimed levels."""
    if framework.items is None:
        raise ConfigError(
            f'{framework.id} dinilai per tingkat (evidence_model = "levels"), bukan per butir; pakai --levels'
        )
    return framework.items


def readings_by_indicator(
    readings: Iterable[ExternalReading] | Mapping[int, ExternalReading],
) -> dict[int, ExternalReading]:
    if isinstance(readings, Mapping):
        return dict(readings)
    out: dict[int, ExternalReading] = {}
    for r in readings:
        if r.indicator in out:
            raise ValueError(f"two readings for I{r.indicator}")
        out[r.indicator] = r
    return out


@dataclass(frozen=True)
class ItemsScore:
    framework: Framework
    rule: ValueRule
    values: tuple[IndicatorValue, ...]  # in indicator order
    score: Score  # aspects, exact index, shown index, predicate (spbe.scoring)

    @property
    def exact(self) -> Fraction:
        return self.score.exact

    @property
    def index(self) -> Decimal:
        return self.score.index

    @property
    def predicate(self) -> str:
        return self.score.predicate

    @property
    def waiting_externals(self) -> tuple[int, ...]:
        """External indicators with no recorded value (valued 1: "menunggu nilai eksternal")."""
        return tuple(v.indicator for v in self.values if v.basis == "external" and v.reading is None)

    def value_of(self, indicator: int) -> IndicatorValue:
        return next(v for v in self.values if v.indicator == indicator)

    def as_dict(self) -> dict[str, Any]:
        out = self.score.as_dict()
        names = {i.number: i for i in self.framework.indicators}
        indicators = []
        for v in self.values:
            ind = names[v.indicator]
            row = v.as_dict()
            row.update(name=ind.name, aspect=ind.aspect, weight=str(ind.weight))
            indicators.append(row)
        return {
            **out,
            "evidence_model": "items",
            "value_rule": self.rule.as_dict(),
            "waiting_externals": [
                f"I{v.indicator}" for v in self.values if v.basis == "external" and v.reading is None
            ],
            "indicators": indicators,
        }


def score_items(
    framework: Framework,
    *,
    states: Mapping[str, ItemState],
    readings: Iterable[ExternalReading] | Mapping[int, ExternalReading] = (),
    rule_id: str | None = None,
) -> ItemsScore:
    """Score a framework from item states (tool code → state; missing = belum) and external readings."""
    model = items_model(framework)
    rule = model.rule(rule_id)
    values = indicator_values(model, states, readings_by_indicator(readings), rule=rule)
    ordered = tuple(values[i.number] for i in framework.indicators)
    return ItemsScore(framework, rule, ordered, score(framework, {v.indicator: v.value for v in ordered}))
