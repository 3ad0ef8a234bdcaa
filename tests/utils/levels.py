"""Writing level files the way people's spreadsheets do."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path


def write_levels(
    path: Path,
    levels: Mapping[int, object],
    *,
    delimiter: str = ",",
    bom: bool = False,
    header: str = "indicator{d}level",
    extra_rows: list[str] | None = None,
) -> Path:
    lines = [header.format(d=delimiter)]
    lines += [f"{n}{delimiter}{v}" for n, v in levels.items()]
    lines += extra_rows or []
    text = "\r\n".join(lines) + "\r\n"
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8"))
    return path
