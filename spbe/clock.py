"""The one clock. Every "now" in the engine comes from here.

`SPBE_NOW` (ISO 8601 with an offset, e.g. 2025-09-30T16:00:00+07:00, or `30 September 2025 16.00 WIB`;
read by spbe.settings) freezes it for a process; `use_clock()` swaps it in-process (the simulated year of
the demo, tests). Nothing ever sleeps to
wait for a date: callers ask the clock.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

from spbe.instants import parse_instant
from spbe.settings import get_settings

__all__ = ["SimulatedClock", "now", "parse_instant", "use_clock"]

_override: Callable[[], datetime] | None = None


def now() -> datetime:
    """The current instant, timezone-aware, in UTC."""
    if _override is not None:
        return _override().astimezone(UTC)
    fixed = get_settings().now
    return fixed if fixed is not None else datetime.now(UTC)


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
