"""Exact SPBE scoring: weighted means over capability levels, as the regulation defines them.

Every index is Σ(level·weight) / Σ(weight), computed with fractions so that no float drift can move
an index across a predicate bound. The reported index is the exact value rounded half-up to two
decimals, and the predicate is read from that reported value: what is shown and the predicate can
never disagree (a shown 4.20 is "Memuaskan" under 59/2020).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

from spbe.frameworks import Framework

TWO_PLACES = Decimal("0.01")


@dataclass(frozen=True, slots=True)
class GroupScore:
    name: str
    weight: Decimal
    exact: Fraction

    @property
    def index(self) -> Decimal:
        return report_value(self.exact)


@dataclass(frozen=True)
class Score:
    framework: Framework
    exact: Fraction
    domains: tuple[GroupScore, ...]
    aspects: tuple[GroupScore, ...]

    @property
    def index(self) -> Decimal:
        return report_value(self.exact)

    @property
    def predicate(self) -> str:
        return predicate_for(self.framework, self.index)

    def as_dict(self) -> dict:
        def group(g: GroupScore) -> dict:
            return {"name": g.name, "weight": str(g.weight), "index": str(g.index)}

        return {
            "framework": self.framework.id,
            "framework_verified": self.framework.verified,
            "index": str(self.index),
            "index_exact": str(self.exact),
            "predicate": self.predicate,
            "domains": [group(d) for d in self.domains],
            "aspects": [group(a) for a in self.aspects],
        }


def report_value(exact: Fraction) -> Decimal:
    """Round an exact index half-up to two decimals (the way indices are published)."""
    hundredths = (exact * 100 + Fraction(1, 2)).__floor__()
    return (Decimal(hundredths) / 100).quantize(TWO_PLACES, rounding=ROUND_HALF_UP)


def predicate_for(framework: Framework, reported_index: Decimal) -> str:
    for p in framework.predicates:
        if reported_index >= p.min:
            return p.name
    return framework.predicates[-1].name


@dataclass(frozen=True)
class _Plan:
    """A framework's weights as integers of one common unit, so scoring is integer sums and one division."""

    numbers: tuple[int, ...]
    units: tuple[int, ...]
    domains: tuple[tuple[str, Decimal, tuple[int, ...]], ...]  # name, weight, positions
    aspects: tuple[tuple[str, Decimal, tuple[int, ...]], ...]


def _plan(framework: Framework) -> _Plan:
    """Cached on the framework object itself: two frameworks sharing an id never share weights."""
    plan = framework.__dict__.get("_scoring_plan")
    if plan is None:
        weights = [Fraction(i.weight) for i in framework.indicators]
        scale = math.lcm(*(w.denominator for w in weights))
        units = tuple(int(w * scale) for w in weights)

        def groups(key) -> tuple[tuple[str, Decimal, tuple[int, ...]], ...]:
            members: dict[str, list[int]] = {}
            for pos, ind in enumerate(framework.indicators):
                if key(ind):
                    members.setdefault(key(ind), []).append(pos)
            return tuple(
                (name, sum((framework.indicators[p].weight for p in ps), Decimal(0)), tuple(ps))
                for name, ps in members.items()
            )

        plan = _Plan(
            tuple(i.number for i in framework.indicators),
            units,
            groups(lambda i: i.domain),
            groups(lambda i: i.aspect),
        )
        object.__setattr__(framework, "_scoring_plan", plan)
    return plan


def score(framework: Framework, levels: Mapping[int, int | Fraction]) -> Score:
    """Score a complete set of indicator values (indicator number → value 1..5).

    Values are whole levels under 59/2020 and exact fractions under Pemdi, whose indicator values
    come from accepted items (1,17 is 7/6); either way the sums stay exact."""
    plan = _plan(framework)
    try:
        values = [levels[n] for n in plan.numbers]
    except KeyError:
        missing = [n for n in plan.numbers if n not in levels]
        raise ValueError(f"levels missing for indicators {missing}") from None
    products = [v * u for v, u in zip(values, plan.units, strict=True)]

    def group_scores(groups) -> tuple[GroupScore, ...]:
        return tuple(
            GroupScore(name, weight, Fraction(sum(products[p] for p in ps), sum(plan.units[p] for p in ps)))
            for name, weight, ps in groups
        )

    overall = Fraction(sum(products), sum(plan.units))
    return Score(framework, overall, group_scores(plan.domains), group_scores(plan.aspects))
