"""Reading the CSV files people actually send: Excel in an Indonesian locale writes semicolons and a BOM."""

from __future__ import annotations

import csv
from pathlib import Path

from spbe.errors import InputError
from spbe.i18n import _
from spbe.safe_text import printable

MAX_CSV_BYTES = 20 * 1024 * 1024
MAX_FIELDS = 20_000  # separators on one physical line: a line of a million ";" is a million-item list


def read_rows(path: Path) -> tuple[list[str], list[tuple[int, dict[str, str]]]]:
    """Return the normalised header and (line number, row) pairs.

    Accepts comma or semicolon, UTF-8 with or without BOM. Header names are stripped and lower-cased.
    A file that is not UTF-8 is refused with the byte offset, never guessed at.
    """
    name = printable(path.name, limit=120)  # a file name is chosen by whoever sent the file
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise InputError(
            _("cannot read the file: {reason}").format(reason=exc.strerror), source=printable(path, limit=300)
        ) from None
    if len(raw) > MAX_CSV_BYTES:
        raise InputError(
            _("the file is {size} bytes; the limit is {limit}").format(size=len(raw), limit=MAX_CSV_BYTES), source=name
        )
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(
            _(
                "not UTF-8 text (invalid byte at offset {offset}); save it as 'CSV UTF-8' in Excel, or in "
                "LibreOffice as 'Text CSV' with 'Edit filter settings' ticked and character set 'Unicode (UTF-8)' "
                "(or import the .xlsx or .ods file itself)"
            ).format(offset=exc.start),
            source=name,
        ) from None
    lines = text.splitlines(keepends=True)  # ends kept: a quoted cell may span lines (Alt+Enter in Excel)
    if not lines or not lines[0].strip():
        raise InputError(_("the file is empty; a header line was expected"), source=name)
    first = lines[0]
    delimiter = ";" if first.count(";") > first.count(",") else ","
    crowded = next((i for i, line in enumerate(lines, start=1) if line.count(delimiter) > MAX_FIELDS), None)
    if crowded is not None:
        raise InputError(
            _("line {line}: more than {limit} separators {separator}; this is not an intact form file").format(
                line=crowded, limit=MAX_FIELDS, separator=repr(delimiter)
            ),
            source=name,
        )
    # strict: a quote left open or text after a closing quote is an error with its line, never a silent
    # merge of the rest of the file into one cell. The field limit is the file's own limit for the while:
    # an over-long cell is then refused by name (row and column) by the caller's cell limit.
    reader = csv.reader(lines, delimiter=delimiter, strict=True)
    rows: list[tuple[int, dict[str, str]]] = []
    start = 1
    previous_limit = csv.field_size_limit(MAX_CSV_BYTES)
    try:
        header = [h.strip().lower() for h in next(reader)]
        _refuse_repeated(header, name)
        previous = reader.line_num
        start = previous + 1
        for cells in reader:
            line_no, previous = previous + 1, reader.line_num  # where the record starts
            start = previous + 1
            if not any(c.strip() for c in cells):
                continue
            padded = cells + [""] * (len(header) - len(cells))
            row = {h: padded[i].strip() for i, h in enumerate(header)}
            if len(cells) > len(header) and any(c.strip() for c in cells[len(header) :]):
                row["__extra__"] = delimiter.join(cells[len(header) :])
            rows.append((line_no, row))
    except csv.Error as exc:  # a quote left open, text after a closing quote, ...
        why = str(exc)
        detail = printable(why, limit=80)
        hint = (
            _('a quote (") that was opened is never closed')
            if "unexpected end of data" in why
            else _("a cell is too long")
            if "field larger than field limit" in why
            else _("unpaired quote ({detail})").format(detail=detail)
            if "expected after" in why
            else _("broken CSV format ({detail})").format(detail=detail)
        )
        raise InputError(
            _("line {line}: {hint}; check the quotes on that line").format(line=start, hint=hint), source=name
        ) from None
    finally:
        csv.field_size_limit(previous_limit)
    return header, rows


def _refuse_repeated(header: list[str], source: str) -> None:
    """A column named twice: whichever copy won would be a silent choice, so neither does."""
    seen: dict[str, int] = {}
    problems = []
    for i, h in enumerate(header, start=1):
        if h and h in seen:
            problems.append(
                _("line 1: column {column} appears twice (columns {first} and {second}); delete one of them").format(
                    column=repr(h[:60]), first=seen[h], second=i
                )
            )
        seen.setdefault(h, i)
    if problems:
        raise InputError(problems, source=source)


def require_header(header: list[str], required: list[str], source: str) -> None:
    missing = [h for h in required if h not in header]
    if missing:
        raise InputError(
            _("line 1: the header must contain {required}; missing {missing} (found {found})").format(
                required=",".join(required), missing=", ".join(missing), found=",".join(header)
            ),
            source=source,
        )
