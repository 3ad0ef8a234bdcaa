"""Moving a phase through its states: open, check the gate, await approval, close (or force).

Each function changes the state and writes its audit event (and any notices) in the caller's
transaction, so a failure leaves neither half behind. Repeating a call is safe: opening an open
phase is a no-op that says so and queues nothing.

Every refusal is decided by a `may_*` check that reads and never writes; the operations call them
first, and `refusal_before_run` runs the same checks so that the CLI says "no" before it starts a
flow run (a refused command costs no Prefect run, no temporary server).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from sqlmodel import Session, select

from spbe.domain.gates import GateResult, evaluate
from spbe.domain.phases import PhaseState, can_transition, state_text
from spbe.errors import RefusedError
from spbe.formats import datetime_text
from spbe.i18n import _, ngettext
from spbe.services.lookup import get_phase
from spbe.services.outbox import Notice, enqueue
from spbe.services.people import TIMEKEEPER, Actor, actor_id, require_coordinator, require_coordinator_or_timekeeper
from spbe.services.snapshot import take_snapshot
from spbe.store import models as m
from spbe.store.audit import record

# A phase's opening work: state already set in the same transaction; returns the notices to queue.
OpeningWork = Callable[[Session, m.Cycle, m.Phase], list[Notice]]


@dataclass
class PhaseChange:
    phase: str
    before: str
    after: str
    message: str
    gate: GateResult | None = None
    notices_queued: int = 0
    details: dict = field(default_factory=dict)

    @property
    def changed(self) -> bool:
        return self.before != self.after

    def as_dict(self) -> dict:
        out = {
            "phase": self.phase,
            "before": self.before,
            "after": self.after,
            "changed": self.changed,
            "message": self.message,
            "notices_queued": self.notices_queued,
            **self.details,
        }
        if self.gate is not None:
            out["gate"] = gate_dict(self.gate)
        return out


def gate_dict(gate: GateResult) -> dict:
    return {
        "met": gate.met,
        "deadline_passed": gate.deadline_passed,
        "done": gate.done,
        "total": gate.total,
        "percent": gate.percent,
        "outstanding": [
            {"kind": o.kind, "text": o.text, "indicator": o.indicator, "opd": o.opd, "person": o.person}
            for o in gate.outstanding
        ],
        "notes": list(gate.notes),
    }


def unlisted_notes(gate: dict) -> list[str]:
    """A gate's notes less those that repeat an outstanding line ('after the deadline: ...'): what a person
    reads under the list of outstanding things, so each is said once."""
    listed = {_("after the deadline: {text}").format(text=o["text"]) for o in gate.get("outstanding", [])}
    return [n for n in gate.get("notes", []) if n not in listed]


def _set_state(
    session: Session,
    cycle: m.Cycle,
    phase: m.Phase,
    target: PhaseState,
    *,
    actor: Actor,
    action: str,
    reason: str | None = None,
    detail: dict | None = None,
) -> None:
    current = PhaseState(phase.state)
    if not can_transition(current, target):
        raise RefusedError(
            _("phase {name} cannot go from {before} to {after}").format(
                name=phase.name, before=state_text(current), after=state_text(target)
            )
        )
    phase.state = target.value
    session.add(phase)
    record(
        session,
        cycle_id=cycle.id,
        actor=actor_id(actor),
        action=action,
        subject=phase.name,
        reason=reason,
        detail={"from": current.value, "to": target.value, **(detail or {})},
    )
    if target is PhaseState.CLOSED:  # what was said about the phase is no longer true: it never goes out
        from spbe.services.stale import review_notices

        session.flush()
        review_notices(session, cycle=cycle)


def open_phase(
    session: Session,
    *,
    cycle: m.Cycle,
    name: str,
    actor: Actor,
    now: datetime,
    opening_work: OpeningWork | None = None,
    reason: str | None = None,
    early: bool = False,
) -> PhaseChange:
    """A coordinator opens a phase (early only with a reason); the timekeeper (`TIMEKEEPER`) only once its
    opening has come."""
    phase = get_phase(session, cycle, name)
    state = PhaseState(phase.state)
    may_open(session, cycle=cycle, phase=phase, actor=actor, now=now, early=early, reason=reason)
    if state in (PhaseState.OPEN, PhaseState.AWAITING_APPROVAL):
        return PhaseChange(
            name,
            state,
            state,
            _("phase {name} is already {state}; nothing done, no notices sent").format(
                name=name, state=state_text(state)
            ),
        )
    phase.opened_at = now
    _set_state(
        session,
        cycle,
        phase,
        PhaseState.OPEN,
        actor=actor,
        action="phase.opened",
        reason=reason,
        detail={"early": now < phase.opens_at},
    )
    notices = opening_work(session, cycle, phase) if opening_work else []
    queued = enqueue(session, cycle_id=cycle.id, notices=notices) if notices else 0
    return PhaseChange(
        name,
        state,
        PhaseState.OPEN,
        ngettext("phase {name} opened; {n} notice queued", "phase {name} opened; {n} notices queued", queued).format(
            name=name, n=queued
        ),
        notices_queued=queued,
    )


def may_open(
    session: Session,
    *,
    cycle: m.Cycle,
    phase: m.Phase,
    actor: Actor,
    now: datetime,
    early: bool = False,
    reason: str | None = None,
) -> None:
    """Raise the refusal an opening meets now, if any (reads only). Already open is not a refusal."""
    name = phase.name
    state = PhaseState(phase.state)
    if actor is not TIMEKEEPER:
        require_coordinator(session, cycle, actor, doing=_("open phase {name}").format(name=name))
    if state in (PhaseState.OPEN, PhaseState.AWAITING_APPROVAL):
        return
    if state is PhaseState.CLOSED:
        raise RefusedError(
            _("phase {name} was closed on {closed} and cannot reopen").format(
                name=name, closed=datetime_text(phase.closed_at, cycle.timezone) if phase.closed_at else "-"
            )
        )
    previous = _previous(session, cycle, phase)
    overlapping = phase.overlap and previous is not None and previous.state != PhaseState.PENDING
    if previous is not None and previous.state != PhaseState.CLOSED and not overlapping:
        hint = "" if phase.overlap else _(" (set `overlap = true` on the phase in the cycle file to allow overlap)")
        raise RefusedError(
            _("phase {name} cannot open: the previous phase {previous} is {state}").format(
                name=name, previous=previous.name, state=state_text(previous.state)
            )
            + hint
        )
    if now < phase.opens_at:
        when = {
            "name": name,
            "opens": datetime_text(phase.opens_at, cycle.timezone),
            "now": datetime_text(now, cycle.timezone),
        }
        if actor is TIMEKEEPER:
            raise RefusedError(
                _(
                    "phase {name} opens on {opens}; it is now {now}: the timekeeper opens a phase only once its "
                    "opening has come"
                ).format(**when)
            )
        if not early:
            raise RefusedError(
                _(
                    "phase {name} opens on {opens}; it is now {now}. Open it early with --early --reason TEXT "
                    "(a coordinator's decision, recorded)"
                ).format(**when)
            )
        if not (reason and reason.strip()):
            raise RefusedError(_("opening a phase early needs --reason TEXT"))


def may_check(session: Session, *, cycle: m.Cycle, phase: m.Phase, actor: Actor) -> None:
    """A gate check can close a phase (or ask for approval) once the deadline passed: the timekeeper's job,
    or a coordinator's. Anyone in the roster sees the progress with `spbe status`."""
    require_coordinator_or_timekeeper(
        session, cycle, actor, doing=_("check the gate of phase {name}").format(name=phase.name)
    )


