"""The item catalog: evidence items (butir bukti dukung) per indicator level, and each level's criterion.

The catalog is data in the framework folder (`items.csv`, `criteria.csv`) because the ministry revises
its modules during the year and the public copy is incomplete: a city edits or replaces the files, no
code changes. Loading validates every row and reports every problem at once by file, line and field.

Codes. Every item has a stable tool code, written in the file (`I1-L2-03`: indicator, level, running
number within the level). A row whose `code` cell is empty gets the next unused number of its level, so
adding a row never renumbers another; write the printed code into the file to keep it. The ministry's
own code, where known (so far only upload prefixes such as `PG_04_01`), sits beside it in
`official_code`; both find the item.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterator
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

from spbe.csvio import read_rows
from spbe.errors import InputError
from spbe.items.provenance import Confidence, Provenance, parse_confidence

ITEM_LEVELS = (1, 2, 3, 4, 5)  # the five Pemdi levels; kept here so this module never imports spbe.frameworks
ITEMS_FILE = "items.csv"
CRITERIA_FILE = "criteria.csv"
ITEM_COLUMNS = ("indicator", "level", "code", "official_code", "role", "text", "source", "confidence")
_REQUIRED_ITEM_COLUMNS = ("indicator", "level", "text", "source", "confidence")
CRITERIA_COLUMNS = ("indicator", "level", "criterion", "source", "confidence")

_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")  # safe as a file or folder name in an export
_GENERATED = re.compile(r"^I(\d+)-L(\d)-(\d+)$", re.IGNORECASE)
_INDICATOR = re.compile(r"^[Ii]?(\d+)$")


class Role(StrEnum):
    """An item's role in its level. Undocumented by the ministry; see `counts_as_main`."""

    UTAMA = "utama"
    PENDUKUNG = "pendukung"
    UNKNOWN = "unknown"

    @property
    def counts_as_main(self) -> bool:
        """Main items decide whether a level is complete; an unknown role counts as main (the safe side:
        nothing is skipped that might be required). Pendukung items are shown and judged but never needed
        for a level to be complete and never counted in its share."""
        return self is not Role.PENDUKUNG

    @property
    def label(self) -> str:
        return {"utama": "utama", "pendukung": "pendukung", "unknown": "belum diketahui (dihitung utama)"}[self]


def indicator_label(number: int) -> str:
    """How Pemdi writes an indicator: I1..I20."""
    return f"I{number}"


def parse_indicator_label(raw: str) -> int | None:
    """`I5`, `i5` or `5` → 5; anything else → None."""
    match = _INDICATOR.match(raw.strip())
    return int(match.group(1)) if match else None


def generated_code(indicator: int, level: int, number: int) -> str:
    return f"I{indicator}-L{level}-{number:02d}"


@dataclass(frozen=True, slots=True)
class Item:
    indicator: int
    level: int
    code: str  # the tool's stable code, e.g. I1-L2-03
    official_code: str  # the ministry app's code where known (e.g. PG_04_01), else ""
    role: Role
    text: str
    provenance: Provenance
    line: int = 0  # line in the catalog file it came from (0 when built in code)

    @property
    def counts_as_main(self) -> bool:
        return self.role.counts_as_main

    @property
    def source(self) -> str:
        return self.provenance.source

    @property
    def confidence(self) -> Confidence:
        return self.provenance.confidence

    def as_dict(self) -> dict[str, object]:
        return {
            "code": self.code,
            "official_code": self.official_code,
            "indicator": indicator_label(self.indicator),
            "level": self.level,
            "role": self.role.value,
            "counts_as_main": self.counts_as_main,
            "text": self.text,
            **self.provenance.as_dict(),
        }


@dataclass(frozen=True, slots=True)
class Criterion:
    """What a level of an indicator asks (Kriteria/Kondisi of the module), with its source."""

    indicator: int
    level: int
    text: str
    provenance: Provenance

    def as_dict(self) -> dict[str, object]:
        return {
            "indicator": indicator_label(self.indicator),
            "level": self.level,
            "criterion": self.text,
            **self.provenance.as_dict(),
        }


