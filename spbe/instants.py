"""Reading an instant people type (SPBE_NOW, a flag): ISO 8601 with its UTC offset. Pure, imports nothing
of the engine, so the settings and the clock can both use it."""

from __future__ import annotations

from datetime import UTC, datetime

from spbe.errors import ConfigError


def parse_instant(text: str, *, what: str = "time") -> datetime:
    """Parse an ISO 8601 instant that carries its offset; a bare local time is ambiguous and refused."""
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ConfigError(f"{what} {text!r} is not ISO 8601 (e.g. 2025-09-30T16:00:00+07:00)") from None
    if value.tzinfo is None:
        raise ConfigError(f"{what} {text!r} has no UTC offset; add one, e.g. +07:00 for WIB")
    return value.astimezone(UTC)
