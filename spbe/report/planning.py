"""What `spbe plan` and the report's recommendation share: the plan with owners, and its input files.

`spbe.planner` answers in indicator numbers; leadership asks "which OPD must do what". This wraps a
`Plan` with each raise's owner OPD and the notes that qualify the answer (an assumed level, a target
that differs from the stated goal), so the command and the report can never tell two stories.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path

from spbe.frameworks import Framework
from spbe.i18n import _
from spbe.levels_file import parse_level, read_int_column
from spbe.planner import Plan, Raise, default_target, plan

_NUMBER = re.compile(r"^\d+(\.\d+)?$")
_DECIMAL_COMMA = re.compile(r"^\d+,\d+$")
_THOUSANDS = re.compile(r"^[1-9]\d{0,2}([.,]\d{3})+$")  # "1.500": 1.5 or 1500? refused, never guessed


def parse_cost(raw: str) -> Decimal | str:
    """A positive cost per level step, or why the text is not one.

    Excel in an Indonesian locale writes "2,5"; that is accepted as 2.5 (a semicolon file can carry it).
    A thousands-looking "1.500" is refused: in rupiah it means 1500, in English 1.5.
    """
    text = raw.strip()
    if not text:
        return _("is empty; expected a positive number such as 1 or 2.5")
    if _THOUSANDS.match(text):
        return _("{text!r} is ambiguous (thousands separator or decimal point?); write it without separators").format(
            text=text
        )
    if _DECIMAL_COMMA.match(text):
        text = text.replace(",", ".")
    if not _NUMBER.match(text):
        return _("{text!r} is not a positive number").format(text=raw.strip())
    try:
        value = Decimal(text)
    except InvalidOperation:  # pragma: no cover - the pattern admits only valid decimals
        return _("{text!r} is not a number").format(text=raw.strip())
    if value <= 0:
        return _("{text} must be greater than 0").format(text=raw.strip())
    return value


def read_costs(path: Path, framework: Framework) -> dict[int, Decimal]:
    """`indicator,cost`: the cost of one level step; indicators not listed cost 1 per step."""
    return read_int_column(path, framework, "cost", complete=False, parse=parse_cost)  # type: ignore[return-value]


def read_caps(path: Path, framework: Framework) -> dict[int, int]:
    """`indicator,max`: the highest level an indicator can reach this year (1-5)."""
    return read_int_column(path, framework, "max", complete=False, parse=parse_level)


@dataclass(frozen=True)
class Owner:
    code: str
    name: str


@dataclass(frozen=True)
class PlanView:
    framework: Framework
    plan: Plan
    target_index: Decimal  # the stated goal (config)
    target_predicate: str
    target_warning: str | None
    owners: Mapping[int, Owner | None]
    notes: tuple[str, ...] = ()  # e.g. which levels were assumed
    extra: Mapping[str, object] = field(default_factory=dict)

    @property
    def target(self) -> Decimal:
        return self.plan.target

    @property
    def steps(self) -> int:
        return sum(r.to_level - r.from_level for r in self.plan.raises)

    def owner(self, r: Raise) -> Owner | None:
        return self.owners.get(r.number)

    def as_dict(self) -> dict:
        data = self.plan.as_dict()
        for raw, r in zip(data["raises"], self.plan.raises, strict=True):
            owner = self.owner(r)
            raw["owner_opd"] = owner.code if owner else None
            raw["owner_name"] = owner.name if owner else None
        return {
            "target": data.pop("target"),
            "reachable": data.pop("reachable"),
            "index_after": data.pop("index_after"),
            "total_cost": data.pop("total_cost"),
            "raises": data.pop("raises"),
            **data,
            "best_reachable": str(self.plan.best_reachable),
            "steps": self.steps,
            "target_index": str(self.target_index),
            "target_predicate": self.target_predicate,
            "target_warning": self.target_warning,
            "notes": list(self.notes),
            **self.extra,
        }


def plan_view(
    framework: Framework,
    levels: Mapping[int, int],
    *,
    target_index: Decimal,
    target_predicate: str,
    target: Decimal | None = None,
    costs: Mapping[int, Decimal] | None = None,
    caps: Mapping[int, int] | None = None,
    owners: Mapping[int, Owner | None] | None = None,
    notes: tuple[str, ...] = (),
    extra: Mapping[str, object] | None = None,
) -> PlanView:
    """Plan toward `target`, or by default toward the higher of the stated index and predicate bound."""
    warning = None
    if target is None:
        target, warning = default_target(framework, target_index, target_predicate)
    result = plan(framework, levels, target, costs=costs, caps=caps)
    return PlanView(framework, result, target_index, target_predicate, warning, owners or {}, notes, extra or {})
