"""Item planner: the cheapest set of evidence items to get accepted so that the index reaches a target.

The answer is a to-do list of items, per indicator (and per OPD given an indicator → OPD map), not a
list of level raises. It is exact:
- the target is the exact predicate bound (Memuaskan is an exact index ≥ 4,00), never a rounded one;
- contiguity is respected: an item on level L adds nothing until every main item below it is accepted,
  so an indicator's possible outcomes are "levels 1..f-1 complete and k items of level f", for which
  the cheapest items of each level are the ones to produce;
- the optimum is exact: a multiple-choice knapsack over those outcomes, solved on the Pareto frontier of
  (cost, number of items) against index gained, with the gain capped at what is needed. Ties go to fewer
  items. Works for any registered value rule, because outcomes are valued by the rule itself.

External indicators are fixed (their recorded value, or 1 while waiting). Pendukung items never appear:
they add nothing. Items already accepted cost nothing; every other main item (belum, proses, revisi)
costs one unit unless a per-item cost is given.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import TYPE_CHECKING, Any

from spbe.items.catalog import ITEM_LEVELS, Item, indicator_label
from spbe.items.externals import ExternalReading
from spbe.items.index import items_model, readings_by_indicator
from spbe.items.model import ItemsModel
from spbe.items.provenance import number_text
from spbe.items.rules import LevelTally, ValueRule
from spbe.items.status import NOTHING, ItemState
from spbe.items.valuation import indicator_values
from spbe.planner import _check_target as check_target  # one rule for targets, levels or items
from spbe.scoring import report_value

if TYPE_CHECKING:
    from spbe.frameworks import Framework

UNASSIGNED = "(OPD belum ditetapkan)"


@dataclass(frozen=True, slots=True)
class TodoItem:
    """One item to produce (or fix, or get judged) so that it is accepted."""

    item: Item
    state: ItemState  # what it is now
    cost: Decimal

    @property
    def code(self) -> str:
        return self.item.code

    def as_dict(self) -> dict[str, Any]:
        return {
            "code": self.item.code,
            "official_code": self.item.official_code,
            "indicator": indicator_label(self.item.indicator),
            "level": self.item.level,
            "text": self.item.text,
            "now": self.state.label,
            "cost": str(self.cost),
        }


@dataclass(frozen=True)
class IndicatorTodo:
    indicator: int
    name: str
    value_before: Fraction
    value_after: Fraction
    items: tuple[TodoItem, ...]  # by level, then catalog order

    @property
    def cost(self) -> Decimal:
        return sum((t.cost for t in self.items), Decimal(0))

    def as_dict(self) -> dict[str, Any]:
        return {
            "indicator": indicator_label(self.indicator),
            "name": self.name,
            "value_before": str(report_value(self.value_before)),
            "value_after": str(report_value(self.value_after)),
            "value_after_exact": str(self.value_after),
            "cost": str(self.cost),
            "items": [t.as_dict() for t in self.items],
        }


@dataclass(frozen=True)
class ItemPlan:
    target: Decimal  # the exact index to reach
    rule: ValueRule
    already_met: bool
    reachable: bool
    index_before: Fraction  # exact
    index_after: Fraction  # exact; if unreachable: with every remaining main item accepted
    best_reachable: Fraction  # every main item accepted, externals as they are
    indicators: tuple[IndicatorTodo, ...]  # only indicators with something to do
    fixed_externals: tuple[int, ...]  # external indicators, kept at their value

    @property
    def total_cost(self) -> Decimal:
        return sum((t.cost for t in self.indicators), Decimal(0))

    @property
    def items(self) -> tuple[TodoItem, ...]:
        return tuple(t for ind in self.indicators for t in ind.items)

    def by_opd(
        self, owners: Mapping[int, str], *, item_owners: Mapping[str, str] | None = None
    ) -> dict[str, tuple[TodoItem, ...]]:
        """The to-do list per OPD: an item's own assignment (`item_owners`, by tool code) wins over its
        indicator's lead OPD (`owners`); items with neither go under UNASSIGNED. OPDs in name order."""
        item_owners = item_owners or {}
        grouped: dict[str, list[TodoItem]] = {}
        for todo in self.items:
            opd = item_owners.get(todo.code) or owners.get(todo.item.indicator) or UNASSIGNED
            grouped.setdefault(opd, []).append(todo)
        return {opd: tuple(grouped[opd]) for opd in sorted(grouped, key=lambda o: (o == UNASSIGNED, o))}

    def as_dict(self) -> dict[str, Any]:
        return {
            "target": str(self.target),
            "target_reading": "exact",
            "value_rule": self.rule.as_dict(),
            "already_met": self.already_met,
            "reachable": self.reachable,
            "index_before": str(report_value(self.index_before)),
            "index_before_exact": str(self.index_before),
            "index_after": str(report_value(self.index_after)),
            "index_after_exact": str(self.index_after),
            "best_reachable_exact": str(self.best_reachable),
            "total_cost": str(self.total_cost),
            "item_count": len(self.items),
            "fixed_externals": [indicator_label(n) for n in self.fixed_externals],
            "indicators": [t.as_dict() for t in self.indicators],
        }


