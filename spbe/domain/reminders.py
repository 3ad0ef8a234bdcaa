"""Which reminders are due: a pure function of the cycle's snapshot, the rules, the calendar and `now`.

It works like a cursor. The state is the snapshot plus the ledger of reminders already decided; given
`now`, `due_messages` says what to queue, and `review_queue` says which queued messages are no longer
true. Nothing here reads a clock, a file or the store, so a sweep that missed a day (the server was off)
catches up on its next call, and running it twice decides nothing twice.

Rules, all counted in working days of the cycle's calendar:
- H-n / H+n: due at `send_from` on the working day n days before (after) the phase deadline. Only the
  latest due rule of a phase is sent to a recipient; an older one still queued is superseded.
- Escalation: from H+`escalate_from`, the head of an OPD that still owes items is told (once per deadline).
- Digest: each working day while a phase is active, inside the sending window, to the coordinators.
- Every message waits for the sending window (working days, `send_from`..`send_until` local time).
A reminder lists all of its recipient's pending items in that phase: one message, not one per indicator.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from spbe.calendar import WorkCalendar
from spbe.domain.gates import GateResult, Outstanding, evaluate
from spbe.domain.snapshot import CycleSnapshot

ACTIVE_STATES = ("open", "awaiting_approval")  # a phase not yet closed still owes its items
DIGEST_PHASE = "*"
DIGEST_RULE = "harian"

LedgerKey = tuple[str, str, str, int, str]  # recipient, phase, rule, deadline version, period


@dataclass(frozen=True)
class ReminderRules:
    offsets: tuple[int, ...] = (-7, -3, -1, 1)
    escalate_from: int | None = 3
    digest: bool = True
    digest_to: tuple[str, ...] = ()  # person keys; empty: every coordinator
    send_from: time = time(8, 0)
    send_until: time = time(16, 0)
    max_attempts: int = 6
    retry_base_seconds: float = 60.0
    retry_max_seconds: float = 1800.0
    lease_seconds: float = 300.0

    @classmethod
    def from_section(cls, section: Mapping[str, Any], *, source: str = "[reminders]") -> ReminderRules:
        """Validate the config section; every problem is listed, naming the field."""
        from spbe.errors import ConfigError

        problems: list[str] = []
        defaults = cls()
        known = {f for f in cls.__dataclass_fields__}
        unknown = sorted(set(section) - known)
        if unknown:
            problems.append(f"{source} unknown setting(s) {unknown}; known: {', '.join(sorted(known))}")

        def number(key: str, default: float, *, minimum: float, integer: bool = False) -> Any:
            value = section.get(key, default)
            ok = isinstance(value, int) if integer else isinstance(value, int | float)
            if isinstance(value, bool) or not ok or value < minimum:
                kind = "a whole number" if integer else "a number"
                problems.append(f"{source} {key} must be {kind} >= {minimum}, got {value!r}")
                return default
            return value

        offsets = section.get("offsets", list(defaults.offsets))
        if not isinstance(offsets, list) or not all(isinstance(o, int) and not isinstance(o, bool) for o in offsets):
            problems.append(f"{source} offsets must be a list of whole numbers (working days), got {offsets!r}")
            offsets = list(defaults.offsets)
        elif 0 in offsets:
            problems.append(f"{source} offsets: 0 is the deadline itself; use -1 (the day before) or 1 (the day after)")
        escalate = section.get("escalate_from", defaults.escalate_from)
        if escalate == 0 and not isinstance(escalate, bool):
            escalate = None  # 0 switches escalation off
        if escalate is not None and (isinstance(escalate, bool) or not isinstance(escalate, int) or escalate < 1):
            problems.append(f"{source} escalate_from must be a whole number (H+n; 0 = off), got {escalate!r}")
            escalate = defaults.escalate_from
        digest_to = section.get("digest_to", [])
        if not isinstance(digest_to, list) or not all(isinstance(k, str) for k in digest_to):
            problems.append(f"{source} digest_to must be a list of person ids, got {digest_to!r}")
            digest_to = []
        send_from = _clock_time(section.get("send_from", "08:00"), f"{source} send_from", problems)
        send_until = _clock_time(section.get("send_until", "16:00"), f"{source} send_until", problems)
        if send_from and send_until and send_until <= send_from:
            problems.append(f"{source} send_until ({send_until:%H:%M}) must be after send_from ({send_from:%H:%M})")
        rules = cls(
            offsets=tuple(sorted(set(offsets) - {0})),
            escalate_from=escalate,
            digest=bool(section.get("digest", True)),
            digest_to=tuple(digest_to),
            send_from=send_from or defaults.send_from,
            send_until=send_until or defaults.send_until,
            max_attempts=number("max_attempts", defaults.max_attempts, minimum=1, integer=True),
            retry_base_seconds=float(number("retry_base_seconds", defaults.retry_base_seconds, minimum=0)),
            retry_max_seconds=float(number("retry_max_seconds", defaults.retry_max_seconds, minimum=0)),
            lease_seconds=float(number("lease_seconds", defaults.lease_seconds, minimum=1)),
        )
        if problems:
            raise ConfigError(problems)
        return rules


def _clock_time(text: Any, what: str, problems: list[str]) -> time | None:
    try:
        return time.fromisoformat(str(text))
    except ValueError:
        problems.append(f"{what} {text!r} is not a time of day (HH:MM)")
        return None


def rule_label(offset: int) -> str:
    return f"H{offset:+d}"


def escalation_label(offset: int) -> str:
    return f"eskalasi-H{offset:+d}"


# --- the sending window ------------------------------------------------------------------------------


@dataclass(frozen=True)
class SendingWindow:
    """Working days, `send_from`..`send_until` local time: the only times a message may leave."""

    calendar: WorkCalendar
    tz: ZoneInfo
    send_from: time
    send_until: time

    def contains(self, instant: datetime) -> bool:
        local = instant.astimezone(self.tz)
        return self.calendar.is_working_day(local.date()) and self.send_from <= local.time() < self.send_until

    def opening(self, day: date) -> datetime:
        return datetime.combine(day, self.send_from, self.tz)

    def next_open(self, instant: datetime) -> datetime:
        """`instant` itself when inside the window, else the start of the next one."""
        if self.contains(instant):
            return instant
        local = instant.astimezone(self.tz)
        day = local.date()
        if not (self.calendar.is_working_day(day) and local.time() < self.send_from):
            day = self.calendar.add_working_days(day, 1)
        return self.opening(day)

    def closes(self, instant: datetime) -> datetime:
        """The end of the window that contains `instant` (or of the next one)."""
        start = self.next_open(instant).astimezone(self.tz)
        return datetime.combine(start.date(), self.send_until, self.tz)


def window_for(rules: ReminderRules, calendar: WorkCalendar, tz: str | ZoneInfo) -> SendingWindow:
    zone = ZoneInfo(tz) if isinstance(tz, str) else tz
    return SendingWindow(calendar, zone, rules.send_from, rules.send_until)


def rule_due_at(deadline: datetime, offset: int, window: SendingWindow) -> datetime:
    """H±n: `send_from` on the working day n working days from the deadline's (local) day."""
    day = window.calendar.add_working_days(deadline.astimezone(window.tz).date(), offset)
    return window.opening(day)