@dataclass(frozen=True)
class Catalog:
    """All items and criteria of one framework, in catalog order (indicator, level, file order)."""

    items: tuple[Item, ...]
    criteria: tuple[Criterion, ...]
    items_path: Path | None = None
    criteria_path: Path | None = None
    generated: tuple[str, ...] = ()  # codes given on load to rows whose code cell was empty
    _by_code: dict[str, Item] = field(default_factory=dict, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        index = self._by_code
        for item in self.items:
            index[item.code.casefold()] = item
            if item.official_code:
                index[item.official_code.casefold()] = item

    def find(self, code: str) -> Item | None:
        """The item with this tool code or official code (case-insensitive), else None."""
        return self._by_code.get(code.strip().casefold())

    def item(self, code: str) -> Item:
        found = self.find(code)
        if found is None:
            raise KeyError(f"no item with code {code!r}")
        return found

    def items_of(self, indicator: int, level: int | None = None) -> tuple[Item, ...]:
        return tuple(i for i in self.items if i.indicator == indicator and (level is None or i.level == level))

    def main_items(self, indicator: int, level: int) -> tuple[Item, ...]:
        return tuple(i for i in self.items_of(indicator, level) if i.counts_as_main)

    def criterion(self, indicator: int, level: int) -> Criterion | None:
        return next((c for c in self.criteria if c.indicator == indicator and c.level == level), None)

    def indicators(self) -> tuple[int, ...]:
        return tuple(sorted({i.indicator for i in self.items}))

    def __iter__(self) -> Iterator[Item]:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)


def parse_catalog(
    items_path: Path, criteria_path: Path | None, *, indicators: Collection[int], problems: list[str]
) -> Catalog:
    """Read and validate a catalog; problems are appended (file, line, field), never raised one by one.

    `indicators` are the framework's indicator numbers. `criteria_path=None` reads no criteria; a path
    that does not exist is a problem, like a missing items file.
    """
    known = frozenset(indicators)
    items, generated = _read_items(items_path, known, problems)
    criteria = _read_criteria(criteria_path, known, problems) if criteria_path is not None else ()
    order = {id(i): n for n, i in enumerate(items)}
    items.sort(key=lambda i: (i.indicator, i.level, order[id(i)]))
    criteria = sorted(criteria, key=lambda c: (c.indicator, c.level))
    return Catalog(tuple(items), tuple(criteria), items_path, criteria_path, tuple(generated))


def _rows(path: Path, required: tuple[str, ...], problems: list[str]) -> list[tuple[int, dict[str, str]]]:
    if not path.is_file():
        problems.append(f"{path.name}: berkas tidak ditemukan ({path})")
        return []
    try:
        header, rows = read_rows(path)
    except InputError as exc:
        problems.extend(f"{path.name}: {p}" for p in exc.problems)
        return []
    missing = [c for c in required if c not in header]
    if missing:
        problems.append(f"{path.name} baris 1: kolom wajib tidak ada: {', '.join(missing)} (ada: {', '.join(header)})")
        return []
    for line, row in rows:
        if "__extra__" in row:
            problems.append(f"{path.name} baris {line}: sel berlebih di luar header: {row['__extra__']!r}")
    return rows


def _indicator_and_level(
    name: str, line: int, row: dict[str, str], known: frozenset[int], problems: list[str]
) -> tuple[int, int] | None:
    where = f"{name} baris {line}"
    ok = True
    raw_ind = row.get("indicator", "")
    number = parse_indicator_label(raw_ind)
    if number is None:
        problems.append(f"{where}, kolom 'indicator': {raw_ind!r} bukan indikator (tulis I1..I{max(known, default=0)})")
        ok = False
    elif number not in known:
        problems.append(
            f"{where}, kolom 'indicator': {indicator_label(number)} tidak ada dalam kerangka ini "
            f"(I{min(known, default=0)}..I{max(known, default=0)})"
        )
        ok = False
    raw_level = row.get("level", "").strip()
    level = int(raw_level) if raw_level.isdigit() else None
    if level not in ITEM_LEVELS:
        problems.append(f"{where}, kolom 'level': {raw_level!r} di luar 1..5")
        ok = False
    return (number, level) if ok and number is not None and level is not None else None


