"""Reading an instant people type (SPBE_NOW, a flag): ISO 8601 with its offset, or a date and time as
typed with its zone (`30 September 2025 16.00 WIB`; spbe.timeparse). Imports nothing of the engine but the
parser, so the settings and the clock can both use it."""

from __future__ import annotations

from spbe.timeparse import parse_instant

__all__ = ["parse_instant"]
