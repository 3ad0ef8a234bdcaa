"""The reminder sweep: read the cycle, ask the pure rules what is due (`spbe.domain.reminders`), and write
ledger rows, outbox rows and one audit event in the caller's transaction.

Pending items are re-checked here, at every sweep, not at delivery: a queued reminder whose items were all
resolved is cancelled, one whose items changed is re-rendered with the items still pending, one computed
for an older deadline version (the deadline was extended) or for a closed phase is cancelled. The
timekeeper always sweeps right before it dispatches, so what leaves is at most one sweep old.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from spbe import clock
from spbe.domain.gates import GateResult, Outstanding
from spbe.domain.reminders import (
    DIGEST_PHASE,
    DueMessage,
    QueuedReminder,
    ReminderRules,
    SendingWindow,
    due_messages,
    review_queue,
    working_days_left,
)
from spbe.domain.snapshot import CycleSnapshot
from spbe.frameworks import load_framework
from spbe.messages import tanggal, tanggal_jam
from spbe.services.cycles import rules_for
from spbe.services.outbox import cancel, counts_by_state, counts_by_states, insert_ignoring_conflicts, insert_messages
from spbe.services.snapshot import take_snapshot, take_snapshots
from spbe.store import models as m
from spbe.store.audit import record
from spbe.store.tables_reminders import OPEN_STATES, OutboxMessage, ReminderLedger

SWEEP_ACTOR = "system:reminders"
TEMPLATES = {"reminder": "reminder.txt.j2", "escalation": "escalation.txt.j2", "digest": "digest.txt.j2"}
STATE_TEXT = {"open": "berjalan", "awaiting_approval": "menunggu persetujuan koordinator"}
MAX_LISTED = 25  # pending things listed per message; see spbe.messages for the text limits
LEDGER_CHUNK = 500  # ledger rows per INSERT (11 parameters each: well under PostgreSQL's 65,535)


@dataclass
class SweepResult:
    cycle: str
    at: datetime
    dry_run: bool
    queued: list[dict[str, Any]] = field(default_factory=list)
    cancelled: list[dict[str, Any]] = field(default_factory=list)
    refreshed: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "cycle": self.cycle,
            "at": self.at.isoformat(),
            "dry_run": self.dry_run,
            "queued": self.queued,
            "cancelled": self.cancelled,
            "refreshed": self.refreshed,
        }


def sweep(
    session: Session,
    *,
    cycle: m.Cycle,
    now: datetime | None = None,
    dry_run: bool = False,
    rules: ReminderRules | None = None,
    window: SendingWindow | None = None,
) -> SweepResult:
    """Queue what is due and cancel what no longer holds; safe to run any number of times."""
    return sweep_many(session, [cycle], now=now, dry_run=dry_run, rules=rules, window=window)[0]


@dataclass
class _Plan:
    """One cycle's part of a sweep: what the pure rules decided, before anything is written."""

    cycle: m.Cycle
    snapshot: CycleSnapshot
    window: SendingWindow
    due: list[DueMessage]
    waiting: dict[int, tuple[QueuedReminder, OutboxMessage, ReminderLedger]]
    cancels: dict[str, list[int]]
    refreshes: list[tuple[Any, QueuedReminder, dict[str, Any]]]
    result: SweepResult


