"""Exact scoring: weighted means over indicator values, as the regulations define them.

Every index is Σ(value·weight) / Σ(weight), computed with integers and fractions so that no float
drift can move an index across a predicate bound. A value is a whole level 1..5 (59/2020) or an exact
fraction between 1 and 5 (Pemdi's indicator values, e.g. 7/6).

Two numbers come out of every index: the exact value and the shown one (rounded half-up to two
decimals, the way indices are published). Which of them a predicate bound is compared with is the
framework's `predicate_reading`: "exact" for both shipped frameworks, because the ministry keeps the
exact index (its records read 4.2125000000) and its table says "Sangat Baik 3,5 - < 4,2". Where the
two fall on different sides of a bound (an exact 4,195 is shown 4,20), `bound_note` says so in words,
and every output carries that sentence.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

from spbe.frameworks import LEVELS, Framework
from spbe.number_text import decimal_text, exact_text, machine_exact

TWO_PLACES = Decimal("0.01")
MIN_VALUE, MAX_VALUE = LEVELS[0], LEVELS[-1]

Value = int | Fraction


@dataclass(frozen=True, slots=True)
class GroupScore:
    name: str
    weight: Decimal
    exact: Fraction

    @property
    def index(self) -> Decimal:
        return report_value(self.exact)

    def as_dict(self) -> dict:
        return {"name": self.name, "weight": str(self.weight), "index": str(self.index), "index_exact": str(self.exact)}


@dataclass(frozen=True)
class Score:
    framework: Framework
    exact: Fraction
    domains: tuple[GroupScore, ...]
    aspects: tuple[GroupScore, ...]

    @property
    def index(self) -> Decimal:
        """The shown index: exact, rounded half-up to two decimals."""
        return report_value(self.exact)

    @property
    def predicate(self) -> str:
        return predicate_of(self.framework, self.exact)

    @property
    def bound_note(self) -> str | None:
        return bound_note(self.framework, self.exact)

    def as_dict(self) -> dict:
        return {
            "framework": self.framework.id,
            "framework_verified": self.framework.verified,
            "index": str(self.index),
            "index_exact": str(self.exact),
            "index_exact_decimal": machine_exact(self.exact),
            "predicate": self.predicate,
            "predicate_reading": self.framework.predicate_reading,
            "bound_note": self.bound_note,
            "domains": [d.as_dict() for d in self.domains],
            "aspects": [a.as_dict() for a in self.aspects],
        }


def report_value(exact: Fraction) -> Decimal:
    """Round an exact index half-up to two decimals (the way indices are published)."""
    hundredths = (exact * 100 + Fraction(1, 2)).__floor__()
    return (Decimal(hundredths) / 100).quantize(TWO_PLACES, rounding=ROUND_HALF_UP)


def predicate_for(framework: Framework, value: Decimal | Fraction) -> str:
    """The predicate the framework's table gives `value` itself (no rounding applied here)."""
    value = Fraction(value)
    for p, bound in zip(framework.predicates, _bounds(framework), strict=True):
        if value >= bound:
            return p.name
    return framework.predicates[-1].name


def predicate_of(framework: Framework, exact: Fraction | Decimal) -> str:
    """The predicate of an index, read as the framework says: from the exact or from the shown value."""
    exact = Fraction(exact)
    if framework.predicate_reading == "rounded":
        return predicate_for(framework, report_value(exact))
    return predicate_for(framework, exact)


def meets(framework: Framework, exact: Fraction | Decimal, bound: Decimal | Fraction) -> bool:
    """Whether an index reaches `bound` under the framework's reading."""
    exact = Fraction(exact)
    value = report_value(exact) if framework.predicate_reading == "rounded" else exact
    return Fraction(value) >= Fraction(bound)


def bound_note(framework: Framework, exact: Fraction | Decimal) -> str | None:
    """The sentence for an index whose exact and shown values lie on different sides of a bound.

    "4,1965 (tampil 4,20): di bawah batas Memuaskan 4,20" under an exact reading; under a rounded one
    the same fact, and that the predicate follows the shown value. None when no bound lies between.
    """
    exact = Fraction(exact)
    shown = report_value(exact)
    for p, bound in zip(framework.predicates, _bounds(framework), strict=True):
        if exact < bound <= shown:
            side = "di bawah"
        elif shown < bound <= exact:
            side = "di atas"
        else:
            continue
        head = f"{exact_text(exact)} (tampil {decimal_text(shown)}): "
        where = f"batas {p.name} {decimal_text(p.min)}"
        if framework.predicate_reading == "rounded":
            return head + f"nilai tepat {side} {where}; predikat dibaca dari nilai tampil"
        return head + f"{side} {where}"
    return None


