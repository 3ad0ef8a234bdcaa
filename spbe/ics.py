"""The cycle's phases and deadlines as an iCalendar file, for OPD admins to import into their calendars.

Per phase: one all-day event spanning the opening day to the deadline day (alarm on the last working day
before it opens, never a Sunday or a day off), one short event ending
at the deadline with alarms at H-7, H-3 and H-1 (working days, the reminders' offsets, at the reminders'
first sending hour) and one hour before, and, where the phase has a meeting (the socialization), the
meeting itself. Every event is TRANSPARENT: a phase weeks long must not mark anyone busy.

Times are written in UTC (`...Z`), not as TZID=Asia/Jakarta with a VTIMEZONE: UTC is the one form every
client reads the same way (Outlook mishandles IANA TZIDs, some clients ignore an embedded VTIMEZONE), and
WIB has no daylight saving, so nothing is lost; `X-WR-TIMEZONE` tells Google and Apple to show the
calendar in WIB. Alarms are relative triggers (absolute ones are ignored by several clients).

UIDs are stable per cycle, phase and kind of event, and SEQUENCE is the phase's deadline version minus
one: when a deadline moves, re-importing updates the event instead of leaving the old date beside it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from spbe import clock
from spbe.calendar import WorkCalendar
from spbe.errors import ConfigError, SpbeError
from spbe.messages import tanggal_jam
from spbe.timeparse import parse_local

DEFAULT_OFFSETS = (-7, -3, -1)
MEETING_LENGTH = timedelta(hours=2)
DEADLINE_BLOCK = timedelta(minutes=30)
UID_DOMAIN = "spbe-engine"


@dataclass(frozen=True)
class PhaseEntry:
    name: str
    title: str
    opens: datetime
    deadline: datetime
    deadline_version: int = 1
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class CalendarSource:
    code: str
    city: str
    year: int
    timezone: str
    phases: tuple[PhaseEntry, ...]
    workdays: WorkCalendar
    offsets: tuple[int, ...] = DEFAULT_OFFSETS  # working days before a deadline (negative)
    alarm_time: time = time(8, 0)  # local time of day the H-n alarms ring
    source: str = ""


@dataclass(frozen=True)
class CalendarExport:
    path: Path
    events: int
    phases: int
    deadlines: int
    source: str


def build_ics(src: CalendarSource, *, now: datetime | None = None) -> bytes:
    return _calendar(src, now).to_ical()


def _calendar(src: CalendarSource, now: datetime | None):
    from icalendar import Calendar

    stamp = (now or clock.now()).astimezone(UTC)
    cal = Calendar()
    cal.add("prodid", f"-//spbe-engine//SPBE {src.city} {src.year}//ID")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", f"SPBE {src.city} {src.year}")
    cal.add("x-wr-caldesc", f"Tahapan evaluasi SPBE {src.city} {src.year}")
    cal.add("x-wr-timezone", src.timezone)
    for phase in src.phases:
        for event in _phase_events(src, phase, stamp):
            cal.add_component(event)
    return cal


def _phase_events(src: CalendarSource, p: PhaseEntry, stamp: datetime) -> list:
    from icalendar import Event

    tz = ZoneInfo(src.timezone)
    sequence = max(0, p.deadline_version - 1)
    uid = f"{src.code}.{p.name}"
    when = f"dibuka {tanggal_jam(p.opens, tz)}, batas waktu {tanggal_jam(p.deadline, tz)}"

    span = Event()
    _common(span, f"{uid}.tahap", stamp, sequence)
    first, last = p.opens.astimezone(tz).date(), p.deadline.astimezone(tz).date()
    span.add("summary", f"SPBE {src.year}: {p.title}")
    span.add("dtstart", first)  # all-day dates: a calendar shows one bar, not a timed event on every day
    span.add("dtend", last + timedelta(days=1))  # DTEND of an all-day event is exclusive
    span.add("description", f"Tahap {p.title} evaluasi SPBE {src.city} {src.year}: {when}.")
    span.add("transp", "TRANSPARENT")  # weeks long: must not mark anyone busy
    span.add_component(_opening_alarm(src, p, first, tz))

    deadline = Event()
    _common(deadline, f"{uid}.batas-waktu", stamp, sequence)
    start = p.deadline - DEADLINE_BLOCK
    deadline.add("summary", f"Batas waktu: {p.title} (SPBE {src.year})")
    deadline.add("dtstart", start.astimezone(UTC))
    deadline.add("dtend", p.deadline.astimezone(UTC))
    deadline.add("description", f"Batas waktu tahap {p.title}: {tanggal_jam(p.deadline, tz)}.")
    deadline.add("transp", "TRANSPARENT")
    for offset, label in _alarm_points(src, p, tz):
        deadline.add_component(_alarm(offset + (p.deadline - start), f"{label}: batas waktu {p.title}"))
    events = [span, deadline]

    meeting = _meeting(src, p, tz, stamp, sequence)
    if meeting is not None:
        events.append(meeting)
    return events


def _opening_alarm(src: CalendarSource, p: PhaseEntry, first: date, tz: ZoneInfo):
    """At the alarm hour of the last working day before the phase opens: never on a Sunday or a day off
    (a phase opening on Monday is announced on Friday). Relative to the all-day start, local midnight."""
    day = src.workdays.add_working_days(first, -1)
    ring = datetime.combine(day, src.alarm_time)
    text = f"Besok tahap {p.title} dibuka" if day == first - timedelta(days=1) else (
        f"Tahap {p.title} dibuka {tanggal_jam(p.opens, tz)}"
    )
    return _alarm(ring - datetime.combine(first, time(0, 0)), text)


def _alarm_points(src: CalendarSource, p: PhaseEntry, tz: ZoneInfo) -> list[tuple[timedelta, str]]:
    """(offset from the deadline, label): H-n on working days at the alarm hour, then one hour before."""
    local = p.deadline.astimezone(tz)
    points: list[tuple[timedelta, str]] = []
    for n in sorted({o for o in src.offsets if o < 0}):
        day = src.workdays.add_working_days(local.date(), n)
        ring = datetime.combine(day, src.alarm_time, tzinfo=tz)
        if p.opens <= ring < p.deadline:  # an alarm before the phase opens would announce nothing useful
            points.append((ring - p.deadline, f"H{n}"))
    points.append((-timedelta(hours=1), "1 jam lagi"))
    return points


def _meeting(src: CalendarSource, p: PhaseEntry, tz: ZoneInfo, stamp: datetime, sequence: int):
    from icalendar import Event

    spec = p.extra.get("event")
    if not isinstance(spec, dict) or not spec.get("when"):
        return None
    try:
        start = parse_local(spec["when"], tz=tz, what="event when")
    except ConfigError:
        return None  # refused by name when the cycle file is loaded
    ev = Event()
    _common(ev, f"{src.code}.{p.name}.acara", stamp, sequence)
    ev.add("summary", f"{p.title} SPBE {src.city} {src.year}")
    ev.add("dtstart", start.astimezone(UTC))
    ev.add("dtend", (start + MEETING_LENGTH).astimezone(UTC))
    if spec.get("place"):
        ev.add("location", str(spec["place"]))
    ev.add("description", str(spec.get("note") or f"{p.title} evaluasi SPBE {src.year}."))
    ev.add_component(_alarm(-timedelta(days=1), f"Besok: {p.title}"))
    ev.add_component(_alarm(-timedelta(hours=1), f"1 jam lagi: {p.title}"))
    return ev


def _common(ev, uid: str, stamp: datetime, sequence: int) -> None:
    ev.add("uid", f"{uid}@{UID_DOMAIN}")
    ev.add("dtstamp", stamp)
    ev.add("sequence", sequence)
    ev.add("categories", ["SPBE"])


def _alarm(trigger: timedelta, text: str):
    from icalendar import Alarm

    alarm = Alarm()
    alarm.add("action", "DISPLAY")
    alarm.add("trigger", trigger)
    alarm.add("description", text)
    return alarm


def source_from_config(config_path: Path) -> CalendarSource:
    from spbe.cycle_config import load_cycle_config

    config = load_cycle_config(config_path)
    phases = tuple(PhaseEntry(p.name, p.title, p.opens, p.deadline, 1, dict(p.extra)) for p in config.phases)
    return _source(config, config.code, config.city, config.year, config.timezone, phases, str(config_path))


def source_from_store() -> CalendarSource | None:
    """The stored cycle (moved deadlines, their versions), or None when there is no store or cycle yet."""
    from sqlalchemy.exc import SQLAlchemyError
    from sqlmodel import Session, select

    from spbe.services.cycles import current_cycle, cycle_config_for
    from spbe.settings import get_settings
    from spbe.store import models as m
    from spbe.store.db import get_engine

    settings = get_settings()
    if settings.is_sqlite and not Path(settings.database_url.split("///", 1)[-1]).exists():
        return None
    with Session(get_engine()) as session:
        try:
            cycle = current_cycle(session)
            rows = session.exec(select(m.Phase).where(m.Phase.cycle_id == cycle.id).order_by(m.Phase.seq)).all()
        except (SpbeError, SQLAlchemyError):
            return None
        phases = tuple(
            PhaseEntry(p.name, p.title, p.opens_at, p.deadline_at, p.deadline_version, dict(p.extra or {}))
            for p in rows
        )
        config = cycle_config_for(cycle.config_path)
        label = f"store {settings.database_label}, cycle {cycle.code}"
        return _source(config, cycle.code, cycle.city, cycle.year, cycle.timezone, phases, label)


def _source(config, code: str, city: str, year: int, timezone: str, phases, label: str) -> CalendarSource:
    reminders = config.section("reminders")
    offsets = tuple(int(o) for o in reminders.get("offsets", DEFAULT_OFFSETS) if int(o) < 0) or DEFAULT_OFFSETS
    try:
        alarm_time = time.fromisoformat(str(reminders.get("send_from", "08:00")))
    except ValueError:
        alarm_time = time(8, 0)
    return CalendarSource(code, city, year, timezone, phases, config.calendar, offsets, alarm_time, label)


def export_calendar(out: Path, config_path: Path | None = None) -> CalendarExport:
    """Write the .ics for the stored cycle (else the cycle file); the file appears whole or not at all."""
    src = source_from_config(config_path) if config_path is not None else source_from_store()
    if src is None:
        from spbe.settings import get_settings

        path = get_settings().cycle_file
        src = source_from_config(path)
        src = replace(src, source=f"{path} (store not initialised)")
    cal = _calendar(src, None)
    data = cal.to_ical()
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = out.with_name(out.name + ".tmp")
        tmp.write_bytes(data)
        os.replace(tmp, out)
    except OSError as exc:
        raise SpbeError(f"cannot write {out}: {exc.strerror}") from None
    n = len(src.phases)
    return CalendarExport(out, len(cal.walk("VEVENT")), n, n, src.source)
