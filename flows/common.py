"""The flows every phase shares: open, check the gate, close (or force), reject a pending closing.

Each phase module builds its four flows here and adds its own opening work; the database holds the
phase's state, so every flow is short, idempotent and safe to run twice. Run names and tags make
the Prefect UI read as the year's timeline: "2025 · self-assessment · open · koordinator".

The four flows are what a coordinator runs (the CLI, the UI's Run form): their `actor` is a roster id
as typed, checked against the roster. What the timekeeper runs is `open_due` and `check_due`, the same
steps acting as `TIMEKEEPER`, reachable only through its own flow (flows/timekeeper.py), whose form has
no actor to fill in. No parameter of any deployment grants a privilege.

A refusal, bad input or an outage ends the run Failed with its kind as the state's name and its reason
as the message (tasks.common.typed); the caller gets the typed error back.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from prefect import flow
from prefect.input import RunInput

from spbe.services.people import TIMEKEEPER, Actor
from tasks.common import typed
from tasks.phases import (
    check_gate_task,
    close_phase_task,
    open_phase_task,
    publish_close_summary,
    publish_gate_artifacts,
    publish_open_summary,
    reject_task,
)

APPROVAL_TIMEOUT_SECONDS = 3 * 24 * 3600  # a served gate check waits three days for a decision


class GateDecision(RunInput):
    """The form a coordinator fills in the Prefect UI when a phase awaits approval."""

    approve: bool
    coordinator: str  # roster id of the coordinator deciding (checked against the roster)
    note: str = ""


def run_name(phase: str, action: str) -> Callable[[], str]:
    def name() -> str:
        from prefect.runtime import flow_run

        params = flow_run.parameters or {}
        who = params.get("actor") or TIMEKEEPER.id
        return f"{cycle_year()} · {phase} · {action} · {who}"

    return name


def cycle_year() -> str:
    from sqlmodel import Session

    from spbe.services.cycles import current_cycle
    from spbe.store.db import get_engine

    try:
        with Session(get_engine()) as session:
            return str(current_cycle(session).year)
    except Exception:  # a run name is never worth failing a run for (a store outage is met by the run itself)
        return "spbe"


@dataclass(frozen=True)
class PhaseFlows:
    open: Callable[..., dict]
    check: Callable[..., dict]
    close: Callable[..., dict]
    reject: Callable[..., dict]
    open_due: Callable[[], dict]  # the timekeeper's steps: run inside its own flow, never a deployment
    check_due: Callable[[], dict]


def _served() -> bool:
    """True when this run belongs to a deployment (served or on a worker): only then can it suspend for input."""
    from prefect.runtime import deployment

    return bool(deployment.id)


def build_phase_flows(
    phase: str,
    after_open: Callable[[dict, Actor], None] | None = None,
    before_check: Callable[[Actor], None] | None = None,
) -> PhaseFlows:
    """The four flows of one phase. `after_open` runs follow-up work after opening (link checks, the
    report) as the actor who opened; `before_check` brings the store up to date before the gate is judged
    (report delivery)."""

    def open_steps(actor: Actor, early: bool = False, reason: str | None = None) -> dict:
        result = open_phase_task(phase, actor, early=early, reason=reason)
        if result["after"] == "open" and result["changed"]:
            publish_open_summary(phase, result)
        if after_open is not None and result["after"] == "open":
            after_open(result, actor)
        print(result["message"])
        return result

    def check_steps(actor: Actor, ask_approval: bool) -> dict:
        if before_check is not None:
            before_check(actor)
        result = check_gate_task(phase, actor)
        publish_gate_artifacts(phase, result)
        print(result["message"])
        if result["after"] == "closed" and result["changed"]:
            publish_close_summary(phase, result)
        if result["after"] == "awaiting_approval" and ask_approval and _served():
            result = _ask_for_approval(phase, result)
        return result

    @flow(name=f"{phase}-open", flow_run_name=run_name(phase, "open"), log_prints=True)
    @typed
    def open_(actor: str, early: bool = False, reason: str | None = None) -> dict:
        """A coordinator opens the phase (early only with a reason, on record)."""
        return open_steps(actor, early=early, reason=reason)

    @flow(name=f"{phase}-check", flow_run_name=run_name(phase, "check"), log_prints=True)
    @typed
    def check(actor: str, ask_approval: bool = True) -> dict:
        """A coordinator has the gate judged now; at the deadline it closes the phase or asks for approval."""
        return check_steps(actor, ask_approval)

    @flow(name=f"{phase}-close", flow_run_name=run_name(phase, "close"), log_prints=True)
    @typed
    def close(actor: str, force: bool = False, reason: str | None = None) -> dict:
        if before_check is not None:
            before_check(actor)
        result = close_phase_task(phase, actor, force=force, reason=reason)
        if result["changed"]:
            publish_close_summary(phase, result)
        print(result["message"])
        return result

    @flow(name=f"{phase}-reject-closing", flow_run_name=run_name(phase, "reject"), log_prints=True)
    @typed
    def reject(actor: str, note: str) -> dict:
        result = reject_task(phase, actor, note)
        print(result["message"])
        return result

    return PhaseFlows(
        open_,
        check,
        close,
        reject,
        open_due=lambda: open_steps(TIMEKEEPER),
        check_due=lambda: check_steps(TIMEKEEPER, ask_approval=True),
    )


def _ask_for_approval(phase: str, result: dict) -> dict:
    """Suspend the served run for a coordinator's decision; after resume the flow re-runs from the top,
    which is safe (the check is idempotent) and lands here again with the stored decision."""
    from prefect.flow_runs import suspend_flow_run

    decision = suspend_flow_run(
        wait_for_input=GateDecision, timeout=APPROVAL_TIMEOUT_SECONDS, key=f"approval-{phase}-{result.get('cycle', '')}"
    )
    if decision.approve:
        closed = close_phase_task(phase, decision.coordinator, reason=decision.note or None)
        if closed["changed"]:
            publish_close_summary(phase, closed)
        return closed
    return reject_task(phase, decision.coordinator, decision.note or "rejected in the Prefect UI")
