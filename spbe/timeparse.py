"""Dates and times as people type them, in config and in `SPBE_NOW`.

ISO 8601 (`2025-06-02 08:00`, `2025-09-30T16:00:00+07:00`) is read exactly. Anything else goes to
dateutil's parser with Indonesian month and day names, day-first numeric dates (`02/06/2025` is 2 June),
the dotted clock (`08.00`) and the zones WIB, WITA and WIT: `2 Juni 2025 08.00`, `Senin, 2 Juni 2025
pukul 08.00 WIB`, `12 Agu 2025 9:00`. dateutil guesses where a person should be asked, so its answer is
kept only when nothing was guessed: the day, month and year (in four digits) must all be written, a
time wherever one is needed, a numeric date must read as day/month/year, and a weekday must match
its date. Anything else is refused with a message that shows a form that works.

Stdlib only at import: dateutil loads on the first non-ISO text, so commands that never see one
(`spbe score`) do not pay for it.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, tzinfo
from functools import cache
from typing import Any, ClassVar

from spbe.errors import ConfigError

EXAMPLES = "e.g. 2025-06-02 08:00 or 2 Juni 2025 08.00"
ZONES = {"WIB": 7 * 3600, "WITA": 8 * 3600, "WIT": 9 * 3600}
HARI = ("Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu")

_DOTTED_CLOCK = re.compile(r"(?<![\d.])(\d{1,2})\.(\d{2})(?![\d.])")  # 08.00, but not 02.06.2025
_NUMERIC_DATE = re.compile(r"\s*(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})(?!\d)")
# Two fallbacks that differ in every field a person may leave out: a field that differs between the
# two answers was not written.
_FALLBACKS = (datetime(1904, 1, 1, 0, 0), datetime(1908, 2, 2, 1, 0))


def parse_local(value: Any, *, tz: tzinfo, what: str, need_time: bool = True) -> datetime:
    """A wall-clock time in `tz` (the cycle's zone). An offset or zone in the text is refused: a
    config's times are local, and a second zone beside the cycle's is a mistake waiting to happen."""
    moment = _parse(value, what=what, need_time=need_time)
    if moment.tzinfo is not None:
        raise ConfigError(f"{what} {value!r}: write local wall-clock time without an offset or zone")
    return moment.replace(tzinfo=tz)


def parse_day(value: Any, *, what: str) -> date:
    """A calendar day: `2025-12-24`, `24 Desember 2025`, `24/12/2025`."""
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    moment = _parse(value, what=what, need_time=False)
    if moment.tzinfo is not None or moment.time() != datetime.min.time():
        raise ConfigError(f"{what} {value!r} is a moment, not a day (e.g. 2025-12-24 or 24 Desember 2025)")
    return moment.date()


def parse_instant(value: Any, *, what: str = "time", tz: tzinfo | None = None) -> datetime:
    """An instant, in UTC. It needs its offset or zone (`+07:00`, `WIB`) unless `tz` says how to read a
    bare local time."""
    moment = _parse(
        value,
        what=what,
        need_time=True,
        unreadable="is not ISO 8601 (e.g. 2025-09-30T16:00:00+07:00) nor a date and time such as "
        "30 September 2025 16.00 WIB",
    )
    if moment.tzinfo is None:
        if tz is None:
            raise ConfigError(f"{what} {value!r} has no UTC offset; add one, e.g. +07:00 or WIB")
        moment = moment.replace(tzinfo=tz)
    return moment.astimezone(UTC)


def _parse(
    value: Any, *, what: str, need_time: bool, unreadable: str = f"is not a date and time ({EXAMPLES})"
) -> datetime:
    if isinstance(value, datetime):  # a TOML datetime arrives parsed
        return value
    if isinstance(value, date):
        return _no_time(what, value) if need_time else datetime.combine(value, datetime.min.time())
    text = str(value if value is not None else "").strip()
    if not text:
        raise ConfigError(f"{what} is empty ({EXAMPLES})")
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        moment, has_time = _parse_human(text, what=what, unreadable=unreadable)
    else:
        has_time = len(text) > 10
    if need_time and not has_time:
        _no_time(what, value)
    return moment


def _no_time(what: str, value: Any) -> datetime:
    raise ConfigError(f"{what} {value!r} has no time of day; add one ({EXAMPLES})")


def _parse_human(text: str, *, what: str, unreadable: str) -> tuple[datetime, bool]:
    from dateutil.parser import ParserError, parse

    normalised = _DOTTED_CLOCK.sub(r"\1:\2", text)
    year_first = bool(re.match(r"\s*\d{4}", normalised))
    try:
        first, second = (
            parse(
                normalised,
                parserinfo=_info(),
                default=fallback,
                dayfirst=not year_first,
                yearfirst=year_first,
                tzinfos=ZONES,
            )
            for fallback in _FALLBACKS
        )
    except (ParserError, ValueError, OverflowError) as exc:
        reason = str(exc).split(":", 1)[0]  # dateutil says "day is out of range for month: <text>"
        if "range" in reason or "must be in" in reason:
            raise ConfigError(f"{what} {text!r}: {reason}") from None
        raise ConfigError(f"{what} {text!r} {unreadable}") from None
    if first.date() != second.date() or not re.search(rf"(?<!\d){first.year}", text):
        raise ConfigError(f"{what} {text!r}: write the day, month and year (four digits) in full ({EXAMPLES})")
    numeric = _NUMERIC_DATE.match(normalised)
    if numeric and (first.day, first.month) != (int(numeric[1]), int(numeric[2])):
        raise ConfigError(f"{what} {text!r}: a numeric date reads day/month/year here ({EXAMPLES})")
    for word in re.findall(r"[^\W\d_]+", normalised):
        weekday = _info().weekday(word)
        if weekday is not None and weekday != first.weekday():
            raise ConfigError(f"{what} {text!r}: {first:%Y-%m-%d} is a {HARI[first.weekday()]}, not {word}")
    return first, first.hour == second.hour


@cache
def _info():
    from dateutil.parser import parserinfo

    class Indonesian(parserinfo):
        """Indonesian names beside dateutil's English ones; `pukul`/`jam` are words around a time."""

        JUMP: ClassVar = [*parserinfo.JUMP, "pukul", "pkl", "jam", "tanggal", "tgl"]
        MONTHS: ClassVar = [
            ("Jan", "Januari", "January"),
            ("Feb", "Februari", "February"),
            ("Mar", "Maret", "March"),
            ("Apr", "April"),
            ("Mei", "May"),
            ("Jun", "Juni", "June"),
            ("Jul", "Juli", "July"),
            ("Agu", "Agt", "Ags", "Agustus", "Aug", "August"),
            ("Sep", "Sept", "September"),
            ("Okt", "Oktober", "Oct", "October"),
            ("Nov", "Nopember", "November"),
            ("Des", "Desember", "Dec", "December"),
        ]
        WEEKDAYS: ClassVar = [
            ("Sen", "Senin", "Mon", "Monday"),
            ("Sel", "Selasa", "Tue", "Tuesday"),
            ("Rab", "Rabu", "Wed", "Wednesday"),
            ("Kam", "Kamis", "Thu", "Thursday"),
            ("Jum", "Jumat", "Fri", "Friday"),
            ("Sab", "Sabtu", "Sat", "Saturday"),
            ("Min", "Minggu", "Sun", "Sunday"),
        ]

    return Indonesian()
