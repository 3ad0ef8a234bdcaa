"""Where a problem is: the place every import message starts with, in the reader's language.

The portal splits these back into its Baris and Kolom columns (spbe.portal.problems), so each translation
keeps the shape of its msgid: the sheet quoted, then the row number, then the column letter or quoted header.
"""

from __future__ import annotations

from spbe.i18n import _


def sheet(name: str) -> str:
    # TRANSLATORS: keep the quotes; the portal reads this shape (spbe.portal.problems)
    return _("sheet '{sheet}'").format(sheet=name)


def sheet_row(name: str, row: int) -> str:
    # TRANSLATORS: keep the quotes and the order; the portal reads this shape (spbe.portal.problems)
    return _("sheet '{sheet}' row {row}").format(sheet=name, row=row)


def sheet_cell(name: str, row: int, column: str, label: str | None = None) -> str:
    """"sheet 'Penilaian Mandiri' row 5, column F (Level diklaim)"; the label is the template's header."""
    # TRANSLATORS: keep the quotes and the order; the portal reads this shape (spbe.portal.problems)
    where = _("sheet '{sheet}' row {row}, column {column}").format(sheet=name, row=row, column=column)
    return f"{where} ({label})" if label else where


def line(number: int) -> str:
    # TRANSLATORS: a line of a CSV file; the portal reads this shape (spbe.portal.problems)
    return _("line {line}").format(line=number)


def line_cell(number: int, header: str) -> str:
    # TRANSLATORS: keep the quotes around the header; the portal reads this shape (spbe.portal.problems)
    return _("line {line}, column '{column}'").format(line=number, column=header)
