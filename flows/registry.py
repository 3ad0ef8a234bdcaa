"""Running a flow as a Prefect flow run: the one door for the CLI and the timekeeper.

In-process by default (Prefect starts a temporary local server when no API is configured); with
PREFECT_API_URL set (or a local server noted by `spbe serve`), the run is recorded on that server and its
UI link is returned. A run that ends on a typed error raises it again here, with the run's id attached:
a refusal stays a `RefusedError` (exit 2), an outage an `Unavailable` (exit 3).
"""

from __future__ import annotations

import importlib
import inspect
from typing import Any

from spbe.domain.phases import ALL_PHASES, phase_index
from spbe.errors import PrefectUnavailable, SpbeError, error_for_state
from spbe.prefect_env import api_url, apply_defaults, ui_url

ACTIONS = ("open", "check", "close", "reject")


def phase_flows(phase: str):
    phase_index(phase)  # raises with the list of phases when unknown
    module = importlib.import_module(f"flows.{phase.replace('-', '_')}")
    return module.FLOWS


def all_flows() -> dict[str, Any]:
    """Every phase flow by its Prefect flow name (for serving as deployments)."""
    out: dict[str, Any] = {}
    for phase in ALL_PHASES:
        flows = phase_flows(phase)
        for action in ACTIONS:
            fn = getattr(flows, action)
            out[fn.name] = fn
    return out


def run_action(action: str, phase: str, **params: Any) -> dict:
    """Run `action` of `phase` as a flow run and return its result with `flow_run_id` (and `ui_url`)."""
    if action not in ACTIONS:
        raise ValueError(f"unknown action {action!r}; one of {ACTIONS}")
    return run_flow(getattr(phase_flows(phase), action), tags=run_tags(phase), **params)


def run_target(target: str, params: dict[str, Any]) -> dict:
    """Run one of the flows the CLI starts, named as spbe.flow_client names it: `phase:ACTION:PHASE`,
    `assign` or `attend`. The same door in the command's own process and in the engine that serves it."""
    kind, _, rest = target.partition(":")
    if kind == "phase":
        action, _, phase = rest.partition(":")
        return run_action(action, phase, **params)
    if target == "assign":
        from flows.locus import assign_assessors

        return run_flow(assign_assessors, tags=run_tags("locus"), **params)
    if target == "attend":
        from flows.socialization import record_attendance

        return run_flow(record_attendance, tags=run_tags("socialization"), **params)
    raise ValueError(f"unknown flow target {target!r}")


def run_flow(fn: Any, *, tags: list[str] | None = None, **params: Any) -> dict:
    """Call a flow in-process as one tagged flow run; raise the typed error it ended with."""
    apply_defaults()
    require_prefect()
    import asyncio

    from prefect import tags as prefect_tags

    with without_heartbeat(), prefect_tags(*(tags or ["spbe"])):
        call = fn(**params, return_state=True)  # no 1 s heartbeat floor per run (prefect-notes.md)
        state = asyncio.run(call) if inspect.isawaitable(call) else call
    run_id = str(state.state_details.flow_run_id)
    if not state.is_completed():
        raise failure(state, run_id)
    result = state.result(raise_on_failure=True)
    result = dict(result) if isinstance(result, dict) else {"result": result}
    result["flow_run_id"] = run_id
    if link := ui_url(run_id):
        result["ui_url"] = link
    return result


_QUIET: dict[tuple, tuple[Any, Any]] = {}  # (settings, environment) -> (those settings, the same without heartbeat)


def without_heartbeat():
    """Prefect's current settings with the flow heartbeat off, as a context to enter: an in-process run ends
    when its body does, without a heartbeat thread to join (a 1 s floor per sync run). The copy is built
    once per settings object: `temporary_settings` re-reads every setting from the environment each time
    (0.1-0.2 s here, once per flow run)."""
    from prefect.context import SettingsContext, get_settings_context
    from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY

    from spbe.settings import prefect_environment

    context = get_settings_context()
    # the copy reads the environment, which `use_server` writes: a change there (another server) is a new copy
    key = (id(context.settings), prefect_environment())
    found = _QUIET.get(key)
    if found is None or found[0] is not context.settings:
        quiet = context.settings.copy_with_update(updates={PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None})
        _QUIET.clear()  # keep one
        found = _QUIET[key] = (context.settings, quiet)
    return SettingsContext(profile=context.profile, settings=found[1])


def failure(state: Any, run_id: str) -> BaseException:
    """The error a run that did not complete stands for: the typed one it raised (kept with its state in
    this process), else the one its state's name says (a run seen only through the API), else a plain error."""
    error: BaseException | None = None
    try:
        state.result(raise_on_failure=True)
    except SpbeError as exc:
        error = exc
    except Exception as exc:
        error = error_for_state(state.name, state.message) or exc
    if error is None:
        error = error_for_state(state.name, state.message) or SpbeError(
            f"flow run ended {state.name}: {state.message or '-'}"
        )
    if isinstance(error, SpbeError):
        error.flow_run_id, error.ui_url = run_id, ui_url(run_id)
    return error


def require_prefect() -> None:
    """A configured Prefect server must answer before a run is started on it: an outage, said in one line."""
    from spbe.prefect_server import healthy

    api = api_url()
    if api and not healthy(api):
        raise PrefectUnavailable(
            f"server Prefect {api} tidak menjawab (PREFECT_API_URL): jalankan `spbe serve`, atau kosongkan "
            "PREFECT_API_URL agar perintah memakai server sementara"
        )


def run_tags(phase: str) -> list[str]:
    """Tags that let the UI filter the timeline: by year, by phase."""
    from flows.common import cycle_year

    return ["spbe", f"year:{cycle_year()}", f"phase:{phase}"]


def temporary_server_note() -> str | None:
    """What it costs when no server is configured: said plainly before a command runs a flow."""
    if api_url():
        return None
    from spbe.i18n import _

    return _(
        "no Prefect server configured (PREFECT_API_URL unset): running on a temporary local one, "
        "which adds about 10 s to this command; start `spbe serve` (or `prefect server start`) to avoid it"
    )