def may_close(
    session: Session, *, cycle: m.Cycle, phase: m.Phase, actor: Actor, force: bool = False, reason: str | None = None
) -> None:
    """Raise the refusal a closing meets before its gate is judged (reads only). Already closed is not one."""
    state = PhaseState(phase.state)
    doing = _("force phase {name} closed") if force else _("close (approve) phase {name}")
    require_coordinator(session, cycle, actor, doing=doing.format(name=phase.name))
    if state is PhaseState.PENDING:
        raise RefusedError(_("phase {name} has not opened yet; open it first").format(name=phase.name))
    if force and not (reason and reason.strip()) and state is not PhaseState.CLOSED:
        raise RefusedError(_("--force needs --reason TEXT: an override is kept on record with its reason"))


def may_reject(session: Session, *, cycle: m.Cycle, phase: m.Phase, actor: Actor) -> None:
    require_coordinator(session, cycle, actor, doing=_("reject the closing of phase {name}").format(name=phase.name))
    state = PhaseState(phase.state)
    if state is not PhaseState.AWAITING_APPROVAL:
        raise RefusedError(
            _("phase {name} is {state}, not awaiting approval").format(name=phase.name, state=state_text(state))
        )


def refusal_before_run(
    session: Session, *, cycle: m.Cycle, action: str, name: str, actor: Actor, now: datetime, **params
) -> None:
    """The refusal `action` (open, check, close, reject) of phase `name` would meet now, raised before any
    flow run starts. What only the run can tell (an unmet gate after the work before it) the run still says."""
    phase = get_phase(session, cycle, name)
    if action == "open":
        may_open(
            session,
            cycle=cycle,
            phase=phase,
            actor=actor,
            now=now,
            early=bool(params.get("early")),
            reason=params.get("reason"),
        )
    elif action == "check":
        may_check(session, cycle=cycle, phase=phase, actor=actor)
    elif action == "close":
        may_close(
            session, cycle=cycle, phase=phase, actor=actor, force=bool(params.get("force")), reason=params.get("reason")
        )
    elif action == "reject":
        may_reject(session, cycle=cycle, phase=phase, actor=actor)
    else:
        raise ValueError(f"unknown action {action!r}")