@dataclass(frozen=True, slots=True)
class _Option:
    cost: Fraction
    count: int
    value: Fraction
    items: tuple[Item, ...]


def plan_items(
    framework: Framework,
    *,
    states: Mapping[str, ItemState],
    target: Decimal | int,
    readings: Iterable[ExternalReading] | Mapping[int, ExternalReading] = (),
    costs: Mapping[str, Decimal | int] | None = None,
    rule_id: str | None = None,
) -> ItemPlan:
    """The cheapest items to get accepted so that the exact index reaches `target`.

    `states` maps tool codes to entered states (missing = belum); `costs` maps tool codes to a positive
    cost (default 1 per item). Raises ValueError for a bad target or cost, KeyError for unknown codes.
    """
    model = items_model(framework)
    rule = model.rule(rule_id)
    target_dec = check_target(target)
    costs = _check_costs(model, costs or {})
    readings_map = readings_by_indicator(readings)
    values = indicator_values(model, states, readings_map, rule=rule)
    weights = {i.number: Fraction(i.weight) for i in framework.indicators}
    total_weight = sum(weights.values())

    s_before = sum(weights[n] * v.value for n, v in values.items())
    need = Fraction(target_dec) * total_weight - s_before
    groups: list[tuple[int, Fraction, list[_Option]]] = []
    for number in model.item_indicators():
        now = values[number].value
        options = [o for o in _options(model, number, states, costs, rule) if o.value >= now]
        groups.append((number, now, options))
    s_best = s_before + sum(weights[n] * (max(o.value for o in opts) - now) for n, now, opts in groups)

    if need <= 0:
        chosen = {n: _Option(Fraction(0), 0, now, ()) for n, now, _ in groups}
    elif s_best < need + s_before:
        chosen = {n: max(opts, key=lambda o: (o.value, -o.cost)) for n, _, opts in groups}
    else:
        chosen = _solve(need, [(n, weights[n], now, opts) for n, now, opts in groups])

    order = {item.code: n for n, item in enumerate(model.catalog.items)}
    todos = []
    for number, now, _ in groups:
        option = chosen[number]
        if not option.items:
            continue
        items = tuple(
            TodoItem(i, states.get(i.code, NOTHING), Decimal(costs.get(i.code, 1)))
            for i in sorted(option.items, key=lambda i: (i.level, order[i.code]))
        )
        todos.append(IndicatorTodo(number, framework.indicator(number).name, now, option.value, items))
    s_after = s_before + sum(weights[n] * (chosen[n].value - now) for n, now, _ in groups)
    return ItemPlan(
        target=target_dec,
        rule=rule,
        already_met=need <= 0,
        reachable=s_best >= need + s_before,
        index_before=s_before / total_weight,
        index_after=s_after / total_weight,
        best_reachable=s_best / total_weight,
        indicators=tuple(todos),
        fixed_externals=tuple(n for n in model.indicator_numbers if model.is_external(n)),
    )


def _options(
    model: ItemsModel, number: int, states: Mapping[str, ItemState], costs: Mapping[str, Decimal], rule: ValueRule
) -> list[_Option]:
    """Every outcome worth considering for one indicator: levels below f complete, k main items of f
    accepted (k from what is accepted now up to one short of complete), or every level complete."""

    def cost_of(item: Item) -> Fraction:
        return Fraction(costs.get(item.code, 1))

    required, accepted, missing = [], [], []  # per level
    for level in ITEM_LEVELS:
        main = model.catalog.main_items(number, level)
        todo = sorted((i for i in main if not states.get(i.code, NOTHING).accepted), key=lambda i: (cost_of(i), i.code))
        required.append(len(main))
        accepted.append(len(main) - len(todo))
        missing.append(todo)

    options: list[_Option] = []
    base_items: list[Item] = []  # what completing the levels below f takes
    for f in range(len(ITEM_LEVELS)):
        for k in range(accepted[f], required[f]):  # f stays the first incomplete level
            chosen = (*base_items, *missing[f][: k - accepted[f]])
            tallies = tuple(
                LevelTally(lv, required[j], required[j] if j < f else (k if j == f else 0))
                for j, lv in enumerate(ITEM_LEVELS)
            )
            options.append(_Option(sum(map(cost_of, chosen), Fraction(0)), len(chosen), rule.value(tallies), chosen))
        base_items.extend(missing[f])
    everything = tuple(LevelTally(lv, required[j], required[j]) for j, lv in enumerate(ITEM_LEVELS))
    options.append(
        _Option(sum(map(cost_of, base_items), Fraction(0)), len(base_items), rule.value(everything), tuple(base_items))
    )
    return options


