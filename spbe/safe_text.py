"""Text that crosses a trust boundary: what people typed going out into spreadsheets, and what remote servers
answered going onto a terminal, into the store or into a notice.

Formula injection. A cell that starts with `=`, `+`, `-` or `@` (or a tab or carriage return, or the
full-width forms some spreadsheet apps also accept) can be evaluated as a formula when a file is opened
("CSV/formula injection": `=HYPERLINK(...)` phishing, `=cmd|...` DDE). The engine stores such text exactly
as typed and neutralises it on the way out: in an XLSX file as a text cell with Excel's own "quote prefix"
style (the value itself is unchanged), in a CSV file with a leading apostrophe, which Excel and LibreOffice
treat as "this is text". The template records which CSV cells it neutralised, so that the importer strips
exactly those apostrophes and never one a person typed (spbe.intake.reader).

Terminal escapes. An error body from a webhook, an SMTP reply or a link check is chosen by whoever runs
that server. Printed raw, `ESC ] 52 ; ...` can write the operator's clipboard and `ESC [ 2 J` wipes the
screen; stored raw it does the same later, from the audit trail or a dead-letter notice. `printable` keeps
the words and drops the control sequences.
"""

from __future__ import annotations

import re

FORMULA_TRIGGERS = frozenset("=+-@\t\r\uff1d\uff0b\uff0d\uff20")

# ESC-introduced sequences (CSI `ESC [`, OSC `ESC ]` up to BEL or ST, DCS/SOS/PM/APC up to ST, two-byte
# escapes) and their 8-bit C1 forms (CSI U+009B, OSC U+009D, ...).
_ESCAPES = re.compile(
    r"""
    (?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]                       # CSI ... final byte
  | (?:\x1b[\]PX^_]|[\x90\x98\x9d\x9e\x9f]).*?(?:\x07|\x1b\\|\x9c|$)  # OSC/DCS/SOS/PM/APC ... BEL or ST
  | \x1b[ -/]*[0-~]                                       # any other escape sequence
    """,
    re.VERBOSE | re.DOTALL,
)
# C0 and C1 controls, DEL, and the bidirectional overrides that reorder what a terminal or mail client shows.
_CONTROLS = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def printable(text: object, *, limit: int | None = 500) -> str:
    """One line of text safe to print or store: escape sequences removed, other controls and line breaks
    turned into spaces, whitespace collapsed, at most `limit` characters (an ellipsis marks a cut)."""
    if text is None:
        return ""
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    clean = _CONTROLS.sub(" ", _ESCAPES.sub("", str(text)))
    clean = " ".join(clean.split())
    if limit is not None and len(clean) > limit:
        return clean[: limit - 1] + "…"
    return clean


def is_formula_like(text: str) -> bool:
    return bool(text) and text[0] in FORMULA_TRIGGERS


def neutralise_formula(text: str) -> str:
    """The text with a leading apostrophe when a spreadsheet could read it as a formula; else unchanged."""
    return "'" + text if is_formula_like(text) else text


def restore_neutralised(text: str) -> str:
    """Undo `neutralise_formula` (only an apostrophe before a trigger). For text read back from a cell the
    template is known to have neutralised, never for text a person typed."""
    if len(text) >= 2 and text[0] == "'" and text[1] in FORMULA_TRIGGERS:
        return text[1:]
    return text


def safe_cell(value: object) -> object:
    """Neutralise strings, pass numbers, dates and None through: for writing any cell of a CSV export, or
    an XLSX one that has no quote-prefix style of its own (see `write_text_cell`)."""
    return neutralise_formula(value) if isinstance(value, str) else value


def write_text_cell(cell, value: object) -> None:
    """Set an openpyxl cell so that it can never be read as a formula: formula-like strings become text cells
    with Excel's quote prefix (what typing `'=...` in Excel gives), so the value itself is exactly the text."""
    cell.value = value
    if isinstance(value, str) and is_formula_like(value):
        cell.data_type = "s"
        cell.quotePrefix = True
