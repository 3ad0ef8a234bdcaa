"""What every task shares: retries for transient database errors only, and refusals returned as data."""

from __future__ import annotations

import functools

from sqlalchemy.exc import OperationalError

from spbe.errors import SpbeError


def _transient(task, task_run, state) -> bool:
    try:
        state.result()
    except OperationalError:
        return True
    except Exception:
        return False
    return False


RETRY = {"retries": 2, "retry_delay_seconds": 2, "retry_condition_fn": _transient}


def refusal(exc: SpbeError) -> dict:
    """A refusal is an answer, not a crash: returned as data so no traceback reaches the coordinator's screen."""
    return {"refused": {"kind": type(exc).__name__, "message": str(exc), "exit_code": exc.exit_code}}


def guarded(fn):
    """Run a task body; a SpbeError (bad input, a rule that says no) becomes a `refused` result."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except SpbeError as exc:
            return refusal(exc)

    return wrapper
