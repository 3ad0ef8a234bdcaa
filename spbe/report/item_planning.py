"""`spbe plan` for an items cycle: the item planner's answer (spbe.items.planner, exact) as a to-do list
per OPD, each item marked as the indicator's lead OPD's or given to a supporting OPD; an optional cost
file (`code,cost`) per item. Pure apart from reading the cost file."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from spbe.csvio import read_rows, require_header
from spbe.errors import InputError
from spbe.i18n import _
from spbe.intake.places import line_cell
from spbe.items.planner import UNASSIGNED, ItemPlan, plan_items
from spbe.planner import default_target
from spbe.report.planning import parse_cost

if TYPE_CHECKING:
    from spbe.domain.snapshot import CycleSnapshot
    from spbe.frameworks import Framework

LEAD, SUPPORTING = "utama", "pendukung"  # who owns an item: the indicator's lead OPD, or a supporting OPD


def read_item_costs(path: Path, framework: Framework) -> dict[str, Decimal]:
    """`code,cost`: a positive cost per item (tool or official code); every bad row named, nothing half-read."""
    assert framework.items is not None
    catalog = framework.items.catalog
    header, rows = read_rows(path)
    problems: list[str] = []
    require_header(header, ["code", "cost"], path.name)
    out: dict[str, Decimal] = {}
    for line, row in rows:
        item = catalog.find(row.get("code", ""))
        if item is None:
            unknown = _("{code!r} is not an item code").format(code=row.get("code", ""))
            problems.append(f"{line_cell(line, 'code')}: {unknown}")
            continue
        cost = parse_cost(row.get("cost", ""))
        if isinstance(cost, str):
            problems.append(f"{line_cell(line, 'cost')}: {cost}")
        elif item.code in out:
            problems.append(f"{line_cell(line, 'code')}: " + _("item {item} is already listed").format(item=item.code))
        else:
            out[item.code] = cost
    if problems:
        raise InputError(problems, source=path.name)
    return out


@dataclass(frozen=True)
class OpdTodo:
    opd: str
    name: str
    rows: tuple[tuple[Any, str], ...]  # (TodoItem, LEAD | SUPPORTING)


def item_plan(
    framework: Framework,
    snapshot: CycleSnapshot,
    *,
    target_index: Decimal,
    target_predicate: str,
    target: Decimal | None = None,
    costs: Mapping[str, Decimal] | None = None,
) -> tuple[ItemPlan, tuple[OpdTodo, ...], str | None]:
    """The plan from the snapshot's item statuses, its to-do list per OPD, and the target's warning."""
    from spbe.services.items import external_readings, item_statuses

    warning = None
    if target is None:
        target, warning = default_target(framework, target_index, target_predicate)
    plan = plan_items(
        framework,
        states=item_statuses(snapshot),
        readings=external_readings(snapshot),
        target=target,
        costs=costs,
    )
    leads = {i.number: i.owner_opd for i in snapshot.indicators if i.owner_opd}
    given = {i.code: i.owner_opd for i in snapshot.items if i.owner_opd and i.owner_opd != leads.get(i.indicator)}
    todos = []
    for opd, items in plan.by_opd(leads, item_owners=given).items():
        name = snapshot.opds[opd].name if opd in snapshot.opds else ("" if opd == UNASSIGNED else opd)
        rows = tuple((t, SUPPORTING if t.code in given else LEAD) for t in items)
        todos.append(OpdTodo(opd, name, rows))
    return plan, tuple(todos), warning


def item_plan_dict(plan: ItemPlan, todos: tuple[OpdTodo, ...]) -> dict[str, Any]:
    return plan.as_dict() | {
        "evidence_model": "items",
        "by_opd": [
            {"opd": t.opd, "name": t.name, "items": [todo.as_dict() | {"owner_role": role} for todo, role in t.rows]}
            for t in todos
        ],
    }