def working_days_left(deadline: datetime, on: datetime, window: SendingWindow) -> int:
    """Working days from `on`'s day to the deadline's day (negative once the deadline has passed)."""
    return window.calendar.count_working_days_between(
        on.astimezone(window.tz).date(), deadline.astimezone(window.tz).date()
    )


# --- what is due -------------------------------------------------------------------------------------


def item_id(item: Outstanding) -> str:
    """A stable identity of an outstanding item, to tell whether a queued reminder is still true."""
    base = f"{item.kind}:{item.indicator or ''}:{item.opd or ''}:{item.person or ''}"
    return f"{base}:{item.item}" if item.item else base  # under items, one id per evidence item


@dataclass(frozen=True)
class DueMessage:
    kind: str  # reminder | escalation | digest
    phase: str  # DIGEST_PHASE for the digest
    rule: str  # H-3, H+1, eskalasi-H+3, harian
    recipient: str
    deadline_version: int
    due_at: datetime
    send_after: datetime  # the due time moved into the sending window
    items: tuple[Outstanding, ...] = ()
    period: str = ""  # the digest's local date
    opd: str | None = None  # escalation: the OPD that owes the items
    gates: tuple[GateResult, ...] = field(default=(), compare=False)  # digest: every active phase

    @property
    def ledger_key(self) -> LedgerKey:
        return (self.recipient, self.phase, self.rule, self.deadline_version, self.period)

    def message_key(self, cycle_code: str) -> str:
        """The idempotency key the receiver sees; one per ledger key."""
        tail = f"/{self.period}" if self.period else ""
        return f"{cycle_code}/{self.phase}/{self.rule}/v{self.deadline_version}/{self.recipient}{tail}"

    @property
    def item_ids(self) -> list[str]:
        return [item_id(i) for i in self.items]