def _previous(session: Session, cycle: m.Cycle, phase: m.Phase) -> m.Phase | None:
    if phase.seq == 0:
        return None
    return session.exec(select(m.Phase).where(m.Phase.cycle_id == cycle.id, m.Phase.seq == phase.seq - 1)).first()


def check_gate(session: Session, *, cycle: m.Cycle, name: str, now: datetime, actor: Actor) -> PhaseChange:
    """Evaluate the gate; at or after the deadline a held gate closes an `auto` phase or asks for approval."""
    phase = get_phase(session, cycle, name)
    may_check(session, cycle=cycle, phase=phase, actor=actor)
    state = PhaseState(phase.state)
    gate = evaluate(take_snapshot(session, cycle), name, now)
    if state is not PhaseState.OPEN:
        return PhaseChange(
            name,
            state,
            state,
            _("phase {name} is {state}; gate reported, nothing changed").format(name=name, state=state_text(state)),
            gate,
        )
    if not gate.met:
        msg = _("gate of {name} not met: {n} outstanding").format(name=name, n=len(gate.outstanding))
        if gate.deadline_passed:
            msg += _(" after the deadline; the phase stays open and the coordinator is told")
            _notify_coordinators(session, cycle, phase, gate, kind="gate_unmet_after_deadline")
        return PhaseChange(name, state, state, msg, gate)
    if not gate.deadline_passed:
        then = (
            _("gate of {name} holds; at its deadline the phase closes automatically")
            if phase.close_mode == "auto"
            else _("gate of {name} holds; at its deadline the phase asks a coordinator's approval")
        )
        return PhaseChange(name, state, state, then.format(name=name), gate)
    if phase.close_mode == "auto":
        phase.closed_at, phase.closed_by = now, actor_id(actor)
        _set_state(
            session,
            cycle,
            phase,
            PhaseState.CLOSED,
            actor=actor,
            action="phase.closed",
            detail={"automatic": True, "notes": list(gate.notes)},
        )
        return PhaseChange(
            name, state, PhaseState.CLOSED, _("phase {name} closed automatically (gate held)").format(name=name), gate
        )
    _set_state(
        session,
        cycle,
        phase,
        PhaseState.AWAITING_APPROVAL,
        actor=actor,
        action="phase.awaiting_approval",
        detail={"notes": list(gate.notes)},
    )
    queued = _notify_coordinators(session, cycle, phase, gate, kind="approval_needed")
    return PhaseChange(
        name,
        state,
        PhaseState.AWAITING_APPROVAL,
        _("gate of {name} holds: awaiting a coordinator's approval").format(name=name),
        gate,
        queued,
    )


