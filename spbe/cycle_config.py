"""The cycle file (e.g. `config/pekalongan-2025.toml`): year, framework, target, time zone, phases.

Parsing resolves every phase time to an aware instant (local wall-clock in the cycle's zone) and
moves a deadline that falls on a day off by the configured rule, keeping what was asked for so the
tool can say that it moved.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from spbe.calendar import SHIFT_RULES, CalendarOverrides, WorkCalendar, build_calendar
from spbe.domain.phases import ALL_PHASES, PHASES, CloseMode
from spbe.errors import ConfigError
from spbe.frameworks import Framework, load_framework
from spbe.timeparse import parse_day, parse_local


@dataclass(frozen=True)
class PhaseSpec:
    name: str
    title: str
    opens: datetime
    deadline: datetime
    requested_deadline: datetime  # before any move off a day off
    close: CloseMode
    overlap: bool
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def deadline_moved(self) -> bool:
        return self.deadline != self.requested_deadline


@dataclass(frozen=True)
class CycleConfig:
    path: Path
    city: str
    year: int
    framework_id: str
    timezone: str
    target_index: Decimal
    target_predicate: str
    history: dict[int, Decimal]
    roster_dir: Path
    phases: tuple[PhaseSpec, ...]
    calendar: WorkCalendar
    deadline_rule: str
    raw: dict[str, Any] = field(repr=False, default_factory=dict)

    @property
    def code(self) -> str:
        slug = self.city.lower().replace("kota ", "").replace("kabupaten ", "kab-").replace(" ", "-")
        return f"{slug}-{self.year}"

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def framework(self) -> Framework:
        return load_framework(self.framework_id)

    def phase(self, name: str) -> PhaseSpec:
        for p in self.phases:
            if p.name == name:
                return p
        raise KeyError(name)

    def section(self, name: str) -> dict[str, Any]:
        """A raw config section for later features (reminders, channels), empty when absent."""
        return dict(self.raw.get(name, {}))


def target_note(framework: Framework, target_index: Decimal, target_predicate: str) -> str | None:
    """Say plainly when the target index and target predicate disagree under the framework."""
    from fractions import Fraction

    from spbe.scoring import predicate_of

    at_index = predicate_of(framework, Fraction(target_index))  # the framework's own reading of the index
    if at_index.casefold() == target_predicate.casefold():
        return None
    bound = framework.predicate_lower_bound(target_predicate)
    return (
        f"target index {target_index} is still '{at_index}' under {framework.id}; "
        f"'{target_predicate}' needs {bound} or more"
    )


def load_cycle_config(path: Path) -> CycleConfig:
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"cycle file not found: {path}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(str(exc), source=str(path)) from None
    problems: list[str] = []
    cycle = raw.get("cycle", {})
    for key in ("city", "year", "framework", "timezone", "target_index", "target_predicate", "roster"):
        if key not in cycle:
            problems.append(f"[cycle] {key} is missing")
    if problems:
        raise ConfigError(problems, source=path.name)

    try:
        tz = ZoneInfo(cycle["timezone"])
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(
            f"[cycle] timezone {cycle['timezone']!r} is not a known time zone", source=path.name
        ) from None
    framework = load_framework(str(cycle["framework"]))
    target_index = _decimal(cycle["target_index"], "[cycle] target_index", problems)
    try:
        framework.predicate_lower_bound(str(cycle["target_predicate"]))
    except ConfigError as exc:
        problems.append(f"[cycle] target_predicate: {exc}")
    history: dict[int, Decimal] = {}
    for year, value in raw.get("history", {}).items():
        if not str(year).isdigit():
            problems.append(f"[history] key {year!r} is not a year")
            continue
        history[int(year)] = _decimal(value, f"[history] {year}", problems)

    cal = raw.get("calendar", {})
    rule = cal.get("deadline_on_day_off", "previous")
    if rule not in SHIFT_RULES:
        problems.append(f"[calendar] deadline_on_day_off must be one of {SHIFT_RULES}, got {rule!r}")
        rule = "previous"
    overrides = CalendarOverrides(
        extra_days_off={
            _date(x.get("date"), "[calendar] extra_days_off", problems): str(x.get("name", "Libur"))
            for x in cal.get("extra_days_off", [])
        },
        working_days=frozenset(_date(x, "[calendar] working_days", problems) for x in cal.get("working_days", [])),
        not_days_off=frozenset(_date(x, "[calendar] not_days_off", problems) for x in cal.get("not_days_off", [])),
    )
    year = int(cycle["year"])
    calendar = build_calendar(
        [year - 1, year, year + 1],
        country=str(cal.get("country", "ID")),
        categories=tuple(cal.get("categories", ["PUBLIC", "GOVERNMENT"])),
        overrides=overrides,
    )

    phases = _parse_phases(raw.get("phases", {}), tz, calendar, rule, problems)
    if problems:
        raise ConfigError(problems, source=path.name)
    return CycleConfig(
        path=path,
        city=str(cycle["city"]),
        year=year,
        framework_id=framework.id,
        timezone=cycle["timezone"],
        target_index=target_index,
        target_predicate=str(cycle["target_predicate"]),
        history=history,
        roster_dir=(path.parent / str(cycle["roster"])).resolve(),
        phases=tuple(phases),
        calendar=calendar,
        deadline_rule=rule,
        raw=raw,
    )


def _parse_phases(
    section: dict, tz: ZoneInfo, calendar: WorkCalendar, rule: str, problems: list[str]
) -> list[PhaseSpec]:
    unknown = [n for n in section if n not in ALL_PHASES]
    if unknown:
        problems.append(
            f"[phases] unknown phase(s) {unknown}; phases are {', '.join(PHASES)}, then optionally the "
            f"ministry's stages {', '.join(n for n in ALL_PHASES if n not in PHASES)}"
        )
    missing = [n for n in PHASES if n not in section]
    if missing:
        problems.append(f"[phases] missing phase(s): {', '.join(missing)}")
        return []
    out: list[PhaseSpec] = []
    for name in (n for n in ALL_PHASES if n in section):  # the internal six, then the ministry's stages given
        spec = dict(section[name])
        where = f"[phases.{name}]"
        opens = _local(spec.pop("opens", None), tz, f"{where} opens", problems)
        requested = _local(spec.pop("deadline", None), tz, f"{where} deadline", problems)
        close = spec.pop("close", "approval")
        if close not in {m.value for m in CloseMode}:
            problems.append(f"{where} close must be 'auto' or 'approval', got {close!r}")
            close = "approval"
        event = spec.get("event")
        if isinstance(event, dict) and event.get("when"):  # checked here; kept as typed for the notices
            _local(event["when"], tz, f"{where}.event when", problems)
        if opens is None or requested is None:
            continue
        day = calendar.shift(requested.date(), rule)
        deadline = requested.replace(year=day.year, month=day.month, day=day.day)
        if deadline <= opens:
            problems.append(
                f"{where} deadline {deadline:%Y-%m-%d %H:%M} is not after its opening {opens:%Y-%m-%d %H:%M}"
            )
        if out and opens < out[-1].opens:
            problems.append(f"{where} opens before the previous phase {out[-1].name}")
        out.append(
            PhaseSpec(
                name=name,
                title=str(spec.pop("title", name)),
                opens=opens,
                deadline=deadline,
                requested_deadline=requested,
                close=CloseMode(close),
                overlap=bool(spec.pop("overlap", False)),
                extra=spec,
            )
        )
    problems.extend(_ministry_order_problems(out))
    return out


def _ministry_order_problems(phases: list[PhaseSpec]) -> list[str]:
    """The city's review must be over before the ministry's upload deadline: what is uploaded is what the
    internal assessors accepted. Later stages follow the upload."""
    upload = next((p for p in phases if p.name == "ministry-upload"), None)
    if upload is None:
        return []
    return [
        f"[phases.{p.name}] deadline {p.deadline:%Y-%m-%d %H:%M} is not before the ministry's upload deadline "
        f"{upload.deadline:%Y-%m-%d %H:%M} ([phases.ministry-upload]): the internal review must end first"
        for p in phases
        if p.name in PHASES and p.deadline >= upload.deadline
    ]


def _local(text: Any, tz: ZoneInfo, what: str, problems: list[str]) -> datetime | None:
    if not text:
        problems.append(f"{what} is missing")
        return None
    try:
        return parse_local(text, tz=tz, what=what)
    except ConfigError as exc:
        problems.append(str(exc))
        return None


def _date(text: Any, what: str, problems: list[str]) -> date:
    try:
        return parse_day(text, what=what)
    except ConfigError as exc:
        problems.append(str(exc))
        return date.min


def _decimal(value: Any, what: str, problems: list[str]) -> Decimal:
    try:
        result = Decimal(str(value))
    except InvalidOperation:
        problems.append(f"{what}: {value!r} is not a number")
        return Decimal(0)
    if not Decimal(1) <= result <= Decimal(5):
        problems.append(f"{what}: {result} is outside 1.00-5.00")
    return result
