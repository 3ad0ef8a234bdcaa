"""`spbe status`: each phase's state and dates, and the gate progress of every open phase."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from spbe import clock
from spbe.domain.gates import evaluate
from spbe.services.cycles import current_cycle, framework_of
from spbe.services.snapshot import take_snapshot
from spbe.store.db import require_schema, session_scope


def cycle_status() -> dict:
    now = clock.now()
    with session_scope(require_schema()) as session:
        cycle = current_cycle(session)
        snap = take_snapshot(session, cycle)
    tz = ZoneInfo(cycle.timezone)
    progress = {}
    for phase in snap.phases.values():
        if phase.state in ("open", "awaiting_approval"):
            gate = evaluate(snap, phase.name, now)
            progress[phase.name] = {
                "done": gate.done,
                "total": gate.total,
                "percent": gate.percent,
                "met": gate.met,
                "deadline_passed": gate.deadline_passed,
                "outstanding": len(gate.outstanding),
                "per_opd": [list(r) for r in gate.per_opd],
            }
    return {
        "year": cycle.year,
        "city": cycle.city,
        "cycle": cycle.code,
        "framework": framework_of(cycle).label,
        "now": now.astimezone(tz).isoformat(),
        "phases": [
            {
                "name": p.name,
                "state": p.state,
                "opens": p.opens_at.astimezone(tz).isoformat(),
                "deadline": p.deadline_at.astimezone(tz).isoformat(),
                "deadline_version": p.deadline_version,
            }
            for p in snap.phases.values()
        ],
        "progress": progress,
    }
