"""`spbe status`: each phase's state and dates, and the gate progress of every open phase."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from zoneinfo import ZoneInfo

from spbe import clock
from spbe.domain.gates import evaluate
from spbe.domain.snapshot import CycleSnapshot
from spbe.formats import framework_name
from spbe.frameworks import Framework
from spbe.scoring import score
from spbe.services.cycles import current_cycle, framework_of
from spbe.services.levels import Basis, current_levels
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
    framework = framework_of(cycle)
    return {
        "year": cycle.year,
        "city": cycle.city,
        "cycle": cycle.code,
        "framework": framework.label,
        "framework_name": framework_name(framework),
        "timezone": cycle.timezone,
        "index": standing(framework, snap, Decimal(cycle.target_index)),
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
        "history": cycle_scale_caveat(cycle, framework),
    }


def cycle_scale_caveat(cycle, framework: Framework) -> dict | None:
    """Earlier years of the cycle on another scale (an SPBE index beside a Pemdi one), with the sentence."""
    from spbe.frameworks import available_frameworks, load_framework
    from spbe.report.yearly import scale_caveat

    history = {int(y): Decimal(v) for y, v in (cycle.history or {}).items()}
    if not history:
        return None
    known = {f: load_framework(f) for f in available_frameworks()}
    return scale_caveat(framework=framework, year=cycle.year, history=history, frameworks=known)


def standing(framework: Framework, snap: CycleSnapshot, target_index: Decimal) -> dict:
    """Where the index stands now, read the framework's way: the shown value, the exact one, and the
    sentence when the two sit on different sides of a bound. Under `levels`: validated levels, the claim
    where not yet validated, 1 where nothing was submitted. Under `items`: the value rule on the items
    accepted so far, external indicators at their recorded value (1 while waiting)."""
    if snap.by_items:
        return _items_standing(framework, snap, target_index)
    view = current_levels(snap, Basis.VALIDATED)
    result = score(framework, view.levels)
    return {
        "index": str(result.index),
        "index_exact": str(result.exact),
        "predicate": result.predicate,
        "predicate_reading": framework.predicate_reading,
        "bound_note": result.bound_note,
        "target_index": str(target_index),
        "target_met_exactly": result.exact >= Fraction(target_index),
        "levels_note": view.note(),
    }


def _items_standing(framework: Framework, snap: CycleSnapshot, target_index: Decimal) -> dict:
    from spbe.items.index import score_items
    from spbe.services.items import external_readings, item_statuses

    result = score_items(framework, states=item_statuses(snap), readings=external_readings(snap))
    return {
        "index": str(result.index),
        "index_exact": str(result.exact),
        "predicate": result.predicate,
        "predicate_reading": framework.predicate_reading,
        "bound_note": result.score.bound_note,
        "target_index": str(target_index),
        "target_met_exactly": result.exact >= Fraction(target_index),
        "value_rule": result.rule.id,
        "waiting_externals": [f"I{n}" for n in result.waiting_externals],
        "items": item_counts(snap),
        "levels_note": "nilai dari butir yang sudah diterima; indikator eksternal yang belum dicatat bernilai 1",
    }


def item_counts(snap: CycleSnapshot) -> dict[str, int]:
    """How many catalog items are diterima, revisi, proses, belum and ditolak otomatis (shown status)."""
    out = {"total": len(snap.items), "diterima": 0, "revisi": 0, "proses": 0, "belum": 0, "ditolak_otomatis": 0}
    for item in snap.items:
        if item.auto_rejected:
            out["ditolak_otomatis"] += 1
        else:
            out[item.entered.status.value] += 1
    out["required_now"] = len(snap.required_items())
    out["aimed_indicators"] = len(snap.aimed)
    return out