def _provenance(name: str, line: int, row: dict[str, str], problems: list[str]) -> Provenance:
    where = f"{name} baris {line}"
    source = row.get("source", "").strip()
    if not source:
        problems.append(f"{where}, kolom 'source': kosong; setiap baris menyebut sumbernya")
    confidence = parse_confidence(row.get("confidence", ""))
    if not isinstance(confidence, Confidence):
        problems.append(f"{where}, kolom 'confidence': {confidence}")
        confidence = Confidence.LOW
    return Provenance(source, confidence)


def _read_items(path: Path, known: frozenset[int], problems: list[str]) -> tuple[list[Item], list[str]]:
    name = path.name
    rows = _rows(path, _REQUIRED_ITEM_COLUMNS, problems)
    # First pass: the codes written in the file, so generated ones never take a number already used.
    taken: dict[str, int] = {}  # casefolded code or official code -> line
    next_number: dict[tuple[int, int], int] = {}
    for _line, row in rows:
        for column in ("code", "official_code"):
            match = _GENERATED.match(row.get(column, "").strip())
            if match:
                key = (int(match.group(1)), int(match.group(2)))
                next_number[key] = max(next_number.get(key, 1), int(match.group(3)) + 1)

    items: list[Item] = []
    generated: list[str] = []
    for line, row in rows:
        where = f"{name} baris {line}"
        position = _indicator_and_level(name, line, row, known, problems)
        code = row.get("code", "").strip()
        official = row.get("official_code", "").strip()
        for column, value in (("code", code), ("official_code", official)):
            if not value:
                continue
            if not _CODE.match(value):
                problems.append(
                    f"{where}, kolom '{column}': {value!r} tidak sah (huruf, angka, '-', '_', '.'; maks. 64)"
                )
            elif value.casefold() in taken:
                problems.append(
                    f"{where}, kolom '{column}': kode {value!r} sudah dipakai di baris {taken[value.casefold()]}"
                )
            else:
                taken[value.casefold()] = line
        raw_role = row.get("role", "").strip().lower() or Role.UNKNOWN.value
        try:
            role = Role(raw_role)
        except ValueError:
            problems.append(f"{where}, kolom 'role': {raw_role!r} bukan peran; pilih utama, pendukung atau unknown")
            role = Role.UNKNOWN
        text = row.get("text", "").strip()
        if not text:
            problems.append(f"{where}, kolom 'text': kosong; tulis bukti yang diminta")
        provenance = _provenance(name, line, row, problems)
        if position is None:
            continue
        indicator, level = position
        if not code:
            number = next_number.get(position, 1)
            code = generated_code(indicator, level, number)
            next_number[position] = number + 1
            taken[code.casefold()] = line
            generated.append(code)
        items.append(Item(indicator, level, code, official, role, text, provenance, line))
    return items, generated


def _read_criteria(path: Path, known: frozenset[int], problems: list[str]) -> list[Criterion]:
    name = path.name
    out: list[Criterion] = []
    seen: dict[tuple[int, int], int] = {}
    for line, row in _rows(path, CRITERIA_COLUMNS, problems):
        where = f"{name} baris {line}"
        position = _indicator_and_level(name, line, row, known, problems)
        text = row.get("criterion", "").strip()
        if not text:
            problems.append(f"{where}, kolom 'criterion': kosong")
        provenance = _provenance(name, line, row, problems)
        if position is None:
            continue
        if position in seen:
            problems.append(
                f"{where}: kriteria {indicator_label(position[0])} tingkat {position[1]} "
                f"sudah ada di baris {seen[position]}"
            )
            continue
        seen[position] = line
        out.append(Criterion(position[0], position[1], text, provenance))
    return out
