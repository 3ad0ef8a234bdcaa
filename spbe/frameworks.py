"""Evaluation frameworks as data: a framework is a folder with `framework.toml` and `indicators.csv`.

Frameworks change with the regulation (59/2020 through 2025, Pemdi from 2026), so nothing about a
particular catalog lives in code. Loading validates everything and lists every problem at once.
"""

from __future__ import annotations

import csv
import tomllib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from spbe.errors import ConfigError
from spbe.i18n import _
from spbe.number_text import decimal_text
from spbe.paths import frameworks_dir

if TYPE_CHECKING:
    from spbe.items.model import ItemsModel

LEVELS = (1, 2, 3, 4, 5)
# How evidence is asked for: "levels" (59/2020: one claimed level per indicator, with explanation and
# evidence) or "items" (Pemdi: numbered evidence items per level, judged one by one; see spbe.items).
EVIDENCE_MODELS = ("levels", "items")
PREDICATE_READINGS = ("exact", "rounded")  # what a predicate bound is compared with
DEFAULT_SCALE = "default"


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
    alias: str = ""  # the regulation's second name, e.g. "Initiate" for Pemdi's "Merintis"

    @property
    def label(self) -> str:
        return f"{self.name} ({self.alias})" if self.alias else self.name


@dataclass(frozen=True, slots=True)
class Scale:
    """A named set of five level names; a framework can give some indicators their own scale.

    59/2020 names capability levels Rintisan..Optimum, but its service indicators (32-47) are also
    read on the technical-function scale Informasi..Optimalisasi: the names people see follow the
    indicator, the arithmetic does not change.
    """

    key: str
    title: str
    levels: tuple[Level, ...]
    indicators: frozenset[int] = frozenset()  # empty for the default scale: every other indicator

    def name(self, level: int) -> str:
        return self.levels[level - 1].name


@dataclass(frozen=True, slots=True)
class Predicate:
    name: str
    min: Decimal  # inclusive lower bound of the index (two decimals, as the regulation writes it)


