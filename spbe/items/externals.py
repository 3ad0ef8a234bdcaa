"""Indicators valued from another agency's index, not from the city's items.

I5 (Indeks Satu Data Indonesia, Bappenas, 0–100) and I18 (its interoperability aspect), I6 (SJIG, BIG,
already 1–5) and I7 (EPSS/IPS, BPS: no published conversion, so the coordinator enters the 1–5 value).
The framework's data (`[[externals]]` in framework.toml) says how each source value maps to 1..5, with
the mapping's source and confidence: the SDI mapping 1 + SDI/25 is an inference from the module's two
worked examples (SDI 25 → 2,00; SDI 68,75 → 3,75), not a published formula.

Until a value is recorded the indicator is "menunggu nilai eksternal" and valued 1, as the ministry's
assessors do; the planner treats it as fixed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from fractions import Fraction
from typing import Any

from spbe.items.provenance import Provenance, number_text, parse_number, read_provenance

WAITING = "menunggu nilai eksternal"
RECORDED = "nilai eksternal"
LOWEST, HIGHEST = Fraction(1), Fraction(5)


class MappingKind(StrEnum):
    LINEAR = "linear"  # value = offset + source / divisor, kept within 1..5
    DIRECT = "direct"  # the source value is already the 1..5 value


@dataclass(frozen=True, slots=True)
class ExternalSpec:
    indicator: int
    source_index: str  # whose index, e.g. "Indeks Satu Data Indonesia (Bappenas)"
    input_label: str  # what the coordinator is asked to enter
    mapping: MappingKind
    input_min: Fraction
    input_max: Fraction
    offset: Fraction
    divisor: Fraction
    note: str
    provenance: Provenance

    def to_value(self, source_value: Fraction) -> Fraction:
        """The indicator value (1..5, exact) of a source value; ValueError outside the input range."""
        if not self.input_min <= source_value <= self.input_max:
            raise ValueError(
                f"{self.input_label}: {_show(source_value)} di luar {_show(self.input_min)}–{_show(self.input_max)}"
            )
        if self.mapping is MappingKind.DIRECT:
            return source_value
        return min(HIGHEST, max(LOWEST, self.offset + source_value / self.divisor))

    def describe(self) -> str:
        if self.mapping is MappingKind.DIRECT:
            return f"nilai {_show(self.input_min)}–{_show(self.input_max)} dipakai langsung"
        return f"{_show(self.offset)} + nilai/{_show(self.divisor)}, dibatasi 1–5"

    def as_dict(self) -> dict[str, Any]:
        return {
            "indicator": f"I{self.indicator}",
            "source_index": self.source_index,
            "input_label": self.input_label,
            "mapping": self.mapping.value,
            "formula": self.describe(),
            "input_min": _show(self.input_min),
            "input_max": _show(self.input_max),
            "note": self.note,
            **self.provenance.as_dict(),
        }


@dataclass(frozen=True, slots=True)
class ExternalReading:
    """A source value recorded by a coordinator (the agency's published index), with its date."""

    indicator: int
    source_value: Fraction
    recorded_on: date | None = None


def parse_externals(
    raw: object, *, indicators: Sequence[int], where: str, problems: list[str]
) -> tuple[ExternalSpec, ...]:
    """Read `[[externals]]`; every problem is appended with the table's position."""
    if raw is None:
        return ()
    if not isinstance(raw, list):
        problems.append(f"{where}: `externals` harus daftar tabel [[externals]]")
        return ()
    specs: list[ExternalSpec] = []
    seen: set[int] = set()
    for n, table in enumerate(raw, start=1):
        at = f"{where} [[externals]] ke-{n}"
        if not isinstance(table, Mapping):
            problems.append(f"{at}: harus tabel")
            continue
        spec = _parse_one(table, at, indicators, problems)
        if spec is None:
            continue
        if spec.indicator in seen:
            problems.append(f"{at}: I{spec.indicator} sudah didefinisikan sebagai indikator eksternal")
            continue
        seen.add(spec.indicator)
        specs.append(spec)
    return tuple(sorted(specs, key=lambda s: s.indicator))


def _parse_one(
    table: Mapping[str, Any], at: str, indicators: Sequence[int], problems: list[str]
) -> ExternalSpec | None:
    before = len(problems)
    number = table.get("indicator")
    if isinstance(number, bool) or not isinstance(number, int) or number not in indicators:
        problems.append(f"{at}: `indicator` {number!r} bukan nomor indikator kerangka ini")
    try:
        mapping = MappingKind(str(table.get("mapping", "")))
    except ValueError:
        problems.append(f"{at}: `mapping` {table.get('mapping')!r} tidak dikenal (linear atau direct)")
        mapping = MappingKind.DIRECT
    numbers: dict[str, Fraction] = {}
    defaults = {"offset": 0, "divisor": 1}
    for key in ("input_min", "input_max", "offset", "divisor"):
        value = parse_number(table.get(key, defaults.get(key)))
        if value is None:
            problems.append(f"{at}: `{key}` harus angka, ada {table.get(key)!r}")
            value = Fraction(1)
        numbers[key] = value
    if numbers["input_min"] >= numbers["input_max"]:
        problems.append(f"{at}: `input_min` harus lebih kecil dari `input_max`")
    if mapping is MappingKind.LINEAR and numbers["divisor"] <= 0:
        problems.append(f"{at}: `divisor` harus positif")
    if mapping is MappingKind.DIRECT and not (numbers["input_min"] >= LOWEST and numbers["input_max"] <= HIGHEST):
        problems.append(f"{at}: mapping direct memakai nilai 1–5 apa adanya; `input_min`/`input_max` harus di 1..5")
    texts = {k: str(table.get(k, "")).strip() for k in ("source_index", "input_label", "note")}
    for key in ("source_index", "input_label"):
        if not texts[key]:
            problems.append(f"{at}: `{key}` wajib diisi")
    provenance = read_provenance(table, at, problems)
    if len(problems) > before:
        return None
    return ExternalSpec(
        indicator=number,
        source_index=texts["source_index"],
        input_label=texts["input_label"],
        mapping=mapping,
        input_min=numbers["input_min"],
        input_max=numbers["input_max"],
        offset=numbers["offset"],
        divisor=numbers["divisor"],
        note=texts["note"],
        provenance=provenance,
    )


def _show(value: Fraction) -> str:
    return number_text(value, comma=True)
