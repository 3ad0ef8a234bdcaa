"""Numbers and times as a person reads them, through Babel's locale data for the process's language.

- numbers: "3,65", "1.234.567", "25,5%" (rounded half-up, as the ministry rounds; never a float);
- times: "Senin, 2 Juni 2025 pukul 08.00 WIB", always in the zone given (the cycle's own, `Cycle.timezone`),
  with the zone's Indonesian abbreviation: WIB (Asia/Jakarta, Pontianak), WITA (Makassar), WIT (Jayapura);
- `install(env)` gives a Jinja2 environment these as filters and the catalog's `_`/`ngettext`.

JSON and CSV keep machine formats (ISO 8601 with offset, "3.65"); nothing here is for them. Babel is
imported on the first call, not with this module, so commands that print no time or number pay nothing.
"""

from __future__ import annotations

from datetime import date, datetime, tzinfo
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from spbe.i18n import language

ZONE_ABBREVIATIONS = {
    "Asia/Jakarta": "WIB",
    "Asia/Pontianak": "WIB",
    "Asia/Makassar": "WITA",
    "Asia/Ujung_Pandang": "WITA",
    "Asia/Jayapura": "WIT",
}
OFFSET_ABBREVIATIONS = {7: "WIB", 8: "WITA", 9: "WIT"}  # an instant typed with a bare offset (+07:00)

# CLDR patterns per language: the long date, the time, and the word between them.
DATE_PATTERNS = {"id": "EEEE, d MMMM y", "en": "EEEE, d MMMM y"}
SHORT_DATE_PATTERNS = {"id": "d MMMM y", "en": "d MMMM y"}
TIME_PATTERNS = {"id": "HH.mm", "en": "HH:mm"}
AT_WORDS = {"id": "pukul", "en": "at"}

Zone = str | tzinfo


def _zone(tz: Zone) -> tzinfo:
    return ZoneInfo(tz) if isinstance(tz, str) else tz


def zone_abbreviation(local: datetime) -> str:
    """WIB, WITA or WIT for Indonesia's zones; elsewhere the locale's short name (e.g. "UTC")."""
    key = getattr(local.tzinfo, "key", None)
    if key in ZONE_ABBREVIATIONS:
        return ZONE_ABBREVIATIONS[key]
    offset = local.utcoffset()
    if key is None and offset is not None and offset.total_seconds() % 3600 == 0:
        hours = int(offset.total_seconds() // 3600)
        if hours in OFFSET_ABBREVIATIONS:
            return OFFSET_ABBREVIATIONS[hours]
        return "UTC" if hours == 0 else f"UTC{hours:+d}"
    from babel.dates import format_datetime

    return format_datetime(local, "z", locale=language())


def datetime_text(instant: datetime, tz: Zone) -> str:
    """'Senin, 2 Juni 2025 pukul 08.00 WIB': `instant` read on the clock of `tz`."""
    return _datetime_text(instant, tz, language())


@lru_cache(maxsize=4096)
def _datetime_text(instant: datetime, tz: Zone, lang: str) -> str:
    """Cached: a sweep writes the same few deadlines into thousands of messages (Babel takes ~0.1 ms each)."""
    from babel.dates import format_datetime

    local = instant.astimezone(_zone(tz))
    day = format_datetime(local, DATE_PATTERNS[lang], locale=lang)
    clock = format_datetime(local, TIME_PATTERNS[lang], locale=lang)
    return f"{day} {AT_WORDS[lang]} {clock} {zone_abbreviation(local)}"


def time_text(instant: datetime, tz: Zone) -> str:
    """'08.00 WIB': the time of day alone, for a line that already names the day."""
    from babel.dates import format_datetime

    lang = language()
    local = instant.astimezone(_zone(tz))
    return f"{format_datetime(local, TIME_PATTERNS[lang], locale=lang)} {zone_abbreviation(local)}"


def date_text(day: date | datetime, tz: Zone | None = None, *, weekday: bool = True) -> str:
    """'Senin, 2 Juni 2025' ('2 Juni 2025' without the weekday); an instant is first read in `tz`."""
    from babel.dates import format_date

    lang = language()
    if isinstance(day, datetime):
        if tz is None:
            raise ValueError("an instant needs the zone it is read in")
        day = day.astimezone(_zone(tz)).date()
    return format_date(day, (DATE_PATTERNS if weekday else SHORT_DATE_PATTERNS)[lang], locale=lang)


def _decimal(value: Decimal | Fraction | int | float) -> Decimal:
    if isinstance(value, Fraction):
        return Decimal(value.numerator) / Decimal(value.denominator)
    if isinstance(value, float):
        return Decimal(repr(value))  # the float as written, not its binary expansion
    return Decimal(value)


def _pattern(places: int) -> str:
    return "#,##0" + ("." + "0" * places if places else "")


def number_text(value: Decimal | Fraction | int | float, places: int = 2) -> str:
    """'3,65' (places=2), '1.234' (places=0): rounded half-up, the locale's separators."""
    from babel.numbers import format_decimal

    rounded = _decimal(value).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    return format_decimal(rounded, format=_pattern(places), locale=language())


def percent_text(ratio: Decimal | Fraction | int | float, places: int = 1) -> str:
    """'25,5%' for 0.255: a share of one, the percentage rounded half-up to `places` decimals."""
    from babel.numbers import format_percent

    percentage = (_decimal(ratio) * 100).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    return format_percent(percentage / 100, format=_pattern(places) + "%", locale=language())


def framework_name(framework: Any) -> str:
    """A framework as people know it: its regulation's name ("PermenPANRB No. 59 Tahun 2020"), not its id;
    an unverified one says so."""
    from spbe.i18n import _

    name = getattr(framework, "name", None) or getattr(framework, "id", str(framework))
    return name if getattr(framework, "verified", True) else _("{name} (UNVERIFIED)").format(name=name)


def install(env: Any) -> Any:
    """Give a Jinja2 environment the filters and the catalog (`{% trans %}`, `_()`), so templates format
    exactly as the code does: `waktu`/`tanggal_jam` ("Senin, 2 Juni 2025 pukul 08.00 WIB"), `tanggal`
    ("Senin, 2 Juni 2025"), `jam` ("08.00 WIB"), each with the zone as argument (`cycle.timezone`);
    `angka` ("3,65"), `persen` ("25,5%"), `nama_kerangka` (the framework's name)."""
    from spbe.i18n import _, ngettext

    env.add_extension("jinja2.ext.i18n")
    env.install_gettext_callables(gettext=_, ngettext=ngettext, newstyle=True)
    env.filters["waktu"] = env.filters["tanggal_jam"] = datetime_text
    env.filters["tanggal"] = date_text
    env.filters["jam"] = time_text
    env.filters["angka"] = number_text
    env.filters["persen"] = percent_text
    env.filters["nama_kerangka"] = framework_name
    return env
