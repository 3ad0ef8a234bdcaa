"""Evaluation frameworks as data: a framework is a folder with `framework.toml` and `indicators.csv`.

Frameworks change with the regulation (59/2020 through 2025, Pemdi from 2026), so nothing about a
particular catalog lives in code. Loading validates everything and lists every problem at once.
"""

from __future__ import annotations

import csv
import tomllib
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from spbe.errors import ConfigError
from spbe.paths import frameworks_dir

if TYPE_CHECKING:
    from spbe.items.model import ItemsModel

LEVELS = (1, 2, 3, 4, 5)
# How evidence is asked for: "levels" (59/2020: one claimed level per indicator, with explanation and
# evidence) or "items" (Pemdi: numbered evidence items per level, judged one by one; see spbe.items).
EVIDENCE_MODELS = ("levels", "items")


@dataclass(frozen=True, slots=True)
class Indicator:
    number: int
    domain: str
    aspect: str
    name: str
    weight: Decimal  # percent of the overall index, e.g. 1.30


@dataclass(frozen=True, slots=True)
class Level:
    level: int
    name: str
    asks: str


@dataclass(frozen=True, slots=True)
class Predicate:
    name: str
    min: Decimal  # inclusive lower bound of the reported (2-decimal) index


@dataclass(frozen=True)
class Framework:
    id: str
    name: str
    verified: bool
    indicators: tuple[Indicator, ...]
    levels: tuple[Level, ...]
    predicates: tuple[Predicate, ...]  # highest bound first
    evidence_model: str = "levels"
    items: ItemsModel | None = field(default=None, compare=False, repr=False)  # with evidence_model "items"

    @property
    def label(self) -> str:
        """The id as users should see it: unverified frameworks always carry the warning."""
        return self.id if self.verified else f"{self.id} (BELUM TERVERIFIKASI / unverified)"

    def indicator(self, number: int) -> Indicator:
        return self._by_number[number]

    def has_indicator(self, number: int) -> bool:
        return number in self._by_number

    @property
    def _by_number(self) -> dict[int, Indicator]:
        cached = self.__dict__.get("_by_number_cache")
        if cached is None:
            cached = {i.number: i for i in self.indicators}
            object.__setattr__(self, "_by_number_cache", cached)
        return cached

    def level_name(self, level: int) -> str:
        return self.levels[level - 1].name

    def domains(self) -> list[str]:
        """Domains in catalog order (empty for frameworks without domains)."""
        return list(dict.fromkeys(i.domain for i in self.indicators if i.domain))

    def aspects(self) -> list[str]:
        return list(dict.fromkeys(i.aspect for i in self.indicators))

    def predicate_lower_bound(self, name: str) -> Decimal:
        for p in self.predicates:
            if p.name.casefold() == name.casefold():
                return p.min
        known = ", ".join(p.name for p in self.predicates)
        raise ConfigError(f"predicate {name!r} is not defined in {self.id} (known: {known})")


def available_frameworks(root: Path | None = None) -> list[str]:
    root = root or frameworks_dir()
    return sorted(p.name for p in root.iterdir() if (p / "framework.toml").is_file())


@cache
def load_framework(framework_id: str, root: Path | None = None) -> Framework:
    root = root or frameworks_dir()
    folder = root / framework_id
    if not (folder / "framework.toml").is_file():
        known = ", ".join(available_frameworks(root)) or "none"
        raise ConfigError(f"unknown framework {framework_id!r} (available: {known})")
    return parse_framework(folder)