@dataclass(frozen=True)
class Framework:
    id: str
    name: str
    verified: bool
    indicators: tuple[Indicator, ...]
    levels: tuple[Level, ...]  # the default scale
    predicates: tuple[Predicate, ...]  # highest bound first
    evidence_model: str = "levels"
    items: ItemsModel | None = field(default=None, compare=False, repr=False)  # with evidence_model "items"
    predicate_reading: str = "exact"  # "exact": the exact index meets a bound; "rounded": the shown one
    scales: tuple[Scale, ...] = ()  # scales of particular indicators, beside the default one
    short_name: str = "SPBE"  # as in "Indeks SPBE", "Evaluasi Pemdi"
    notes: tuple[str, ...] = ()  # caveats every report on this framework carries
    first_year: int | None = None  # evaluation years the framework governs, where known
    last_year: int | None = None
    scale_title: str = "Tingkat kematangan"

    @property
    def label(self) -> str:
        """The id as users should see it: unverified frameworks always carry the warning."""
        return self.id if self.verified else f"{self.id} (BELUM TERVERIFIKASI / unverified)"

    @property
    def index_name(self) -> str:
        return f"Indeks {self.short_name}"

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

    @property
    def default_scale(self) -> Scale:
        return Scale(DEFAULT_SCALE, self.scale_title, self.levels)

    def all_scales(self) -> list[Scale]:
        """The default scale first, then the per-indicator ones."""
        return [self.default_scale, *self.scales]

    def scale_for(self, number: int) -> Scale:
        for scale in self.scales:
            if number in scale.indicators:
                return scale
        return self.default_scale

    def level_name(self, level: int, *, indicator: int | None = None) -> str:
        """The level's name on the indicator's own scale (the default scale without an indicator)."""
        scale = self.scale_for(indicator) if indicator is not None else self.default_scale
        return scale.name(level)

    def level_text(self, level: object, *, indicator: int) -> str:
        """A whole level with its name, "3 (Terdefinisi)"; a fractional value (Pemdi) has no single name."""
        if isinstance(level, int) and not isinstance(level, bool) and level in LEVELS:
            return f"{level} ({self.level_name(level, indicator=indicator)})"
        return decimal_text(level) if isinstance(level, Decimal | Fraction | int) else "—"

    def indicator_label(self, number: int) -> str:
        """How this framework names an indicator to people, in every message and page: an items framework
        (Pemdi) by its catalog code "I4" (spbe.items.catalog: what items.csv, the portal and the ministry's
        app write), a levels framework (59/2020) "Indikator 4"."""
        if self.evidence_model == "items":
            from spbe.items.catalog import indicator_label

            return indicator_label(number)
        return _("Indicator {number}").format(number=number)

    def indicator_labels(self, numbers: Iterable[int], *, most: int | None = None) -> str:
        """Several indicators in one phrase, consecutive ones as a range: "I2, I4–I6" (items), "indikator
        2, 4–6" (levels); past `most` runs ", dst." (the count is the caller's to say); none: ""."""
        runs = _runs(sorted(set(numbers)))
        if not runs:
            return ""
        shown = runs if most is None else runs[:most]
        if self.evidence_model == "items":
            text = ", ".join(self._run_text(run, self.indicator_label) for run in shown)
        else:
            text = _("indicators {numbers}").format(numbers=", ".join(self._run_text(run, str) for run in shown))
        return text + (_(", etc.") if len(shown) < len(runs) else "")

    @staticmethod
    def _run_text(run: tuple[int, int], name: Callable[[int], str]) -> str:
        first, last = run
        return name(first) if first == last else f"{name(first)}{', ' if last == first + 1 else '–'}{name(last)}"

    def short_indicator_name(self, number: int) -> str:
        """The indicator's name without the scale's own words: "Tingkat Kematangan Kolaborasi Pemdi" is
        "Kolaborasi Pemdi" where the scale is "Tingkat kematangan" (a message has no room to repeat them)."""
        name = self.indicator(number).name
        prefix = self.scale_for(number).title.casefold() + " "
        if name.casefold().startswith(prefix) and len(name) > len(prefix):
            rest = name[len(prefix) :]
            return rest[0].upper() + rest[1:]
        return name

    def covers_year(self, year: int) -> bool:
        return (self.first_year is None or year >= self.first_year) and (
            self.last_year is None or year <= self.last_year
        )

    def domains(self) -> list[str]:
        """Domains in catalog order (empty for frameworks without domains)."""
        return list(dict.fromkeys(i.domain for i in self.indicators if i.domain))

    def aspects(self) -> list[str]:
        return list(dict.fromkeys(i.aspect for i in self.indicators))

    def group_weight(self, kind: str, name: str) -> Decimal:
        """The weight of one domain or aspect: the sum of its indicators' weights."""
        key = (lambda i: i.domain) if kind == "domain" else (lambda i: i.aspect)
        return sum((i.weight for i in self.indicators if key(i) == name), Decimal(0))

    def predicate_lower_bound(self, name: str) -> Decimal:
        for p in self.predicates:
            if p.name.casefold() == name.casefold():
                return p.min
        known = ", ".join(p.name for p in self.predicates)
        raise ConfigError(f"predicate {name!r} is not defined in {self.id} (known: {known})")