def close_phase(
    session: Session,
    *,
    cycle: m.Cycle,
    name: str,
    actor: Actor,
    now: datetime,
    force: bool = False,
    reason: str | None = None,
) -> PhaseChange:
    """A coordinator closes (approves) a phase; an unmet gate needs --force with a reason, on record."""
    phase = get_phase(session, cycle, name)
    state = PhaseState(phase.state)
    may_close(session, cycle=cycle, phase=phase, actor=actor, force=force, reason=reason)
    if state is PhaseState.CLOSED:
        return PhaseChange(name, state, state, _("phase {name} is already closed; nothing done").format(name=name))
    gate = evaluate(take_snapshot(session, cycle), name, now)
    if not gate.met and not force:
        raise GateNotMet(gate)
    phase.closed_at, phase.closed_by, phase.forced = now, actor_id(actor), bool(force and not gate.met)
    detail = {
        "approved": state is PhaseState.AWAITING_APPROVAL or phase.close_mode == "approval",
        "forced": phase.forced,
        "notes": list(gate.notes),
    }
    if phase.forced:
        detail["unmet"] = [o.text for o in gate.outstanding]
    _set_state(
        session,
        cycle,
        phase,
        PhaseState.CLOSED,
        actor=actor,
        action="phase.forced_closed" if phase.forced else "phase.closed",
        reason=reason,
        detail=detail,
    )
    how = (
        _("phase {name} forced closed with unmet conditions (on record) by {actor}")
        if phase.forced
        else _("phase {name} closed by {actor}")
    )
    return PhaseChange(name, state, PhaseState.CLOSED, how.format(name=name, actor=actor_id(actor)), gate)


def reject_approval(session: Session, *, cycle: m.Cycle, name: str, actor: Actor, note: str) -> PhaseChange:
    phase = get_phase(session, cycle, name)
    state = PhaseState(phase.state)
    may_reject(session, cycle=cycle, phase=phase, actor=actor)
    _set_state(session, cycle, phase, PhaseState.OPEN, actor=actor, action="phase.approval_rejected", reason=note)
    return PhaseChange(
        name, state, PhaseState.OPEN, _("closing of {name} rejected; the phase stays open").format(name=name)
    )


class GateNotMet(RefusedError):
    exit_code = 2

    def __init__(self, gate: GateResult) -> None:
        self.gate = gate
        lines = "\n".join(f"  - {o.text}" for o in gate.outstanding[:200])
        rest = len(gate.outstanding) - 200
        more = "\n  " + _("… and {n} more").format(n=rest) if rest > 0 else ""
        super().__init__(
            _("gate of {name} not met ({n} outstanding):").format(name=gate.phase, n=len(gate.outstanding))
            + f"\n{lines}{more}\n"
            + _("close anyway with --force --reason TEXT (recorded with the unmet conditions)")
        )


def _notify_coordinators(session: Session, cycle: m.Cycle, phase: m.Phase, gate: GateResult, *, kind: str) -> int:
    from spbe.messages import render

    coordinators = session.exec(
        select(m.Person).where(m.Person.cycle_id == cycle.id, m.Person.role == "coordinator")
    ).all()
    notices = []
    for person in coordinators:
        subject, body = render(f"notice_{kind}.txt.j2", person=person, phase=phase, gate=gate, cycle=cycle)
        day = _local_today(cycle)  # at most one per day and kind; a rejected phase that holds again is announced again
        notices.append(
            Notice(
                person.key,
                subject,
                body,
                key=f"{cycle.code}:{phase.name}:{kind}:v{phase.deadline_version}:{day}:{person.key}",
                phase=phase.name,
                kind="notice",
            )
        )
    return enqueue(session, cycle_id=cycle.id, notices=notices)


def _local_today(cycle: m.Cycle) -> str:
    """'Still unmet' notices go out at most once a day: keyed by the cycle's local date."""
    from zoneinfo import ZoneInfo

    from spbe import clock

    return clock.now().astimezone(ZoneInfo(cycle.timezone)).date().isoformat()
