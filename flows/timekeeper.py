"""The timekeeper's own flow: what the timeline makes due for a phase, done as `TIMEKEEPER`.

`spbe serve` triggers it as a deployment (and `spbe serve --timekeeper-only` runs it in-process) when a
phase's opening has come or its deadline is reached. It has no actor parameter: the timekeeper's identity
cannot be typed into its Run form, and pressing Run there does no more than the timekeeper would at that
moment (an opening before its time is refused; a gate check only applies the phase's rule).
"""

# no `from __future__ import annotations`: the served runner loads this file by path, and pydantic must see
# the Literal types themselves to build the Run form and validate it
from typing import Literal

from prefect import flow

from spbe.domain.phases import ALL_PHASES
from tasks.common import typed

PhaseName = Literal[tuple(ALL_PHASES)]  # type: ignore[valid-type]  # a dropdown in the Run form


def _run_name() -> str:
    from prefect.runtime import flow_run

    from flows.common import cycle_year
    from spbe.services.people import TIMEKEEPER

    params = flow_run.parameters or {}
    return f"{cycle_year()} · {params.get('phase', '?')} · {params.get('kind', '?')} · {TIMEKEEPER.id}"


@flow(name="timekeeper-job", flow_run_name=_run_name, log_prints=True)
@typed
def timekeeper_job(kind: Literal["open", "check"], phase: PhaseName) -> dict:  # type: ignore[valid-type]
    """Open the phase once its opening has come, or judge its gate (closing it, or asking for approval)."""
    from flows.registry import phase_flows

    flows = phase_flows(phase)
    return flows.open_due() if kind == "open" else flows.check_due()
