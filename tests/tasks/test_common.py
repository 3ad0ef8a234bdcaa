"""What every task and flow shares: only outages are retried, typed errors end a run as a named state,
and Prefect logs them without a traceback."""

from __future__ import annotations

import asyncio
import logging

import pytest
from prefect.states import Completed, Failed

from spbe.errors import InputError, RefusedError, SpbeError, StoreUnavailable, error_for_state
from tasks.common import RETRY, QuietTypedErrors, failed_state, typed


@pytest.mark.parametrize(
    ("error", "retried"),
    [
        (StoreUnavailable("penyimpanan tidak tersedia: database is locked"), True),
        (RefusedError("only a coordinator may open phase locus"), False),
        (InputError("field 'opd': unknown OPD 'NOPE'"), False),
        (RuntimeError("a bug"), False),
    ],
)
def test_only_an_outage_is_retried(error, retried):
    should = RETRY["retry_condition_fn"]
    assert should(None, None, Failed(data=error)) is retried
    assert should(None, None, Completed(data={"ok": True})) is False


def test_retries_back_off():
    delays = RETRY["retry_delay_seconds"]
    assert RETRY["retries"] == len(delays) and list(delays) == sorted(delays) and delays[0] < delays[-1]
    assert 0 < RETRY["retry_jitter_factor"] <= 1  # several workers do not come back at the same instant


@pytest.mark.parametrize(
    ("error", "name", "exit_code"),
    [
        (InputError("row 3: level 6"), "Invalid", 1),
        (RefusedError("gate not met"), "Refused", 2),
        (StoreUnavailable("penyimpanan tidak tersedia"), "Unavailable", 3),
    ],
)
def test_a_typed_error_is_a_named_failed_state_and_comes_back_from_it(error, name, exit_code):
    state = failed_state(error)
    assert state.is_failed() and state.name == name and state.message == str(error)
    with pytest.raises(type(error)):
        state.result()
    rebuilt = error_for_state(state.name, state.message)  # all a caller sees of a remote run
    assert isinstance(rebuilt, SpbeError) and rebuilt.exit_code == exit_code and str(rebuilt) == str(error)
    assert error_for_state("Failed", "boom") is None and error_for_state(None, None) is None


def test_typed_wraps_sync_and_async_bodies():
    @typed
    def refuse(x: int) -> int:
        raise RefusedError(f"no {x}")

    @typed
    async def fine(x: int) -> int:
        return x + 1

    @typed
    def crash() -> None:
        raise ValueError("a bug stays a bug")

    assert refuse(1).name == "Refused" and refuse.__name__ == "refuse"
    assert asyncio.run(fine(1)) == 2
    with pytest.raises(ValueError):
        crash()


def test_prefect_logs_a_typed_error_without_its_traceback():
    quiet = QuietTypedErrors()
    for error, keeps in ((RefusedError("no"), False), (ValueError("bug"), True)):
        try:
            raise error
        except Exception:
            import sys

            record = logging.LogRecord("prefect.task_runs", logging.ERROR, __file__, 1, "failed", None, sys.exc_info())
        assert quiet.filter(record) is True
        assert (record.exc_info is not None) is keeps
    assert any(isinstance(f, QuietTypedErrors) for f in logging.getLogger("prefect.task_runs").filters)
    assert any(isinstance(f, QuietTypedErrors) for f in logging.getLogger("prefect.flow_runs").filters)