def active_phases(snapshot: CycleSnapshot) -> list[str]:
    return [p.name for p in sorted(snapshot.phases.values(), key=lambda p: p.seq) if p.state in ACTIVE_STATES]


def pending_by_recipient(snapshot: CycleSnapshot, gate: GateResult) -> dict[str, tuple[Outstanding, ...]]:
    """Who must act on what, in item order; items nobody can act on (no recipient) are left to the digest."""
    out: dict[str, list[Outstanding]] = {}
    for item in gate.outstanding:
        key = item.recipient(snapshot)
        if key:
            out.setdefault(key, []).append(item)
    return {k: tuple(v) for k, v in out.items()}


def owed_by_opd(snapshot: CycleSnapshot, gate: GateResult) -> dict[str, tuple[Outstanding, ...]]:
    """Items an OPD itself owes (no named person): what its head hears about on escalation."""
    out: dict[str, list[Outstanding]] = {}
    for item in gate.outstanding:
        if item.opd and not item.person and item.opd in snapshot.opds:
            out.setdefault(item.opd, []).append(item)
    return {k: tuple(v) for k, v in out.items()}


def coordinators(snapshot: CycleSnapshot, rules: ReminderRules) -> list[str]:
    if rules.digest_to:
        return [k for k in rules.digest_to if k in snapshot.people]
    return [p.key for p in snapshot.people.values() if p.role == "coordinator"]


def latest_due_rule(deadline: datetime, rules: ReminderRules, window: SendingWindow, now: datetime):
    """(offset, due time) of the newest H±n rule whose time has come, or None."""
    latest = None
    for offset in rules.offsets:
        due = rule_due_at(deadline, offset, window)
        if due <= now:
            latest = (offset, due)
    return latest


def due_messages(
    snapshot: CycleSnapshot,
    *,
    rules: ReminderRules,
    window: SendingWindow,
    now: datetime,
    recorded: Collection[LedgerKey],
) -> list[DueMessage]:
    """Everything due by `now` and not yet in the ledger: the cursor's step."""
    out: list[DueMessage] = []
    gates: list[GateResult] = []
    for name in active_phases(snapshot):
        phase = snapshot.phases[name]
        gate = evaluate(snapshot, name, now)
        gates.append(gate)
        latest = latest_due_rule(phase.deadline_at, rules, window, now)
        if latest is not None:
            offset, due = latest
            for recipient, items in pending_by_recipient(snapshot, gate).items():
                msg = DueMessage(
                    "reminder",
                    name,
                    rule_label(offset),
                    recipient,
                    phase.deadline_version,
                    due,
                    window.next_open(max(due, now)),
                    items,
                )
                if msg.ledger_key not in recorded:
                    out.append(msg)
        if rules.escalate_from:
            due = rule_due_at(phase.deadline_at, rules.escalate_from, window)
            if due <= now:
                for opd, items in owed_by_opd(snapshot, gate).items():
                    msg = DueMessage(
                        "escalation",
                        name,
                        escalation_label(rules.escalate_from),
                        snapshot.opds[opd].head_key,
                        phase.deadline_version,
                        due,
                        window.next_open(max(due, now)),
                        items,
                        opd=opd,
                    )
                    if msg.ledger_key not in recorded:
                        out.append(msg)
    if rules.digest and gates and window.contains(now):
        today = now.astimezone(window.tz).date()
        due = window.opening(today)
        for key in coordinators(snapshot, rules):
            msg = DueMessage(
                "digest", DIGEST_PHASE, DIGEST_RULE, key, 0, due, now, period=today.isoformat(), gates=tuple(gates)
            )
            if msg.ledger_key not in recorded:
                out.append(msg)
    return out