def sweep_many(
    session: Session,
    cycles: Sequence[m.Cycle],
    *,
    now: datetime | None = None,
    dry_run: bool = False,
    rules: ReminderRules | None = None,
    window: SendingWindow | None = None,
) -> list[SweepResult]:
    """`sweep` for many cycles at once (a national deployment): every table is read once for all of them
    (`cycle_id IN (...)`) and every write is one statement per kind, not one agency at a time. Each cycle
    is judged on its own (its rules, its snapshot) and gets its own result and audit event."""
    now = now or clock.now()
    ids = [c.id for c in cycles]
    assert None not in ids
    snapshots = take_snapshots(session, cycles)
    recorded: dict[int, set[tuple]] = {cid: set() for cid in ids}  # type: ignore[misc]
    for cid, *key in session.exec(
        select(
            ReminderLedger.cycle_id,
            ReminderLedger.recipient,
            ReminderLedger.phase,
            ReminderLedger.rule,
            ReminderLedger.deadline_version,
            ReminderLedger.period,
        ).where(col(ReminderLedger.cycle_id).in_(ids))
    ):
        recorded[cid].add(tuple(key))
    waiting = _waiting(session, ids, snapshots)  # type: ignore[arg-type]
    plans = []
    for cycle in cycles:
        cid: int = cycle.id  # type: ignore[assignment]
        snapshot = snapshots[cid]
        cycle_rules, cycle_window = (rules, window) if rules is not None and window is not None else rules_for(cycle)
        queued = {oid: q for oid, (q, _out, _led) in waiting[cid].items()}
        due = due_messages(snapshot, rules=cycle_rules, window=cycle_window, now=now, recorded=recorded[cid])
        decisions = review_queue(snapshot, list(queued.values()), window=cycle_window, now=now, due=due)
        plan = _Plan(cycle, snapshot, cycle_window, due, waiting[cid], {}, [], SweepResult(cycle.code, now, dry_run))
        for d in decisions:
            q = queued[d.outbox_id]
            entry = {"id": d.outbox_id, "recipient": q.recipient, "phase": q.phase, "rule": q.rule, "reason": d.reason}
            if d.action == "cancel":
                plan.cancels.setdefault(d.reason, []).append(d.outbox_id)
                plan.result.cancelled.append(entry)
            else:
                plan.refreshes.append((d, q, entry))
        for msg in due:
            plan.result.queued.append(
                {
                    "key": msg.message_key(cycle.code),
                    "kind": msg.kind,
                    "phase": msg.phase,
                    "rule": msg.rule,
                    "recipient": msg.recipient,
                    "items": len(msg.items),
                    "due_at": msg.due_at.isoformat(),
                    "send_after": msg.send_after.isoformat(),
                }
            )
        plans.append(plan)
    if dry_run:
        for plan in plans:
            plan.result.refreshed = [entry for _, _, entry in plan.refreshes if entry["reason"] != "digest"]
        return [plan.result for plan in plans]

    from spbe.portal.links import links_for_many
    from spbe.services.stale import review_notices_many

    review_notices_many(session, cycles=cycles, actor=SWEEP_ACTOR)  # notices too: still true when they leave
    cancels: dict[str, list[int]] = {}
    for plan in plans:
        for reason, row_ids in plan.cancels.items():
            cancels.setdefault(reason, []).extend(row_ids)
    for reason, row_ids in cancels.items():
        cancel(session, row_ids, reason=reason, now=now)
    links = links_for_many(session, cycles)
    digests = [
        p.cycle.id
        for p in plans
        if any(msg.kind == "digest" for msg in p.due) or any(q.kind == "digest" for _, q, _ in p.refreshes)
    ]
    outbox = counts_by_states(session, digests) if digests else {}  # type: ignore[arg-type]
    message_rows, ledger_due = [], []
    for plan in plans:
        cycle = plan.cycle
        renderer = _Renderer(
            session, cycle, plan.snapshot, plan.window, now, answer_link=links[cycle.id], outbox=outbox.get(cycle.id)  # type: ignore[index]
        )
        for d, q, entry in plan.refreshes:
            _q, row, ledger = plan.waiting[d.outbox_id]
            if row.state not in OPEN_STATES:
                continue
            msg = _as_due(q, d.items, plan.snapshot, now, plan.window)
            subject, body = renderer.render(msg)
            if (subject, body) == (row.subject, row.body):
                continue  # nothing changed for the reader
            row.subject, row.body, row.updated_at = subject, body, now
            if msg.items:
                ledger.items = msg.item_ids
            plan.result.refreshed.append(entry)
        for msg in plan.due:
            subject, body = renderer.render(msg)
            message_rows.append(
                {
                    "cycle_id": cycle.id,
                    "key": msg.message_key(cycle.code),
                    "kind": msg.kind,
                    "recipient": msg.recipient,
                    "phase": None if msg.phase == DIGEST_PHASE else msg.phase,
                    "rule": msg.rule,
                    "deadline_version": msg.deadline_version,
                    "subject": subject,
                    "body": body,
                    "not_before": msg.send_after,
                }
            )
            ledger_due.append((cycle, msg))
    ids_by_key = insert_messages(session, message_rows, now=now) if message_rows else {}
    ledger_rows = [
        {
            "cycle_id": cycle.id,
            "recipient": msg.recipient,
            "phase": msg.phase,
            "rule": msg.rule,
            "deadline_version": msg.deadline_version,
            "period": msg.period,
            "kind": msg.kind,
            "due_at": msg.due_at,
            "recorded_at": now,
            "outbox_id": ids_by_key[msg.message_key(cycle.code)],
            "items": msg.item_ids,
        }
        for cycle, msg in ledger_due
        if msg.message_key(cycle.code) in ids_by_key  # a racing sweep queued it first: its ledger row is its own
    ]
    for start in range(0, len(ledger_rows), LEDGER_CHUNK):
        insert_ignoring_conflicts(
            session,
            ReminderLedger.__table__,  # type: ignore[attr-defined]
            ledger_rows[start : start + LEDGER_CHUNK],
            unique=["cycle_id", "recipient", "phase", "rule", "deadline_version", "period"],
        )
    for plan in plans:
        result = plan.result
        result.queued = [q for q in result.queued if q["key"] in ids_by_key]
        if result.queued or result.cancelled or result.refreshed:
            record(
                session,
                cycle_id=plan.cycle.id,
                actor=SWEEP_ACTOR,
                action="reminders.swept",
                detail={
                    "queued": len(result.queued),
                    "cancelled": len(result.cancelled),
                    "refreshed": len(result.refreshed),
                    "keys": [q["key"] for q in result.queued][:100],
                    "cancelled_ids": {r: ids for r, ids in plan.cancels.items()},
                },
            )
    return [plan.result for plan in plans]


