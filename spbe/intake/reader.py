"""Reading a filled-in template (XLSX, ODS or CSV) into plain rows, each cell knowing where it came from.

Cells are read as the values stored in the file and never evaluated: a formula cell is refused (its text
is not what the person saw, and its cached result may be stale or forged), as is an error value. The
reader checks the file's shape (sheets, headers, sizes) and lists every problem at once; the values
themselves are judged by the importer. An XLSX file is read within fixed bounds (spbe.intake.xlsx_bounds),
so its size on disk says nothing about what reading it may cost; a header that appears twice is refused
rather than letting one copy silently win.

Formula-like text comes back exactly as it was stored: XLSX templates hold it with Excel's quote prefix
(nothing to undo), and a CSV template records which cells it gave an apostrophe, so that only those are
stripped; an apostrophe a person typed stays (spbe.safe_text).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from spbe.csvio import read_rows
from spbe.errors import InputError
from spbe.i18n import _
from spbe.intake import layout as L
from spbe.intake import places
from spbe.intake.values import MAX_CELL, shown
from spbe.intake.xlsx_bounds import SheetCells, open_workbook, read_sheet
from spbe.safe_text import printable, restore_neutralised

MAX_FILE_BYTES = 10 * 1024 * 1024
MAX_PROBLEMS = 100  # listed at once; a file with more is refused with the first hundred


@dataclass
class Cell:
    value: Any
    where: str  # e.g. "sheet 'Penilaian Mandiri' row 5, column F (Level diklaim)"
    hyperlink: str | None = None


@dataclass
class Row:
    where: str  # e.g. "sheet 'Penilaian Mandiri' row 5" or "line 5"
    cells: dict[str, Cell] = field(default_factory=dict)

    def value(self, key: str) -> Any:
        cell = self.cells.get(key)
        return cell.value if cell else None

    def at(self, key: str) -> str:
        cell = self.cells.get(key)
        return cell.where if cell else self.where


@dataclass
class RawFile:
    name: str
    sha256: str
    meta: dict[str, str]
    meta_where: str
    kind: str
    rows: list[Row]


def read_file(path: Path) -> RawFile:
    shown_name = printable(path.name, limit=120)  # a file name is chosen by whoever sent the file
    if not path.is_file():
        raise InputError(_("no such file: {path}").format(path=printable(path, limit=300)))
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise InputError(
            _("the file is {size} bytes; the limit is {limit}").format(size=size, limit=MAX_FILE_BYTES),
            source=shown_name,
        )
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return _read_csv(path, digest)
    if suffix == ".xlsx":
        return _read_xlsx(path, digest)
    if suffix == ".ods":
        return _read_ods(path, digest)
    raise InputError(
        _(
            "cannot import {suffix}: use the .xlsx template (or save it from LibreOffice as .ods) or its .csv form "
            "(old .xls and .xlsm files are not accepted; save as .xlsx or .ods)"
        ).format(suffix=suffix or _("a file without extension")),
        source=shown_name,
    )


def is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _read_xlsx(path: Path, digest: str) -> RawFile:
    return _read_workbook(path, digest, open_workbook, read_sheet)


def _read_ods(path: Path, digest: str) -> RawFile:
    """The same template saved by LibreOffice as .ods: the same sheets, read within the same bounds."""
    from spbe.intake import ods_bounds

    return _read_workbook(path, digest, ods_bounds.open_spreadsheet, ods_bounds.read_sheet)


def _read_workbook(path: Path, digest: str, open_workbook, read_sheet) -> RawFile:
    name = printable(path.name, limit=120)  # a file name is chosen by whoever sent the file
    with open_workbook(path) as wb:
        if L.META_SHEET not in wb.sheetnames:
            raise InputError(
                _(
                    "this workbook is not an SPBE template (no template metadata); fill in a template issued with "
                    "`spbe template`"
                ),
                source=name,
            )
        meta: dict[str, str] = {}
        for cells in read_sheet(wb, L.META_SHEET, name=name, max_row=20, budget=200).rows.values():
            by_column = {c.column: c.value for c in cells}
            key, value = by_column.get(1), by_column.get(2)
            if isinstance(key, str) and value is not None:
                meta[key.strip()] = str(value).strip()
        kind = meta.get("kind", "")
        if kind not in L.KINDS:
            raise InputError(
                _("{where}: template kind {kind} is unknown; issue a fresh template").format(
                    where=places.sheet(L.META_SHEET), kind=shown(kind)
                ),
                source=name,
            )
        sheet = L.DATA_SHEET[kind]
        if sheet not in wb.sheetnames:
            raise InputError(
                _("the sheet '{sheet}' is missing; do not rename the template's sheets").format(sheet=sheet),
                source=name,
            )
        legacy = meta.get("neutralised") != L.NEUTRALISED
        rows = _xlsx_rows(read_sheet(wb, sheet, name=name), kind, name, legacy_apostrophes=legacy)
    return RawFile(name, digest, meta, places.sheet(L.META_SHEET), kind, rows)


def _xlsx_rows(data: SheetCells, kind: str, name: str, *, legacy_apostrophes: bool) -> list[Row]:
    from openpyxl.utils import get_column_letter

    sheet = data.title
    problems: list[str] = []
    headers = _headers(kind)
    columns: dict[int, str] = {}
    first_column: dict[str, str] = {}  # key → the letter of its first header
    for cell in data.rows.get(1, []):
        letter = get_column_letter(cell.column)
        if is_blank(cell.value):
            continue
        key = headers.get(str(cell.value).strip().casefold())
        if key is None:
            problems.append(
                _("{where}: header {header} is not a template column; remove the column or issue a fresh template")
                .format(where=places.sheet_cell(sheet, 1, letter), header=shown(cell.value, 60))
            )
        elif key in first_column:
            problems.append(
                _(
                    "{where}: the column {header} is already in column {first}; delete one of them (hidden columns "
                    "count too)"
                ).format(
                    where=places.sheet_cell(sheet, 1, letter), header=shown(cell.value, 60), first=first_column[key]
                )
            )
        else:
            columns[cell.column] = key
            first_column[key] = letter
    missing = [L.column(kind, k).label for k in L.READ[kind] if k not in columns.values()]
    if missing:
        problems.append(
            _("{where}: missing column(s) {columns}; do not rename headers").format(
                where=places.sheet_row(sheet, 1), columns=", ".join(missing)
            )
        )
    labels = {c.key: c.label for c in L.COLUMNS[kind]}
    rows: list[Row] = []
    for row_no in sorted(r for r in data.rows if r > 1):
        cells = data.rows[row_no]
        if row_no > L.MAX_ROWS + 1:
            filled = next((c for c in cells if not is_blank(c.value)), None)
            if filled is not None:
                problems.append(
                    _(
                        "{where}: beyond the template's limit ({limit} rows to fill in); clear the rows below the "
                        "list of indicators"
                    ).format(where=places.sheet_cell(sheet, row_no, get_column_letter(filled.column)), limit=L.MAX_ROWS)
                )
                break
            continue
        row = Row(places.sheet_row(sheet, row_no))
        for cell in cells:
            value = cell.value
            key = columns.get(cell.column)
            if value is None and key is None:
                continue
            letter = get_column_letter(cell.column)
            where = places.sheet_cell(sheet, row_no, letter, labels[key] if key else None)
            if value is None:
                row.cells[key] = Cell(None, where)
                continue
            if cell.data_type == "f" or type(value).__name__ in ("ArrayFormula", "DataTableFormula"):
                text = value if isinstance(value, str) else getattr(value, "text", "") or ""
                problems.append(
                    _("{where}: holds a formula ({formula}); formulas are not evaluated: type the value itself").format(
                        where=where, formula=printable(text, limit=60)
                    )
                )
                continue
            if cell.data_type == "e":
                problems.append(
                    _("{where}: holds the error value {value}; type the value itself").format(
                        where=where, value=printable(value, limit=20)
                    )
                )
                continue
            if isinstance(value, str) and len(value) > MAX_CELL:
                problems.append(_too_long(where, value))
                continue
            if key is None:
                if not is_blank(value):
                    problems.append(
                        _("{where}: has a value outside the template's columns; remove it").format(where=where)
                    )
                continue
            if legacy_apostrophes and isinstance(value, str) and key in L.INPUTS[kind]:
                value = restore_neutralised(value)  # a file issued before quote-prefix cells (see layout)
            row.cells[key] = Cell(value, where, data.hyperlinks.get((row_no, cell.column)))
        for column_no, key in columns.items():  # empty template cells too: every problem names its column
            if key not in row.cells:
                where = places.sheet_cell(sheet, row_no, get_column_letter(column_no), labels[key])
                row.cells[key] = Cell(None, where)
        if any(not is_blank(c.value) for c in row.cells.values()):
            rows.append(row)
        if len(problems) > MAX_PROBLEMS:
            break
    if problems:
        raise InputError(_capped(problems), source=name)
    return rows


def _read_csv(path: Path, digest: str) -> RawFile:
    name = printable(path.name, limit=120)  # a file name is chosen by whoever sent the file
    header, records = read_rows(path)  # refuses non-UTF-8 with the byte offset, duplicate headers, csv errors
    problems: list[str] = []
    meta_keys = set(L.CSV_META)
    missing_meta = [k for k in L.CSV_META if k not in header]
    if missing_meta:
        raise InputError(
            _(
                "{where}: the template metadata columns are missing ({columns}); import the .xlsx template, or a CSV "
                "written by `spbe template --out FILE.csv`"
            ).format(where=places.line(1), columns=", ".join(missing_meta)),
            source=name,
        )
    meta: dict[str, str] = {}
    for line, record in records:
        values = {L.CSV_META[k]: record.get(k, "") for k in meta_keys}
        if not meta:
            meta = values
        elif values != meta:
            problems.append(
                _("{where}: template metadata differs from line {first}; do not edit it").format(
                    where=places.line(line), first=records[0][0]
                )
            )
    if not records:
        raise InputError(_("the file has a header but no rows"), source=name)
    kind = meta.get("kind", "")
    if kind not in L.KINDS:
        raise InputError(
            _("{where}: template kind {kind} is unknown; issue a fresh template").format(
                where=places.line(records[0][0]), kind=shown(kind)
            ),
            source=name,
        )
    if len(records) > L.MAX_ROWS:
        raise InputError(
            _("{count} rows; a template holds at most {limit}").format(count=len(records), limit=L.MAX_ROWS),
            source=name,
        )
    headers = _headers(kind)
    columns: dict[str, str] = {}
    first: dict[str, str] = {}
    for h in header:
        if not h or h in meta_keys or h == L.CSV_NEUTRALISED:
            continue
        key = headers.get(h.casefold())
        if key is None:
            problems.append(
                _("{where}: column {header} is not a template column; remove it").format(
                    where=places.line(1), header=shown(h, 60)
                )
            )
        elif key in first:
            problems.append(
                _("{where}: the columns {header} and {first} both hold {key}; delete one of them").format(
                    where=places.line(1), header=shown(h, 60), first=shown(first[key], 60), key=key
                )
            )
        else:
            columns[h] = key
            first[key] = h
    missing = [k for k in L.READ[kind] if k not in columns.values()]
    if missing:
        problems.append(
            _("{where}: missing column(s) {columns}").format(where=places.line(1), columns=", ".join(missing))
        )
    legacy = L.CSV_NEUTRALISED not in header
    rows: list[Row] = []
    for line, record in records:
        if "__extra__" in record:
            problems.append(
                _("{where}: more cells than header columns; check the separators").format(where=places.line(line))
            )
        quoted = neutralised_cells(record.get(L.CSV_NEUTRALISED, ""))
        row = Row(places.line(line))
        for h, key in columns.items():
            value = record.get(h, "")
            where = places.line_cell(line, h)
            if len(value) > MAX_CELL:
                problems.append(_too_long(where, value))
                continue
            if legacy:
                value = restore_neutralised(value) if key in L.INPUTS[kind] else value
            elif key in quoted and value.startswith("'") and text_digest(value[1:]) == quoted[key]:
                value = value[1:]  # the apostrophe the template added to exactly this text
            row.cells[key] = Cell(value, where)
        rows.append(row)
        if len(problems) > MAX_PROBLEMS:
            break
    if problems:
        raise InputError(_capped(problems), source=name)
    return RawFile(
        name, digest, meta, _("{where} (template_* columns)").format(where=places.line(records[0][0])), kind, rows
    )


def text_digest(text: str) -> str:
    """A short digest of a cell's text, recorded by the CSV template for every cell it neutralised."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def neutralised_cells(text: str) -> dict[str, str]:
    """`template_neutralised` of one row: "explanation:3f2a... note:9c1b..." → {key: digest}."""
    out: dict[str, str] = {}
    for pair in text.split():
        key, _, digest = pair.partition(":")
        if key and digest:
            out[key] = digest
    return out


def _capped(problems: list[str]) -> list[str]:
    if len(problems) <= MAX_PROBLEMS:
        return problems
    return [
        *problems[:MAX_PROBLEMS],
        _("... and {count} more problems; fix the ones above first").format(count=len(problems) - MAX_PROBLEMS),
    ]


def _too_long(where: str, value: str) -> str:
    return _("{where}: has {length} characters; no cell may exceed {limit}").format(
        where=where, length=len(value), limit=MAX_CELL
    )


def _headers(kind: str) -> dict[str, str]:
    return L.header_map(kind)
