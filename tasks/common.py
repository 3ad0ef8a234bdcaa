"""What tasks and flows share: outages retried with backoff, typed errors ending a run without a traceback.

A task body raises what the services raise; the flow that called it gets the same typed exception. Only
an outage (`Unavailable`: the store down, locked or read-only) is retried, with backoff: a refusal or bad
input would say the same again. A flow body is wrapped in `typed`, which ends the run on a `SpbeError`
as a Failed state named after its kind ("Refused", "Invalid", "Unavailable") with the reason as its
message: the Prefect UI shows both, and a caller that sees only the state rebuilds the typed error
(spbe.errors.error_for_state). Prefect logs a typed error in one line, without its traceback
(`QuietTypedErrors`): it is an answer, not a bug.
"""

from __future__ import annotations

import functools
import inspect
import logging
from typing import Any

from spbe.errors import SpbeError, Unavailable

RETRY_DELAYS = [2.0, 8.0, 30.0]  # seconds; jittered, so that several workers do not come back at once


def _transient(task, task_run, state) -> bool:
    try:
        state.result()
    except Unavailable:
        return True
    except Exception:
        return False
    return False


RETRY: dict[str, Any] = {
    "retries": len(RETRY_DELAYS),
    "retry_delay_seconds": RETRY_DELAYS,
    "retry_jitter_factor": 0.5,
    "retry_condition_fn": _transient,
}


def failed_state(exc: SpbeError):
    """The Failed state a typed error ends a run with: the kind as its name, the reason as its message."""
    from prefect.states import Failed

    return Failed(name=exc.state_name, message=str(exc), data=exc)


def untagged_tasks():
    """The flow run keeps its tags (year, phase: what the UI filters the timeline by); its task runs carry
    none. Prefect asks the server for a concurrency slot of every tag of every task run before running it
    (a new client and a round trip, ~0.1 s here), and this project sets no tag limits: in the demo that was
    a fifth of every reminder tick."""
    from prefect.context import TagsContext

    return TagsContext(current_tags=set())


def typed(fn):
    """Wrap a flow body: a `SpbeError` becomes the run's Failed state (see the module docstring), and its task
    runs are untagged (`untagged_tasks`). Tasks are not wrapped: a task that returns a Failed state hands
    the state itself to its caller instead of raising."""
    if inspect.iscoroutinefunction(fn):

        @functools.wraps(fn)
        async def run_async(*args, **kwargs):
            try:
                with untagged_tasks():
                    return await fn(*args, **kwargs)
            except SpbeError as exc:
                return failed_state(exc)

        return run_async

    @functools.wraps(fn)
    def run(*args, **kwargs):
        try:
            with untagged_tasks():
                return fn(*args, **kwargs)
        except SpbeError as exc:
            return failed_state(exc)

    return run


class QuietTypedErrors(logging.Filter):
    """Drop the traceback from Prefect's log record of a run that failed on a typed error: the message
    says what happened; a traceback would only look like a crash to whoever reads the log."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        if isinstance(exc, SpbeError):
            record.exc_info, record.exc_text = None, None
        return True


for _name in ("prefect.task_runs", "prefect.flow_runs"):
    _logger = logging.getLogger(_name)
    if not any(isinstance(f, QuietTypedErrors) for f in _logger.filters):
        _logger.addFilter(QuietTypedErrors())