def _bounds(framework: Framework) -> tuple[Fraction, ...]:
    cached = framework.__dict__.get("_predicate_bounds")
    if cached is None:
        cached = tuple(Fraction(p.min) for p in framework.predicates)
        object.__setattr__(framework, "_predicate_bounds", cached)
    return cached


@dataclass(frozen=True)
class _Plan:
    """A framework's weights as integers of one common unit, so scoring is integer sums and one division."""

    numbers: tuple[int, ...]
    units: tuple[int, ...]
    total_units: int
    domains: tuple[tuple[str, Decimal, tuple[int, ...], int], ...]  # name, weight, positions, units
    aspects: tuple[tuple[str, Decimal, tuple[int, ...], int], ...]


def _plan(framework: Framework) -> _Plan:
    """Cached on the framework object itself: two frameworks sharing an id never share weights."""
    plan = framework.__dict__.get("_scoring_plan")
    if plan is None:
        weights = [Fraction(i.weight) for i in framework.indicators]
        scale = math.lcm(*(w.denominator for w in weights))
        units = tuple(int(w * scale) for w in weights)

        def groups(key) -> tuple[tuple[str, Decimal, tuple[int, ...], int], ...]:
            members: dict[str, list[int]] = {}
            for pos, ind in enumerate(framework.indicators):
                if key(ind):
                    members.setdefault(key(ind), []).append(pos)
            return tuple(
                (
                    name,
                    sum((framework.indicators[p].weight for p in ps), Decimal(0)),
                    tuple(ps),
                    sum(units[p] for p in ps),
                )
                for name, ps in members.items()
            )

        plan = _Plan(
            tuple(i.number for i in framework.indicators),
            units,
            sum(units),
            groups(lambda i: i.domain),
            groups(lambda i: i.aspect),
        )
        object.__setattr__(framework, "_scoring_plan", plan)
    return plan


def score(framework: Framework, levels: Mapping[int, Value]) -> Score:
    """Score a complete set of values: indicator number → whole level 1..5 or an exact Fraction in [1, 5].

    Whole levels take the integer path (one division at the end); fractional values are brought to
    one common denominator first, so the arithmetic stays in integers either way.
    """
    plan = _plan(framework)
    try:
        values = [levels[n] for n in plan.numbers]
    except KeyError:
        missing = [n for n in plan.numbers if n not in levels]
        raise ValueError(f"levels missing for indicators {missing}") from None
    if all(type(v) is int for v in values):
        den = 1
        scaled: Sequence[int] = values  # type: ignore[assignment]
    else:
        scaled, den = _common_units(plan.numbers, values)
    if min(scaled) < MIN_VALUE * den or max(scaled) > MAX_VALUE * den:
        outside = [n for n, v in zip(plan.numbers, values, strict=True) if not MIN_VALUE <= v <= MAX_VALUE]
        raise ValueError(f"values outside {MIN_VALUE}-{MAX_VALUE} for indicators {outside}")
    products = [v * u for v, u in zip(scaled, plan.units, strict=True)]

    def group_scores(groups) -> tuple[GroupScore, ...]:
        return tuple(
            GroupScore(name, weight, Fraction(sum(products[p] for p in ps), units * den))
            for name, weight, ps, units in groups
        )

    overall = Fraction(sum(products), plan.total_units * den)
    return Score(framework, overall, group_scores(plan.domains), group_scores(plan.aspects))


def _common_units(numbers: Sequence[int], values: Sequence[object]) -> tuple[list[int], int]:
    """Exact values as integers over their common denominator; floats and other types are refused."""
    bad = [
        n
        for n, v in zip(numbers, values, strict=True)
        if isinstance(v, bool)
        or not isinstance(v, int | Fraction | Decimal)
        or (isinstance(v, Decimal) and not v.is_finite())
    ]
    if bad:
        raise ValueError(f"values for indicators {bad} must be whole levels or exact fractions (no floats)")
    exact = [Fraction(v) for v in values]  # type: ignore[arg-type]
    den = math.lcm(*(f.denominator for f in exact))
    return [int(f * den) for f in exact], den
