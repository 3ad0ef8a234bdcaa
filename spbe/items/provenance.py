"""Where a piece of the Pemdi model comes from and how sure we are of it.

Nothing about the item model is published whole: the catalog is one municipality's extraction of the
ministry's module, the value rule is an inference from ten official values. Every row, rule and mapping
therefore carries its source and a confidence, and the tool shows both wherever the value is shown.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from fractions import Fraction
from typing import Any


class Confidence(StrEnum):
    """How far a fact can be trusted; the words of the shared domain notes (`shared/spbe/pemdi-2026`)."""

    HIGH = "high"
    MEDIUM_HIGH = "medium-high"
    MEDIUM = "medium"
    LOW_MEDIUM = "low-medium"
    LOW = "low"

    @property
    def label(self) -> str:
        """The word people read (Bahasa Indonesia)."""
        return _LABELS[self]


_LABELS = {
    Confidence.HIGH: "tinggi",
    Confidence.MEDIUM_HIGH: "sedang-tinggi",
    Confidence.MEDIUM: "sedang",
    Confidence.LOW_MEDIUM: "rendah-sedang",
    Confidence.LOW: "rendah",
}

CONFIDENCE_WORDS = ", ".join(c.value for c in Confidence)


def parse_confidence(raw: str) -> Confidence | str:
    """The confidence, or why the text is not one. An empty cell is refused, never guessed."""
    text = raw.strip().lower()
    if not text:
        return f"kosong; isi salah satu: {CONFIDENCE_WORDS} (tidak ditebak)"
    try:
        return Confidence(text)
    except ValueError:
        return f"{raw.strip()!r} bukan tingkat keyakinan; pilih: {CONFIDENCE_WORDS}"


@dataclass(frozen=True, slots=True)
class Provenance:
    source: str
    confidence: Confidence

    def as_dict(self) -> dict[str, str]:
        return {"source": self.source, "confidence": self.confidence.value}


def read_provenance(raw: Mapping[str, Any], where: str, problems: list[str]) -> Provenance:
    """`source` and `confidence` of a TOML table; problems are named by `where` (file and table)."""
    source = str(raw.get("source", "")).strip()
    if not source:
        problems.append(f"{where}: `source` wajib diisi (dari mana aturan/nilai ini)")
    confidence = parse_confidence(str(raw.get("confidence", "")))
    if not isinstance(confidence, Confidence):
        problems.append(f"{where}: `confidence` {confidence}")
        confidence = Confidence.LOW
    return Provenance(source, confidence)


_NUMBER = re.compile(r"^[+-]?(\d+([.,]\d*)?|[.,]\d+)$")


def parse_number(raw: object) -> Fraction | None:
    """An exact number from TOML or a cell: ints, decimal strings ("0,5" or "0.5"), or floats read by
    their shortest repr (0.5 stays 1/2, 0.1 becomes 1/10, not the binary float). Returns a Fraction, or
    None when the value is not a finite number."""
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int):
        return Fraction(raw)
    if isinstance(raw, float):
        if raw != raw or raw in (float("inf"), float("-inf")):
            return None
        return Fraction(repr(raw))
    text = str(raw).strip()
    if "/" in text:
        num, _, den = text.partition("/")
        if _NUMBER.match(num.strip()) and den.strip().isdigit() and int(den) != 0:
            return Fraction(num.strip().replace(",", ".")) / int(den)
        return None
    if not _NUMBER.match(text):
        return None
    return Fraction(text.replace(",", "."))


def number_text(value: Fraction, *, comma: bool = False) -> str:
    """An exact number as text: a terminating decimal when it has one (0.5, 68.75), else p/q (7/6).
    `comma` writes the Indonesian decimal comma for messages people read."""
    if value.denominator == 1:
        return str(value.numerator)
    den = value.denominator
    for p in (2, 5):
        while den % p == 0:
            den //= p
    if den != 1:
        return f"{value.numerator}/{value.denominator}"
    places = 0
    while (value * 10**places).denominator != 1:
        places += 1
    scaled = abs(value.numerator * 10**places // value.denominator)
    digits = str(scaled).rjust(places + 1, "0")
    text = ("-" if value < 0 else "") + digits[:-places] + "." + digits[-places:]
    return text.replace(".", ",") if comma else text
