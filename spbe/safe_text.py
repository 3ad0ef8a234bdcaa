"""Text that people typed, written back into spreadsheets and CSV files without becoming a formula.

A cell that starts with `=`, `+`, `-` or `@` (or a tab or carriage return, or the full-width forms some
spreadsheet apps also accept) can be evaluated as a formula when a file is opened ("CSV/formula
injection": `=HYPERLINK(...)` phishing, `=cmd|...` DDE). The engine stores such text exactly as typed
and neutralises it on the way out with a leading apostrophe, which Excel and LibreOffice treat as
"this is text" even after the cell is edited. Importing a file we issued strips that apostrophe again,
so a round trip does not change the text (and so does not create a new version).
"""

from __future__ import annotations

FORMULA_TRIGGERS = frozenset("=+-@\t\r\uff1d\uff0b\uff0d\uff20")


def is_formula_like(text: str) -> bool:
    return bool(text) and text[0] in FORMULA_TRIGGERS


def neutralise_formula(text: str) -> str:
    """The text with a leading apostrophe when a spreadsheet could read it as a formula; else unchanged."""
    return "'" + text if is_formula_like(text) else text


def restore_neutralised(text: str) -> str:
    """Undo `neutralise_formula` on text read back from a file we wrote (only an apostrophe before a trigger)."""
    if len(text) >= 2 and text[0] == "'" and text[1] in FORMULA_TRIGGERS:
        return text[1:]
    return text


def safe_cell(value: object) -> object:
    """Neutralise strings, pass numbers, dates and None through: for writing any cell of an export."""
    return neutralise_formula(value) if isinstance(value, str) else value