def _solve(need: Fraction, groups: list[tuple[int, Fraction, Fraction, list[_Option]]]) -> dict[int, _Option]:
    """Exact multiple-choice knapsack: one option per indicator, minimal (cost, items) with gain ≥ need.

    A frontier point is (cost and count, gain capped at need, path); a point is dropped when another
    costs no more (lexicographically on cost, then count) and gains at least as much: any completion of
    the dropped one completes the other as well, so the optimum survives. Capping keeps the frontier
    small. Gains and costs are scaled to integers (by the lcm of their denominators), and (cost, count)
    packed into one integer, so the loop compares plain ints; nothing is rounded.
    """
    gains = [[weight * (o.value - now) for o in options] for _, weight, now, options in groups]
    gain_scale = math.lcm(need.denominator, *(g.denominator for row in gains for g in row))
    cost_scale = math.lcm(*(o.cost.denominator for *_, options in groups for o in options))
    count_range = sum(max(o.count for o in options) for *_, options in groups) + 1
    need_units = int(need * gain_scale)
    frontier: list[tuple[int, int, tuple]] = [(0, 0, ())]
    for (number, _, _, options), row in zip(groups, gains, strict=True):
        scaled = [
            (int(o.cost * cost_scale) * count_range + o.count, int(g * gain_scale), o)
            for o, g in zip(options, row, strict=True)
        ]
        candidates = [
            (key + o_key, min(need_units, gain + o_gain), (path, number, o))
            for key, gain, path in frontier
            for o_key, o_gain, o in scaled
        ]
        candidates.sort(key=lambda c: (c[0], -c[1]))
        frontier = []
        best_gain = -1
        for candidate in candidates:
            if candidate[1] > best_gain:
                frontier.append(candidate)
                best_gain = candidate[1]
    winner = next(c for c in frontier if c[1] >= need_units)  # the caller checked that the target is reachable
    chosen: dict[int, _Option] = {}
    path = winner[2]
    while path:
        path, number, option = path
        chosen[number] = option
    return chosen


def _check_costs(model: ItemsModel, costs: Mapping[str, Decimal | int]) -> dict[str, Decimal]:
    problems: list[str] = []
    out: dict[str, Decimal] = {}
    for code, cost in costs.items():
        item = model.catalog.find(code)
        if item is None:
            problems.append(f"cost for unknown item {code!r}")
            continue
        if isinstance(cost, bool) or not isinstance(cost, Decimal | int):
            problems.append(f"cost for {code} must be a Decimal or int (no floats), got {cost!r}")
        elif not Decimal(cost).is_finite() or cost <= 0:
            problems.append(f"cost for {code} must be positive and finite, got {cost}")
        else:
            out[item.code] = Decimal(cost)
    if problems:
        raise ValueError("; ".join(problems))
    return out


def describe_target(plan: ItemPlan) -> str:
    """One sentence on where the plan lands relative to the exact target (Bahasa Indonesia)."""
    target = number_text(Fraction(plan.target), comma=True)
    if plan.already_met:
        return f"indeks {_exact(plan.index_before)} sudah mencapai target {target}"
    if not plan.reachable:
        return (
            f"target {target} tidak tercapai walau semua butir utama diterima: paling tinggi "
            f"{_exact(plan.best_reachable)} (indikator eksternal tetap)"
        )
    return f"{len(plan.items)} butir membawa indeks dari {_exact(plan.index_before)} ke {_exact(plan.index_after)}"


def _exact(value: Fraction) -> str:
    shown = str(report_value(value)).replace(".", ",")
    return shown if Fraction(report_value(value)) == value else f"{shown} (tepat {number_text(value, comma=True)})"
