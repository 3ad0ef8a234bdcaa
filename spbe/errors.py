"""User-facing errors: the CLI prints them as one clear message and exits non-zero, never a traceback.

Three kinds, told apart by type (never by parsing a message):
- `SpbeError` (exit 1): bad input or configuration; fix it and run again.
- `RefusedError` (exit 2): a rule or a role says no (out-of-order phase, missing role, unmet gate).
- `Unavailable` (exit 3): an outage (the store or the Prefect server is down, locked or read-only);
  nothing was decided, so tasks and the timekeeper retry it with backoff.

A flow run that ends on one of them is Failed with the kind as the state's name ("Invalid",
"Refused", "Unavailable") and the message as its message: the Prefect UI shows both, and a caller
that sees only the state rebuilds the typed error from them with `error_for_state`.
"""

from __future__ import annotations


class SpbeError(Exception):
    """A problem the user can fix; the message says what and where."""

    exit_code = 1
    state_name = "Invalid"

    flow_run_id: str | None = None  # set when the error ended a flow run (the CLI prints it)
    ui_url: str | None = None


class InputError(SpbeError):
    """Bad input data (a file, a row, a field). Carries every problem found, not only the first."""

    def __init__(self, problems: list[str] | str, *, source: str | None = None) -> None:
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        self.source = source
        head = f"{source}: " if source else ""
        if len(self.problems) == 1:
            super().__init__(head + self.problems[0])
        else:
            lines = "\n".join(f"  - {p}" for p in self.problems)
            super().__init__(f"{head}{len(self.problems)} problems:\n{lines}")


class ConfigError(InputError):
    """A configuration file is invalid."""


class RefusedError(SpbeError):
    """An action the rules do not allow now (out-of-order phase, missing role, unmet gate)."""

    exit_code = 2
    state_name = "Refused"


class Unavailable(SpbeError):
    """An outage, not a "no": a service the engine needs is down, busy or read-only. Worth retrying."""

    exit_code = 3
    state_name = "Unavailable"


class StoreUnavailable(Unavailable):
    """The store (SQLite file or PostgreSQL server) cannot be used right now."""


class PrefectUnavailable(Unavailable):
    """The Prefect server does not answer."""


KINDS: dict[str, type[SpbeError]] = {cls.state_name: cls for cls in (SpbeError, RefusedError, Unavailable)}


def error_for_state(name: str | None, message: str | None) -> SpbeError | None:
    """The typed error a flow run's final state stands for (its name is the kind), or None for any other state."""
    cls = KINDS.get(name or "")
    return cls(message or name) if cls is not None else None