def _waiting(
    session: Session, cycle_ids: list[int], snapshots: dict[int, CycleSnapshot]
) -> dict[int, dict[int, tuple[QueuedReminder, OutboxMessage, ReminderLedger]]]:
    """Reminders, escalations and digests still waiting, with the items they listed (from the ledger), and
    their rows (a refresh rewrites them in place)."""
    rows = session.exec(
        select(OutboxMessage, ReminderLedger)
        .join(ReminderLedger, col(ReminderLedger.outbox_id) == col(OutboxMessage.id))
        .where(
            col(OutboxMessage.cycle_id).in_(cycle_ids),
            col(ReminderLedger.cycle_id).in_(cycle_ids),  # else the planner reads the whole country's ledger
            col(OutboxMessage.state).in_(OPEN_STATES),
        )
    ).all()
    heads = {cid: {o.head_key: o.code for o in s.opds.values()} for cid, s in snapshots.items()}
    out: dict[int, dict[int, tuple[QueuedReminder, OutboxMessage, ReminderLedger]]] = {cid: {} for cid in cycle_ids}
    for row, led in rows:
        if row.id is None:
            continue
        out[row.cycle_id][row.id] = (
            QueuedReminder(
                outbox_id=row.id,
                kind=led.kind,
                phase=led.phase,
                rule=led.rule,
                recipient=led.recipient,
                deadline_version=led.deadline_version,
                items=tuple(led.items or ()),
                period=led.period,
                opd=heads[row.cycle_id].get(led.recipient) if led.kind == "escalation" else None,
            ),
            row,
            led,
        )
    return out


def _as_due(
    q: QueuedReminder, items: tuple[Outstanding, ...], snapshot: CycleSnapshot, now: datetime, window: SendingWindow
) -> DueMessage:
    from spbe.domain.gates import evaluate
    from spbe.domain.reminders import active_phases

    gates: tuple[GateResult, ...] = ()
    if q.kind == "digest":
        gates = tuple(evaluate(snapshot, name, now) for name in active_phases(snapshot))
    return DueMessage(
        q.kind,
        q.phase,
        q.rule,
        q.recipient,
        q.deadline_version,
        now,
        window.next_open(now),
        items,
        period=q.period,
        opd=q.opd,
        gates=gates,
    )


