"""The one clock. Every "now" in the engine comes from here.

`SPBE_NOW` (ISO 8601 with an offset, e.g. 2025-09-30T16:00:00+07:00, or `30 September 2025 16.00 WIB`)
freezes it for a process;
`use_clock()` swaps it in-process (the simulated year of the demo, tests). Nothing ever sleeps to
wait for a date: callers ask the clock.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

from spbe import timeparse

_override: Callable[[], datetime] | None = None


def parse_instant(text: str, *, what: str = "time") -> datetime:
    """An instant with its offset or zone: ISO 8601, or as typed (`30 September 2025 16.00 WIB`, see
    spbe.timeparse). A bare local time is ambiguous here (no cycle is known yet) and refused."""
    return timeparse.parse_instant(text, what=what)


def now() -> datetime:
    """The current instant, timezone-aware, in UTC."""
    if _override is not None:
        return _override().astimezone(UTC)
    fixed = os.environ.get("SPBE_NOW")
    if fixed:
        return parse_instant(fixed, what="SPBE_NOW")
    return datetime.now(UTC)


@contextmanager
def use_clock(source: Callable[[], datetime] | datetime) -> Iterator[None]:
    """Run a block under another clock: a fixed instant or a callable (a simulated clock)."""
    global _override
    previous = _override
    if isinstance(source, datetime):
        fixed = source
        _override = lambda: fixed  # noqa: E731
    else:
        _override = source
    try:
        yield
    finally:
        _override = previous


class SimulatedClock:
    """A clock that only moves when told to: the demo walks the year with it."""

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("simulated clock needs an aware datetime")
        self.current = start

    def __call__(self) -> datetime:
        return self.current

    def advance_to(self, instant: datetime) -> None:
        if instant < self.current:
            raise ValueError(f"the clock does not go back ({instant} < {self.current})")
        self.current = instant
