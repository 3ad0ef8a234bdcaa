"""User-facing errors: the CLI prints them as one clear message and exits non-zero, never a traceback."""

from __future__ import annotations


class SpbeError(Exception):
    """A problem the user can fix; the message says what and where."""

    exit_code = 1


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
