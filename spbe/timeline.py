"""The timeline as people read it: each phase's opening and deadline, working days and days off inside."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from spbe.calendar import WorkCalendar


@dataclass(frozen=True)
class TimelineRow:
    name: str
    title: str
    opens: datetime
    deadline: datetime
    working_days: int
    days_off: list[tuple[date, str]]
    requested_deadline: datetime | None = None
    state: str | None = None

    def as_dict(self) -> dict:
        out = {
            "name": self.name,
            "title": self.title,
            "opens": self.opens.isoformat(),
            "deadline": self.deadline.isoformat(),
            "working_days": self.working_days,
            "days_off": [{"date": d.isoformat(), "name": n} for d, n in self.days_off],
        }
        if self.requested_deadline and self.requested_deadline != self.deadline:
            out["requested_deadline"] = self.requested_deadline.isoformat()
        if self.state:
            out["state"] = self.state
        return out


def timeline_row(
    calendar: WorkCalendar,
    *,
    name: str,
    title: str,
    opens: datetime,
    deadline: datetime,
    requested_deadline: datetime | None = None,
    state: str | None = None,
) -> TimelineRow:
    start, end = opens.date(), deadline.date()
    return TimelineRow(
        name=name,
        title=title,
        opens=opens,
        deadline=deadline,
        working_days=len(calendar.working_days(start, end)),
        days_off=calendar.holidays_between(start, end),
        requested_deadline=requested_deadline,
        state=state,
    )