class _Renderer:
    """Turns a due message into (subject, body) from its template, in Bahasa Indonesia."""

    def __init__(
        self,
        session: Session,
        cycle: m.Cycle,
        snapshot: CycleSnapshot,
        window: SendingWindow,
        now: datetime,
        *,
        answer_link: Callable[[str], str | None] | None = None,
        outbox: dict[str, int] | None = None,
    ) -> None:
        self.session, self.cycle, self.snapshot, self.window, self.now = session, cycle, snapshot, window, now
        self.indicators = {i.number: i for i in snapshot.indicators}
        self.framework = load_framework(cycle.framework_id)
        self.items = {i.code: i for i in snapshot.items}
        self._outbox = outbox  # the digest's outbox counts: read (once) when the first digest is rendered
        if answer_link is None:
            from spbe.portal.links import links_for

            answer_link = links_for(session, cycle)
        self.answer_link = answer_link  # how the recipient answers: their portal link

    def render(self, msg: DueMessage) -> tuple[str, str]:
        from spbe.messages import fitted, render

        lines = self._lines(msg) if msg.kind != "digest" and self.snapshot.by_items else None
        if msg.kind == "digest":
            total = max((len(g.outstanding) for g in msg.gates), default=0)
        else:
            total = len(lines) if lines is not None else len(msg.items)
        return fitted(
            lambda listed: render(TEMPLATES[msg.kind], **self.context(msg, listed=listed, lines=lines)),
            total=total,
            most=MAX_LISTED,
        )

    def _lines(self, msg: DueMessage) -> list[dict[str, Any]]:
        """An items cycle's pending things as compact lines, one per indicator (spbe.services.reminder_lines)."""
        from spbe.messages import environment
        from spbe.services.reminder_lines import item_lines

        keadaan = environment().get_template("reminder_items.j2").module.keadaan  # type: ignore[attr-defined]
        show_opd = self._opd(msg) is None
        return item_lines(
            msg.items,
            framework=self.framework,
            item_text=lambda code: self.items[code].text if code in self.items else "",
            opd_name=lambda code: self.snapshot.opds[code].name if code in self.snapshot.opds else code,
            state=lambda o: str(keadaan(self._item(o, show_opd=show_opd, reader=msg.recipient))),
            show_opd=show_opd,
        )

    def _opd(self, msg: DueMessage):
        """The OPD a reminder or escalation is about: the escalated OPD, or the admin recipient's own."""
        person = self.snapshot.people.get(msg.recipient)
        code = msg.opd if msg.kind == "escalation" else (person.opd if person and person.role == "admin" else None)
        return self.snapshot.opds.get(code) if code else None

    def context(
        self, msg: DueMessage, *, listed: int = MAX_LISTED, lines: list[dict[str, Any]] | None = None
    ) -> dict[str, Any]:
        s = self.snapshot
        person = s.people.get(msg.recipient)
        ctx: dict[str, Any] = {
            "listed": listed,  # this renderer fits the message itself (`render`): spbe.messages.render must not again
            "cycle": self.cycle,
            "person": {"key": msg.recipient, "name": person.name if person else msg.recipient},
            "answer_link": self.answer_link(msg.recipient),
        }
        if msg.kind == "digest":
            return ctx | self._digest(msg, listed)
        phase = s.phases[msg.phase]
        days_left = working_days_left(phase.deadline_at, msg.send_after, self.window)
        opd = self._opd(msg)
        admin = s.people.get(opd.admin_key) if opd else None
        return ctx | self._listing(msg, listed, lines, show_opd=opd is None) | {
            "phase": phase,
            "rule": msg.rule,
            "late": days_left < 0 or msg.send_after >= phase.deadline_at,
            "deadline": tanggal_jam(phase.deadline_at, self.cycle.timezone),
            "days_left": days_left,
            "opd": opd,
            "admin": admin,
            "total": len(msg.items),
            "kinds": sorted({i.kind for i in msg.items}),
            "by_items": s.by_items,
        }

    def _listing(
        self, msg: DueMessage, listed: int, lines: list[dict[str, Any]] | None, *, show_opd: bool
    ) -> dict[str, Any]:
        """What the message lists: `listed` pending things (levels) or compact lines (items), and how many
        things are left out (`more`; for items also `rest`, how many indicators they belong to)."""
        if not self.snapshot.by_items:
            shown = list(msg.items)[:listed]
            items = [self._item(i, show_opd=show_opd, reader=msg.recipient) for i in shown]
            return {"items": items, "lines": [], "more": len(msg.items) - len(shown), "rest": 0}
        lines = self._lines(msg) if lines is None else lines
        left = lines[listed:]
        return {
            "items": [],
            "lines": lines[:listed],
            "more": sum(line["count"] for line in left),
            "rest": len({n for line in left for n in line["numbers"]}),
        }

    def _item(self, item: Outstanding, *, show_opd: bool, reader: str) -> dict[str, Any]:
        ind = self.indicators.get(item.indicator) if item.indicator else None
        assessor = self.snapshot.people.get(ind.assessor) if ind and ind.assessor and ind.assessor != reader else None
        opd = self.snapshot.opds.get(item.opd) if item.opd else None
        unit = self.items.get(item.item) if item.item else None
        return {
            "kind": item.kind,
            "text": item.text,
            "number": item.indicator,
            "label": self.framework.indicator_label(item.indicator) if item.indicator else "",
            "name": ind.name if ind else "",
            "version": (unit.version if unit else ind.version if ind else None),
            "assessor_name": assessor.name if assessor else None,
            "opd_name": opd.name if opd else item.opd,
            "show_opd": show_opd,
            "item": item.item,
            "revision_kind": unit.kind.replace("_", " ") if unit and unit.kind else None,
        }

    def _digest(self, msg: DueMessage, listed: int = MAX_LISTED) -> dict[str, Any]:
        phases = []
        for gate in msg.gates:
            phases.append(self._digest_phase(gate, min(listed, 15)))
        if self._outbox is None:
            self._outbox = counts_by_state(self.session, cycle_id=self.snapshot.cycle_id)
        return {
            "today": tanggal(self.now, self.window.tz),
            "as_of": tanggal(self.now, self.window.tz),
            "phases": phases,
            "outbox": self._outbox,
        }

    def _digest_phase(self, gate: GateResult, limit: int = 15) -> dict[str, Any]:
        s = self.snapshot
        phase = s.phases[gate.phase]
        groups: dict[str, list[int | None]] = {}
        for item in gate.outstanding:
            if item.person and item.person in s.people:
                who = s.people[item.person].name
            elif item.opd and item.opd in s.opds:
                who = s.opds[item.opd].name
            else:
                who = "Koordinator SPBE"
            groups.setdefault(who, []).append(item.indicator)
        rows = sorted(groups.items(), key=lambda kv: (-len(kv[1]), kv[0]))
        return {
            "title": phase.title,
            "state_text": STATE_TEXT.get(phase.state, phase.state),
            "deadline": tanggal_jam(phase.deadline_at, self.cycle.timezone),
            "days_left": working_days_left(phase.deadline_at, self.now, self.window),
            "done": gate.done,
            "total": gate.total,
            "percent": gate.percent,
            "outstanding": len(gate.outstanding),
            "rows": [
                {"who": who, "count": len(nums), "indicators": self.framework.indicator_labels(numbers, most=6)}
                for who, nums in rows[:limit]
                for numbers in [{n for n in nums if n}]
            ],
            "more": max(len(rows) - limit, 0),
            "notes": len(gate.notes),
        }


def render_reminder(session: Session, cycle: m.Cycle, msg: DueMessage, *, now: datetime) -> tuple[str, str]:
    """One reminder rendered exactly as a sweep renders it (a coordinator's nudge from the portal)."""
    _rules, window = rules_for(cycle)
    return _Renderer(session, cycle, take_snapshot(session, cycle), window, now).render(msg)