# --- what queued messages are no longer true ---------------------------------------------------------


@dataclass(frozen=True)
class QueuedReminder:
    """A reminder, escalation or digest still waiting in the outbox, with what it listed."""

    outbox_id: int
    kind: str
    phase: str
    rule: str
    recipient: str
    deadline_version: int
    items: tuple[str, ...] = ()
    period: str = ""
    opd: str | None = None


@dataclass(frozen=True)
class QueueDecision:
    outbox_id: int
    action: str  # cancel | refresh
    reason: str  # cancel: resolved | deadline_moved | phase_closed | superseded | stale ; refresh: items_changed
    items: tuple[Outstanding, ...] = ()


def _rank(rule: str) -> int:
    """Order of H±n rules (later is bigger), to tell which of two queued reminders supersedes the other."""
    try:
        return int(rule.removeprefix("eskalasi-").removeprefix("H"))
    except ValueError:
        return 0


def review_queue(
    snapshot: CycleSnapshot,
    queued: Sequence[QueuedReminder],
    *,
    window: SendingWindow,
    now: datetime,
    due: Iterable[DueMessage] = (),
) -> list[QueueDecision]:
    """Decide, for each waiting reminder, whether it still holds: checked at every sweep, just before the
    dispatch that follows it, so a resolved item is cancelled rather than sent."""
    decisions: list[QueueDecision] = []
    gates = {name: evaluate(snapshot, name, now) for name in active_phases(snapshot)}
    newest: dict[tuple[str, str, str], int] = {}
    for q in queued:
        if q.kind == "reminder":
            k = (q.phase, q.recipient, q.kind)
            newest[k] = max(newest.get(k, -(10**6)), _rank(q.rule))
    for d in due:
        if d.kind == "reminder":
            k = (d.phase, d.recipient, d.kind)
            newest[k] = max(newest.get(k, -(10**6)), _rank(d.rule))
    today = now.astimezone(window.tz).date().isoformat()
    for q in queued:
        if q.kind == "digest":
            if q.period != today:
                decisions.append(QueueDecision(q.outbox_id, "cancel", "stale"))
            else:
                decisions.append(QueueDecision(q.outbox_id, "refresh", "digest"))
            continue
        phase = snapshot.phases.get(q.phase)
        if phase is None or q.phase not in gates:
            decisions.append(QueueDecision(q.outbox_id, "cancel", "phase_closed"))
            continue
        if q.deadline_version != phase.deadline_version:
            decisions.append(QueueDecision(q.outbox_id, "cancel", "deadline_moved"))
            continue
        if q.kind == "reminder" and _rank(q.rule) < newest.get((q.phase, q.recipient, q.kind), _rank(q.rule)):
            decisions.append(QueueDecision(q.outbox_id, "cancel", "superseded"))
            continue
        gate = gates[q.phase]
        if q.kind == "escalation":
            current = owed_by_opd(snapshot, gate).get(q.opd or "", ())
        else:
            current = pending_by_recipient(snapshot, gate).get(q.recipient, ())
        if not current:
            decisions.append(QueueDecision(q.outbox_id, "cancel", "resolved"))
        elif tuple(item_id(i) for i in current) != tuple(q.items):
            decisions.append(QueueDecision(q.outbox_id, "refresh", "items_changed", current))
    return decisions


def retry_delay(attempts: int, rules: ReminderRules, *, retry_after: float | None, jitter: float) -> float:
    """Seconds to wait before the next attempt: the server's Retry-After when it gave one, else exponential
    backoff; `jitter` in [0, 1) spreads retries so that a recovering gateway is not hit all at once."""
    if retry_after is not None:
        base = min(max(retry_after, 0.0), rules.retry_max_seconds)
        return base + base * 0.1 * jitter
    delay = min(rules.retry_max_seconds, rules.retry_base_seconds * 2 ** max(attempts - 1, 0))
    return delay / 2 + delay / 2 * jitter


def next_window_after(instant: datetime, seconds: float, window: SendingWindow) -> datetime:
    return window.next_open(instant + timedelta(seconds=seconds))
