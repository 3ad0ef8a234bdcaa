"""Numbers as people in Indonesia read them: a comma before the decimals ("4,20"), never a float.

JSON and CSV keep machine formats ("4.20"); everything a person reads goes through here. Exact
values (fractions) are written out exactly when they terminate within `EXACT_PLACES` decimals, and
otherwise cut (not rounded) with an ellipsis, so "4,1999…" can never read as the 4,20 it is below.
"""

from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

EXACT_PLACES = 12
CUT_PLACES = 4


def decimal_text(value: Decimal | Fraction | int, places: int = 2) -> str:
    """`value` rounded half-up to `places` decimals, with a decimal comma: 4.195 → "4,20"."""
    if isinstance(value, Fraction):
        scaled = math.floor(value * 10**places + Fraction(1, 2))
        text = f"{Decimal(scaled).scaleb(-places):.{places}f}"
    else:
        text = f"{Decimal(value).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP):.{places}f}"
    return text.replace(".", ",")


def signed_text(value: Decimal | Fraction | int, places: int = 2) -> str:
    """A change, always with its sign: "+0,47", "-0,12", "±0,00"."""
    text = decimal_text(value, places)
    if text.lstrip("-").replace(",", "").strip("0") == "":
        return "±" + text.lstrip("-")
    return text if text.startswith("-") else "+" + text


def exact_text(value: Fraction | Decimal | int, *, min_places: int = 2) -> str:
    """The exact value: "4,1965", "4,195", "4,00"; a non-terminating one is cut: "1,6666…"."""
    value = Fraction(value)
    for places in range(min_places, EXACT_PLACES + 1):
        scaled = value * 10**places
        if scaled.denominator == 1:
            return f"{Decimal(int(scaled)).scaleb(-places):.{places}f}".replace(".", ",")
    cut = math.floor(value * 10**CUT_PLACES) if value >= 0 else math.ceil(value * 10**CUT_PLACES)
    return f"{Decimal(cut).scaleb(-CUT_PLACES):.{CUT_PLACES}f}".replace(".", ",") + "…"


def machine_exact(value: Fraction, places: int = 10) -> str:
    """For JSON: the exact value as a decimal string when it terminates, else rounded half-up to `places`
    (as the ministry's records write "4.2125000000"); `index_exact` keeps the fraction itself."""
    for p in range(0, places + 1):
        if (value * 10**p).denominator == 1:
            return f"{Decimal(int(value * 10**p)).scaleb(-p):.{max(p, 2)}f}"
    return f"{Decimal(math.floor(value * 10**places + Fraction(1, 2))).scaleb(-places):.{places}f}"


def amount_text(value: Decimal | int) -> str:
    """A cost or count as typed, without padding: 2 → "2", 2.50 → "2,5"."""
    text = format(Decimal(value).normalize(), "f")
    return text.replace(".", ",")