def parse_framework(folder: Path) -> Framework:
    """Read and validate one framework folder; every problem is reported, not only the first."""
    problems: list[str] = []
    meta_path = folder / "framework.toml"
    try:
        meta = tomllib.loads(meta_path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(str(exc), source=str(meta_path)) from None

    indicators = _read_indicators(folder / "indicators.csv", problems)
    levels = _read_levels(meta.get("levels", []), problems)
    predicates = _read_predicates(meta.get("predicates", []), problems)

    numbers = [i.number for i in indicators]
    if len(set(numbers)) != len(numbers):
        dupes = sorted({n for n in numbers if numbers.count(n) > 1})
        problems.append(f"indicators.csv: indicator numbers repeat: {dupes}")
    if numbers and sorted(set(numbers)) != list(range(1, max(numbers) + 1)):
        missing = sorted(set(range(1, max(numbers) + 1)) - set(numbers))
        problems.append(f"indicators.csv: numbers must run 1..N without gaps; missing {missing}")
    total = sum((i.weight for i in indicators), Decimal(0))
    if indicators and total != 100:
        problems.append(f"indicators.csv: weights sum to {total}, not 100")
    for key in ("id", "name"):
        if not meta.get(key):
            problems.append(f"framework.toml: `{key}` is missing")
    if meta.get("id") and meta["id"] != folder.name:
        problems.append(f"framework.toml: id {meta['id']!r} differs from its folder name {folder.name!r}")
    evidence_model = meta.get("evidence_model", "levels")
    items = None
    if evidence_model not in EVIDENCE_MODELS:
        problems.append(
            f"framework.toml: evidence_model {evidence_model!r} must be one of {', '.join(EVIDENCE_MODELS)}"
        )
    elif evidence_model == "items":
        from spbe.items.model import parse_items_model  # it never imports this module: no cycle

        items = parse_items_model(folder, meta, indicators=sorted(set(numbers)), problems=problems)
    if problems:
        raise ConfigError(problems, source=f"framework {folder.name}")
    return Framework(
        id=meta["id"],
        name=meta["name"],
        verified=bool(meta.get("verified", False)),
        indicators=tuple(sorted(indicators, key=lambda i: i.number)),
        levels=tuple(levels),
        predicates=tuple(predicates),
        evidence_model=evidence_model,
        items=items,
    )


def _read_indicators(path: Path, problems: list[str]) -> list[Indicator]:
    out: list[Indicator] = []
    with path.open(encoding="utf-8-sig", newline="") as fh:
        reader = csv.DictReader(fh)
        expected = {"number", "domain", "aspect", "name", "weight"}
        if set(reader.fieldnames or []) != expected:
            problems.append(f"{path.name}: header must be {','.join(sorted(expected))}, got {reader.fieldnames}")
            return out
        for line, row in enumerate(reader, start=2):
            try:
                number = int(row["number"])
            except ValueError:
                problems.append(f"{path.name} line {line}: number {row['number']!r} is not an integer")
                continue
            try:
                weight = Decimal(row["weight"])
            except InvalidOperation:
                problems.append(f"{path.name} line {line}: weight {row['weight']!r} is not a number")
                continue
            if weight <= 0:
                problems.append(f"{path.name} line {line}: weight must be positive, got {weight}")
            if not row["aspect"].strip() or not row["name"].strip():
                problems.append(f"{path.name} line {line}: aspect and name are required")
            out.append(Indicator(number, row["domain"].strip(), row["aspect"].strip(), row["name"].strip(), weight))
    return out


def _read_levels(raw: list[dict], problems: list[str]) -> list[Level]:
    levels = [Level(int(x["level"]), str(x["name"]), str(x.get("asks", ""))) for x in raw]
    if [lv.level for lv in levels] != list(LEVELS):
        problems.append(f"framework.toml: levels must be exactly 1..5 in order, got {[lv.level for lv in levels]}")
    return levels


def _read_predicates(raw: list[dict], problems: list[str]) -> list[Predicate]:
    preds: list[Predicate] = []
    for x in raw:
        try:
            preds.append(Predicate(str(x["name"]), Decimal(str(x["min"]))))
        except (KeyError, InvalidOperation):
            problems.append(f"framework.toml: predicate {x!r} needs a name and a numeric min")
    bounds = [p.min for p in preds]
    if not preds:
        problems.append("framework.toml: no predicates defined")
    elif bounds != sorted(bounds, reverse=True) or len(set(bounds)) != len(bounds):
        problems.append(f"framework.toml: predicate bounds must be strictly decreasing, got {bounds}")
    elif bounds[-1] > 1:
        problems.append(f"framework.toml: the lowest predicate must start at or below 1.00, got {bounds[-1]}")
    elif bounds[0] > 5:
        problems.append(f"framework.toml: a predicate bound above 5.00 can never be reached: {bounds[0]}")
    return preds


def as_fraction(value: Decimal) -> Fraction:
    return Fraction(value)