def _runs(numbers: list[int]) -> list[tuple[int, int]]:
    """[2, 4, 5, 6] → [(2, 2), (4, 6)]: sorted numbers as runs of consecutive ones."""
    runs: list[tuple[int, int]] = []
    for n in numbers:
        if runs and n == runs[-1][1] + 1:
            runs[-1] = (runs[-1][0], n)
        else:
            runs.append((n, n))
    return runs


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
    levels = _read_levels(meta.get("levels", []), "levels", problems)
    predicates = _read_predicates(meta.get("predicates", []), problems)
    numbers = [i.number for i in indicators]
    scales = _read_scales(meta.get("scales", []), set(numbers), problems)

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
    reading = meta.get("predicate_reading", "exact")
    if reading not in PREDICATE_READINGS:
        problems.append(
            f"framework.toml: predicate_reading must be one of {', '.join(PREDICATE_READINGS)}, got {reading!r}"
        )
    notes = meta.get("notes", [])
    if not isinstance(notes, list) or not all(isinstance(n, str) for n in notes):
        problems.append("framework.toml: `notes` must be a list of strings")
        notes = []
    years = {}
    for key in ("first_year", "last_year"):
        value = meta.get(key)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
            problems.append(f"framework.toml: `{key}` must be a year (an integer), got {value!r}")
            value = None
        years[key] = value
    if years["first_year"] and years["last_year"] and years["first_year"] > years["last_year"]:
        problems.append(f"framework.toml: first_year {years['first_year']} is after last_year {years['last_year']}")
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
        predicate_reading=reading,
        scales=tuple(scales),
        short_name=str(meta.get("short_name", "SPBE")),
        notes=tuple(notes),
        first_year=years["first_year"],
        last_year=years["last_year"],
        scale_title=str(meta.get("scale_title", "Tingkat kematangan")),
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


def _read_levels(raw: list[dict], where: str, problems: list[str]) -> list[Level]:
    try:
        levels = [Level(int(x["level"]), str(x["name"]), str(x.get("asks", "")), str(x.get("alias", ""))) for x in raw]
    except (KeyError, TypeError, ValueError):
        problems.append(f"framework.toml: every entry of {where} needs a level number and a name")
        return []
    if [lv.level for lv in levels] != list(LEVELS):
        problems.append(f"framework.toml: {where} must be exactly 1..5 in order, got {[lv.level for lv in levels]}")
    return levels


def _read_scales(raw: list[dict], numbers: set[int], problems: list[str]) -> list[Scale]:
    """`[[scales]]`: key, title, `indicators = "32-47"` (ranges and commas) and five `[[scales.levels]]`."""
    scales: list[Scale] = []
    claimed: dict[int, str] = {}
    for x in raw:
        key = str(x.get("key", "")).strip()
        if not key or key == DEFAULT_SCALE:
            problems.append(f"framework.toml: a scale needs a key other than {DEFAULT_SCALE!r}, got {key!r}")
            continue
        members = _parse_ranges(str(x.get("indicators", "")))
        if members is None or not members:
            problems.append(f"framework.toml: scale {key}: indicators {x.get('indicators')!r} must read like '32-47'")
            continue
        unknown = sorted(members - numbers)
        if unknown:
            problems.append(f"framework.toml: scale {key}: unknown indicator(s) {unknown}")
        for n in sorted(members):
            if n in claimed:
                problems.append(f"framework.toml: indicator {n} is in scale {claimed[n]} and in scale {key}")
            claimed[n] = key
        levels = _read_levels(x.get("levels", []), f"scale {key} levels", problems)
        scales.append(Scale(key, str(x.get("title", key)), tuple(levels), frozenset(members)))
    return scales


def _parse_ranges(text: str) -> set[int] | None:
    out: set[int] = set()
    for part in (p.strip() for p in text.split(",")):
        low, sep, high = part.partition("-")
        if not low.strip().isdigit() or (sep and not high.strip().isdigit()):
            return None
        a, b = int(low), int(high) if sep else int(low)
        if b < a:
            return None
        out.update(range(a, b + 1))
    return out


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
    for p in preds:
        if p.min.is_finite() and p.min.as_tuple().exponent < -2:  # type: ignore[operator]
            problems.append(f"framework.toml: predicate {p.name} bound {p.min} has more than two decimals")
    return preds


def as_fraction(value: Decimal) -> Fraction:
    return Fraction(value)
