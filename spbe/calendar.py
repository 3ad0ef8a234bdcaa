"""Working days in Indonesian government offices: weekends, national holidays and cuti bersama are off.

The pure part (`WorkCalendar`) knows only a set of days off; `build_calendar` fills it from the
`holidays` package (country ID, PUBLIC and GOVERNMENT categories: the latter holds cuti bersama) and
the config's override list, because the government adds and moves days by decree during the year.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta

SHIFT_RULES = ("previous", "next")


@dataclass(frozen=True)
class WorkCalendar:
    days_off: Mapping[date, str] = field(default_factory=dict)  # holidays and cuti bersama, with names
    extra_working_days: frozenset[date] = frozenset()  # e.g. a Saturday declared a working day

    def is_working_day(self, day: date) -> bool:
        if day in self.extra_working_days:
            return True
        return day.weekday() < 5 and day not in self.days_off

    def why_off(self, day: date) -> str | None:
        if self.is_working_day(day):
            return None
        if day in self.days_off:
            return self.days_off[day]
        return "Sabtu" if day.weekday() == 5 else "Minggu"

    def shift(self, day: date, rule: str) -> date:
        """Move a day off to a working day: `previous` (earlier, the safe default) or `next`."""
        if rule not in SHIFT_RULES:
            raise ValueError(f"unknown shift rule {rule!r}; use one of {SHIFT_RULES}")
        step = timedelta(days=-1 if rule == "previous" else 1)
        while not self.is_working_day(day):
            day += step
        return day

    def working_days(self, start: date, end: date) -> list[date]:
        """Working days from start to end, both included."""
        out = []
        day = start
        while day <= end:
            if self.is_working_day(day):
                out.append(day)
            day += timedelta(days=1)
        return out

    def holidays_between(self, start: date, end: date) -> list[tuple[date, str]]:
        """Named days off (holidays, cuti bersama) from start to end; weekends are not listed."""
        return sorted(
            (d, n) for d, n in self.days_off.items() if start <= d <= end and d not in self.extra_working_days
        )

    def add_working_days(self, day: date, n: int) -> date:
        """The working day n working days after (n > 0) or before (n < 0) `day`; n = 0 gives `day` itself."""
        step = timedelta(days=1 if n > 0 else -1)
        remaining = abs(n)
        while remaining:
            day += step
            if self.is_working_day(day):
                remaining -= 1
        return day

    def count_working_days_between(self, start: date, end: date) -> int:
        """Working days after `start` up to and including `end` (negative when end is before start)."""
        if end >= start:
            return len(self.working_days(start + timedelta(days=1), end))
        return -len(self.working_days(end + timedelta(days=1), start))


@dataclass(frozen=True)
class CalendarOverrides:
    extra_days_off: Mapping[date, str] = field(default_factory=dict)
    working_days: frozenset[date] = frozenset()
    not_days_off: frozenset[date] = frozenset()  # a listed holiday the government moved away


def build_calendar(
    years: Iterable[int],
    *,
    country: str = "ID",
    categories: tuple[str, ...] = ("public", "government"),
    overrides: CalendarOverrides | None = None,
) -> WorkCalendar:
    import holidays  # import here: only calendar users pay for it

    overrides = overrides or CalendarOverrides()
    source = holidays.country_holidays(
        country, years=sorted(set(years)), categories=tuple(c.lower() for c in categories), language="id"
    )
    days_off: dict[date, str] = {d: name for d, name in source.items() if d not in overrides.not_days_off}
    days_off.update(overrides.extra_days_off)
    return WorkCalendar(days_off=days_off, extra_working_days=frozenset(overrides.working_days))
