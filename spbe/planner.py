"""Target planner: the cheapest set of level raises that makes the exact index reach a target.

"Met" means the exact index is at or above the target, never the rounded one: a plan that lands on an
exact 4,1965 (shown 4,20) has not reached Memuaskan under 59/2020, and a plan never depends on
rounding, whatever the framework's predicate reading (an exact index at the bound is also shown at
or above it). Greedy by weight is wrong once costs or caps differ per indicator, so this solves the
multiple-choice knapsack exactly: weights are turned into integer units (1/lcm of their
denominators), costs into integers, and a DP over "units gained", capped at the units needed, finds
the optimum. Pure: no I/O, no database, no Prefect.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from spbe.frameworks import LEVELS, Framework
from spbe.number_text import decimal_text
from spbe.scoring import bound_note, predicate_of, report_value

MIN_LEVEL, MAX_LEVEL = LEVELS[0], LEVELS[-1]


@dataclass(frozen=True)
class Raise:
    number: int
    name: str
    from_level: int
    to_level: int
    cost: Decimal  # for all the steps of this raise
    gain: Fraction  # overall index gained, exact

    def as_dict(self) -> dict:
        return {
            "indicator": self.number,
            "name": self.name,
            "from": self.from_level,
            "to": self.to_level,
            "cost": str(self.cost),
            "gain": str(_round_half_up(self.gain, 4)),
        }


@dataclass(frozen=True)
class Plan:
    target: Decimal
    already_met: bool
    reachable: bool
    index_before: Decimal  # shown (two decimals)
    index_after: Decimal  # if unreachable: the best index the caps allow
    predicate_after: str
    total_cost: Decimal
    raises: tuple[Raise, ...]
    best_reachable: Decimal  # everything raised to its cap
    exact_before: Fraction = Fraction(0)
    exact_after: Fraction = Fraction(0)
    best_reachable_exact: Fraction = Fraction(0)
    predicate_before: str = ""
    note_before: str | None = None  # bound_note of the index before and after: exact and shown disagree
    note_after: str | None = None

    def as_dict(self) -> dict:
        return {
            "target": str(self.target),
            "reachable": self.reachable,
            "already_met": self.already_met,
            "index_before": str(self.index_before),
            "index_before_exact": str(self.exact_before),
            "predicate_before": self.predicate_before,
            "index_after": str(self.index_after),
            "index_after_exact": str(self.exact_after),
            "predicate_after": self.predicate_after,
            "bound_note_before": self.note_before,
            "bound_note_after": self.note_after,
            "total_cost": str(self.total_cost),
            "raises": [r.as_dict() for r in self.raises],
        }


def plan(
    framework: Framework,
    levels: Mapping[int, int],
    target: Decimal,
    *,
    costs: Mapping[int, Decimal] | None = None,
    caps: Mapping[int, int] | None = None,
) -> Plan:
    """Minimise total cost; ties go to fewer steps, then to the smaller overshoot of the target."""
    target = _check_target(target)
    costs, caps = costs or {}, caps or {}
    _check_inputs(framework, levels, costs, caps)

    inds = framework.indicators
    unit = math.lcm(*(Fraction(i.weight).denominator for i in inds))  # weight units per percent
    w_units = [int(Fraction(i.weight) * unit) for i in inds]
    cur = [levels[i.number] for i in inds]
    top = [max(lv, caps.get(i.number, MAX_LEVEL)) for i, lv in zip(inds, cur, strict=True)]
    step_cost = [Decimal(costs.get(i.number, 1)) for i in inds]

    # index = S / (100·unit) with S = Σ level·w_units; exact index >= target <=> S >= threshold.
    threshold = math.ceil(Fraction(target) * 100 * unit)
    s_before = sum(lv * w for lv, w in zip(cur, w_units, strict=True))
    s_best = sum(lv * w for lv, w in zip(top, w_units, strict=True))
    need = threshold - s_before

    def exact(s: int) -> Fraction:
        return Fraction(s, 100 * unit)

    index_before = report_value(exact(s_before))
    best_reachable = report_value(exact(s_best))

    def build(after: list[int], met: bool, reachable: bool) -> Plan:
        raises = tuple(
            Raise(
                i.number,
                i.name,
                a,
                b,
                step_cost[k] * (b - a),
                Fraction((b - a) * w_units[k], 100 * unit),
            )
            for k, (i, a, b) in enumerate(zip(inds, cur, after, strict=True))
            if b > a
        )
        exact_after = exact(sum(lv * w for lv, w in zip(after, w_units, strict=True)))
        return Plan(
            target=target,
            already_met=met,
            reachable=reachable,
            index_before=index_before,
            index_after=report_value(exact_after),
            predicate_after=predicate_of(framework, exact_after),
            total_cost=sum((r.cost for r in raises), Decimal(0)),
            raises=raises,
            best_reachable=best_reachable,
            exact_before=exact(s_before),
            exact_after=exact_after,
            best_reachable_exact=exact(s_best),
            predicate_before=predicate_of(framework, exact(s_before)),
            note_before=bound_note(framework, exact(s_before)),
            note_after=bound_note(framework, exact_after),
        )

    if need <= 0:
        return build(cur, met=True, reachable=True)
    if s_best < threshold:
        return build(top, met=False, reachable=False)
    steps = _solve(
        need,
        [t - c for t, c in zip(top, cur, strict=True)],
        w_units,
        [Fraction(c) for c in step_cost],
    )
    return build([c + s for c, s in zip(cur, steps, strict=True)], met=False, reachable=True)


def _solve(need: int, max_steps: list[int], w_units: list[int], costs: list[Fraction]) -> list[int]:
    """Exact DP over units gained (capped at `need`); returns the steps to take per indicator.

    (cost, steps, units gained) is packed into one integer key, ordered lexicographically, so the
    DP compares plain ints. The lexicographic objective is additive, so capping the state at `need`
    keeps it optimal. Layers are kept and the plan is read back by matching values, which is cheaper
    than recording a choice per state.
    """
    scale = math.lcm(*(c.denominator for c in costs))
    int_cost = [int(c * scale) for c in costs]
    gain_range = sum(k * w for k, w in zip(max_steps, w_units, strict=True)) + 1
    step_range = sum(max_steps) + 1
    step_key = [(c * step_range + 1) * gain_range + w for c, w in zip(int_cost, w_units, strict=True)]
    inf = sum(k * key for k, key in zip(max_steps, step_key, strict=True)) + 1  # above any real plan

    dp = [0] + [inf] * need
    layers = [dp]
    top = 0  # highest state reached so far: slices stop there instead of sweeping unreachable states
    for k_max, w, key in zip(max_steps, w_units, step_key, strict=True):
        new = dp[:]
        for k in range(1, k_max + 1):
            add, shift = k * key, k * w
            end = min(need, top + shift + 1)
            if shift < end:  # states that stay below need move up by `shift`
                new[shift:end] = [
                    a if a <= (b := v + add) else b for a, v in zip(new[shift:end], dp[: end - shift], strict=True)
                ]
            best_to_cap = min(dp[max(0, need - shift) :]) + add
            if best_to_cap < new[need]:
                new[need] = best_to_cap
        dp = new
        layers.append(dp)
        top = min(need, top + k_max * w)

    steps = [0] * len(max_steps)
    state, value = need, dp[need]
    for idx in range(len(max_steps) - 1, -1, -1):
        before = layers[idx]
        w, key = w_units[idx], step_key[idx]
        for k in range(max_steps[idx] + 1):
            want, shift = value - k * key, k * w
            if state < need:
                prev = state - shift
                candidates = range(prev, prev + 1) if prev >= 0 else range(0)
            else:
                candidates = range(max(0, need - shift), need + 1) if k else range(need, need + 1)
            prev = next((p for p in candidates if before[p] == want), None)
            if prev is not None:
                steps[idx], state, value = k, prev, want
                break
        else:  # pragma: no cover - the DP layers always contain the path they were built from
            raise AssertionError("planner backtracking lost its path")
    return steps


def default_target(framework: Framework, target_index: Decimal, target_predicate: str) -> tuple[Decimal, str | None]:
    """The index to plan for: a predicate goal is only met at its framework's bound.

    A goal like "Memuaskan, index above 4.0" is short of Memuaskan under 59/2020 (bound 4.20), so the
    higher of the two wins and the difference is said plainly (in the words people read).
    """
    bound = framework.predicate_lower_bound(target_predicate)
    name = next(p.name for p in framework.predicates if p.name.casefold() == target_predicate.casefold())
    if target_index == bound:
        return bound, None
    if target_index < bound:
        shown_as = predicate_of(framework, Fraction(target_index))
        return bound, (
            f"Indeks {decimal_text(target_index)} masih berpredikat {shown_as} menurut {framework.id}; predikat "
            f"{name} dimulai dari {decimal_text(bound)}, maka target perencanaan {decimal_text(bound)}."
        )
    return target_index, (
        f"Target indeks {decimal_text(target_index)} di atas batas bawah predikat {name} "
        f"({decimal_text(bound)}) menurut {framework.id}; target perencanaan {decimal_text(target_index)}."
    )


def _check_target(target: Decimal) -> Decimal:
    if isinstance(target, bool) or not isinstance(target, Decimal | int):
        raise TypeError(f"target must be a Decimal, got {type(target).__name__}")
    target = Decimal(target)
    if not target.is_finite():
        raise ValueError(f"target must be a finite number, got {target}")
    return target


def _check_inputs(
    framework: Framework, levels: Mapping[int, int], costs: Mapping[int, Decimal], caps: Mapping[int, int]
) -> None:
    problems: list[str] = []
    for what, mapping in (("levels", levels), ("costs", costs), ("caps", caps)):
        unknown = sorted(n for n in mapping if not framework.has_indicator(n))
        if unknown:
            problems.append(f"{what}: unknown indicator(s) {unknown} in {framework.id}")
    missing = [i.number for i in framework.indicators if i.number not in levels]
    if missing:
        problems.append(f"levels missing for indicator(s) {missing}")
    for what, mapping in (("level", levels), ("cap", caps)):
        for n, v in mapping.items():
            if isinstance(v, bool) or not isinstance(v, int) or not MIN_LEVEL <= v <= MAX_LEVEL:
                problems.append(f"{what} for indicator {n} must be an integer {MIN_LEVEL}..{MAX_LEVEL}, got {v!r}")
    for n, c in costs.items():
        if isinstance(c, bool) or not isinstance(c, Decimal | int):
            problems.append(f"cost for indicator {n} must be a Decimal or int (no floats), got {c!r}")
        elif not Decimal(c).is_finite() or c <= 0:
            problems.append(f"cost for indicator {n} must be positive and finite, got {c}")
    if problems:
        raise ValueError("; ".join(problems))


def _round_half_up(value: Fraction, places: int) -> Decimal:
    scaled = math.floor(value * 10**places + Fraction(1, 2))
    return Decimal(scaled).scaleb(-places)
