"""A coordinator nudges one OPD now: one reminder with everything that OPD still owes in the open phases,
queued in the outbox (the timekeeper delivers it inside sending hours), audited with the coordinator.

At most one nudge per OPD, phase and minute (its key), so a double click queues one message."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlmodel import Session

from spbe.domain.gates import evaluate
from spbe.domain.reminders import DueMessage, active_phases
from spbe.errors import RefusedError
from spbe.services.lookup import get_opd
from spbe.services.outbox import Notice, enqueue
from spbe.services.people import require_coordinator
from spbe.services.reminders import render_reminder
from spbe.services.snapshot import take_snapshot
from spbe.store import models as m
from spbe.store.audit import record

RULE = "dari koordinator"


@dataclass(frozen=True)
class NudgeResult:
    opd: str
    recipient: str
    items: int
    queued: int  # 0: the same nudge was already queued this minute


def nudge_opd(session: Session, *, cycle: m.Cycle, actor: str, opd: str, now: datetime) -> NudgeResult:
    require_coordinator(session, cycle, actor, doing=f"mengingatkan {opd}")
    row = get_opd(session, cycle=cycle, code=opd)
    snap = take_snapshot(session, cycle)
    minute = now.astimezone(ZoneInfo(cycle.timezone)).strftime("%Y-%m-%dT%H:%M")
    notices, count = [], 0
    for phase in active_phases(snap):
        gate = evaluate(snap, phase, now)
        items = tuple(i for i in gate.outstanding if i.opd == row.code and i.recipient(snap) == row.admin_key)
        if not items:
            continue
        info = snap.phases[phase]
        msg = DueMessage("reminder", phase, RULE, row.admin_key, info.deadline_version, now, now, items, opd=row.code)
        subject, body = render_reminder(session, cycle, msg, now=now)
        key = f"{cycle.code}/{phase}/nudge/{row.code}/{minute}"
        notices.append(Notice(row.admin_key, subject, body, key=key, phase=phase, kind="reminder"))
        count += len(items)
    if not notices:
        raise RefusedError(
            f"{row.name} ({row.code}) tidak punya tunggakan pada tahap yang berjalan; tidak ada yang diingatkan"
        )
    queued = enqueue(session, cycle_id=cycle.id, notices=notices)
    if queued:
        record(
            session,
            cycle_id=cycle.id,
            actor=actor,
            action="reminder.nudged",
            subject=f"opd:{row.code}",
            detail={"items": count, "recipient": row.admin_key, "messages": queued},
        )
    return NudgeResult(row.code, row.admin_key, count, queued)
