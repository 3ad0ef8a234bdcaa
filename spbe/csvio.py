"""Reading the CSV files people actually send: Excel in an Indonesian locale writes semicolons and a BOM."""

from __future__ import annotations

import csv
from pathlib import Path

from spbe.errors import InputError

MAX_CSV_BYTES = 20 * 1024 * 1024


def read_rows(path: Path) -> tuple[list[str], list[tuple[int, dict[str, str]]]]:
    """Return the normalised header and (line number, row) pairs.

    Accepts comma or semicolon, UTF-8 with or without BOM. Header names are stripped and lower-cased.
    A file that is not UTF-8 is refused with the byte offset, never guessed at.
    """
    name = path.name
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read file: {exc.strerror}", source=str(path)) from None
    if len(raw) > MAX_CSV_BYTES:
        raise InputError(f"file is {len(raw)} bytes; the limit is {MAX_CSV_BYTES}", source=name)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(
            f"not UTF-8 text (invalid byte at offset {exc.start}); save it as 'CSV UTF-8' in Excel",
            source=name,
        ) from None
    lines = text.splitlines(keepends=True)  # ends kept: a quoted cell may span lines (Alt+Enter in Excel)
    if not lines or not lines[0].strip():
        raise InputError("file is empty; expected a header line", source=name)
    first = lines[0]
    delimiter = ";" if first.count(";") > first.count(",") else ","
    reader = csv.reader(lines, delimiter=delimiter)
    header = [h.strip().lower() for h in next(reader)]
    rows: list[tuple[int, dict[str, str]]] = []
    previous = reader.line_num
    for cells in reader:
        line_no, previous = previous + 1, reader.line_num  # where the record starts
        if not any(c.strip() for c in cells):
            continue
        padded = cells + [""] * (len(header) - len(cells))
        row = {h: padded[i].strip() for i, h in enumerate(header)}
        if len(cells) > len(header) and any(c.strip() for c in cells[len(header) :]):
            row["__extra__"] = delimiter.join(cells[len(header) :])
        rows.append((line_no, row))
    return header, rows


def require_header(header: list[str], required: list[str], source: str) -> None:
    missing = [h for h in required if h not in header]
    if missing:
        raise InputError(
            f"line 1: header must contain {','.join(required)}; missing {', '.join(missing)} (got {','.join(header)})",
            source=source,
        )
