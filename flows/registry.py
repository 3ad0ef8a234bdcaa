"""Running a phase action as a Prefect flow run: the one door for the CLI and the timekeeper.

In-process by default (Prefect starts a temporary local server when PREFECT_API_URL is unset);
with PREFECT_API_URL set, the run is recorded on that server and its UI link is returned.
"""

from __future__ import annotations

import importlib
import os
from typing import Any

from flows.common import REFUSED_PREFIX
from spbe.domain.phases import PHASES, phase_index
from spbe.errors import RefusedError, SpbeError
from spbe.prefect_env import apply_defaults, ui_url

ACTIONS = ("open", "check", "close", "reject")


def phase_flows(phase: str):
    phase_index(phase)  # raises with the list of phases when unknown
    module = importlib.import_module(f"flows.{phase.replace('-', '_')}")
    return module.FLOWS


def all_flows() -> dict[str, Any]:
    """Every phase flow by its Prefect flow name (for serving as deployments)."""
    out: dict[str, Any] = {}
    for phase in PHASES:
        flows = phase_flows(phase)
        for action in ACTIONS:
            fn = getattr(flows, action)
            out[fn.name] = fn
    return out


def run_action(action: str, phase: str, **params: Any) -> dict:
    """Run `action` of `phase` as a flow run and return its result with `flow_run_id` (and `ui_url`)."""
    if action not in ACTIONS:
        raise ValueError(f"unknown action {action!r}; one of {ACTIONS}")
    apply_defaults()
    return run_flow(getattr(phase_flows(phase), action), phase=phase, **params)


def run_flow(fn: Any, *, phase: str, **params: Any) -> dict:
    """Call a flow in-process as one tagged flow run; re-raise what it raised (a refusal stays a refusal)."""
    apply_defaults()
    from prefect import tags
    from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings

    with temporary_settings({PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}), tags(*run_tags(phase)):
        state = fn(**params, return_state=True)  # no 1 s heartbeat floor per run (prefect-notes.md)
    run_id = str(state.state_details.flow_run_id)
    if state.is_failed() and (state.message or "").startswith(REFUSED_PREFIX):
        raise refusal_error(state.message or "", run_id)
    result = state.result(raise_on_failure=True)
    result = dict(result) if isinstance(result, dict) else {"result": result}
    result["flow_run_id"] = run_id
    if link := ui_url(run_id):
        result["ui_url"] = link
    return result


def refusal_error(message: str, run_id: str) -> SpbeError:
    """Rebuild the refusal a flow run ended with, keeping its exit code (2 for a rule that says no)."""
    code, _, rest = message.removeprefix(REFUSED_PREFIX).partition(":")
    _kind, _, text = rest.partition(": ")
    error = RefusedError(f"{text}\n(flow run {run_id})")
    error.exit_code = int(code) if code.isdigit() else 1
    return error


def run_tags(phase: str) -> list[str]:
    """Tags that let the UI filter the timeline: by year, by phase."""
    from flows.common import cycle_year

    return ["spbe", f"year:{cycle_year()}", f"phase:{phase}"]


def temporary_server_note() -> str | None:
    """What it costs when no server is configured: said plainly before a command runs a flow."""
    if os.environ.get("PREFECT_API_URL"):
        return None
    return (
        "no Prefect server configured (PREFECT_API_URL unset): running on a temporary local one, "
        "which adds about 10 s to this command; start `spbe serve` (or `prefect server start`) to avoid it"
    )
