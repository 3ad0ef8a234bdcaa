"""Reading a filled-in template (XLSX or CSV) into plain rows, each cell knowing where it came from.

Cells are read as the values stored in the file and never evaluated: a formula cell is refused (its text
is not what the person saw, and its cached result may be stale or forged), as is an error value. The
reader checks the file's shape (sheets, headers, sizes) and lists every problem at once; the values
themselves are judged by the importer.
"""

from __future__ import annotations

import hashlib
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from spbe.csvio import read_rows
from spbe.errors import InputError
from spbe.intake import layout as L
from spbe.intake.values import MAX_CELL

MAX_FILE_BYTES = 10 * 1024 * 1024
MAX_UNZIPPED_BYTES = 20 * 1024 * 1024  # a zip bomb stops here, before openpyxl inflates it (a template is ~30 KB)


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
    if not path.is_file():
        raise InputError(f"no such file: {path}")
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise InputError(f"the file is {size} bytes; the limit is {MAX_FILE_BYTES}", source=path.name)
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return _read_csv(path, digest)
    if suffix == ".xlsx":
        return _read_xlsx(path, digest)
    raise InputError(
        f"cannot import {suffix or 'a file without extension'}: use the .xlsx template or its .csv form "
        "(old .xls and .xlsm files are not accepted; save as .xlsx)",
        source=path.name,
    )


def is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _read_xlsx(path: Path, digest: str) -> RawFile:
    name = path.name
    not_xlsx = (
        "not an .xlsx workbook; password-protected workbooks and old .xls files cannot be read: "
        "save it as an Excel Workbook (.xlsx) without a password"
    )
    if not zipfile.is_zipfile(path):
        raise InputError(not_xlsx, source=name)
    with zipfile.ZipFile(path) as archive:
        unzipped = sum(i.file_size for i in archive.infolist())
    if unzipped > MAX_UNZIPPED_BYTES:
        raise InputError(f"the workbook unpacks to {unzipped} bytes; the limit is {MAX_UNZIPPED_BYTES}", source=name)

    from openpyxl import load_workbook

    try:
        # data_only=False: a formula comes back as its text (data_type "f") and is refused below; its cached
        # result is never used.
        wb = load_workbook(path, read_only=False, data_only=False, keep_links=False, keep_vba=False)
    except Exception as exc:  # openpyxl raises many types for a damaged file
        raise InputError(f"{not_xlsx} ({exc.__class__.__name__}: {str(exc)[:200]})", source=name) from None
    try:
        if L.META_SHEET not in wb.sheetnames:
            raise InputError(
                "this workbook is not an SPBE template (no template metadata); fill in a template issued with "
                "`spbe template`",
                source=name,
            )
        meta_ws = wb[L.META_SHEET]
        meta: dict[str, str] = {}
        for key_cell, value_cell in meta_ws.iter_rows(min_row=1, max_row=20, max_col=2):
            if isinstance(key_cell.value, str) and value_cell.value is not None:
                meta[key_cell.value.strip()] = str(value_cell.value).strip()
        kind = meta.get("kind", "")
        if kind not in L.KINDS:
            raise InputError(
                f"sheet '{L.META_SHEET}': template kind {kind!r} is unknown; issue a fresh template", source=name
            )
        sheet = L.DATA_SHEET[kind]
        if sheet not in wb.sheetnames:
            raise InputError(f"the sheet '{sheet}' is missing; do not rename the template's sheets", source=name)
        rows = _xlsx_rows(wb[sheet], kind, name)
    finally:
        wb.close()
    return RawFile(name, digest, meta, f"sheet '{L.META_SHEET}'", kind, rows)


def _xlsx_rows(ws, kind: str, name: str) -> list[Row]:
    from openpyxl.utils import get_column_letter

    sheet = ws.title
    problems: list[str] = []
    if ws.max_row > L.MAX_ROWS + 1:
        raise InputError(
            f"sheet '{sheet}' has {ws.max_row - 1} rows; a template holds at most {L.MAX_ROWS}", source=name
        )
    headers = _headers(kind)
    columns: dict[int, str] = {}
    for cell in ws[1]:
        text = cell.value
        letter = get_column_letter(cell.column)
        if is_blank(text):
            continue
        key = headers.get(str(text).strip().casefold())
        if key is None:
            problems.append(
                f"sheet '{sheet}' column {letter}: header {str(text)[:60]!r} is not a template column; "
                "remove the column or issue a fresh template"
            )
        else:
            columns[cell.column] = key
    missing = [L.column(kind, k).label for k in L.READ[kind] if k not in columns.values()]
    if missing:
        problems.append(f"sheet '{sheet}' row 1: missing column(s) {', '.join(missing)}; do not rename headers")
    labels = {c.key: c.label for c in L.COLUMNS[kind]}
    rows: list[Row] = []
    for cells in ws.iter_rows(min_row=2, max_row=ws.max_row):
        if not cells:
            continue
        row_no = cells[0].row
        row = Row(f"sheet '{sheet}' row {row_no}")
        for cell in cells:
            value = cell.value
            key = columns.get(cell.column)
            if value is None and key is None:
                continue
            letter = get_column_letter(cell.column)
            where = f"sheet '{sheet}' row {row_no}, column {letter}" + (f" ({labels[key]})" if key else "")
            if value is None:
                row.cells[key] = Cell(None, where)
                continue
            if cell.data_type == "f" or type(value).__name__ in ("ArrayFormula", "DataTableFormula"):
                text = value if isinstance(value, str) else getattr(value, "text", "") or ""
                problems.append(
                    f"{where}: holds a formula ({str(text)[:60]}); formulas are not evaluated: type the value itself"
                )
                continue
            if cell.data_type == "e":
                problems.append(f"{where}: holds the error value {value}; type the value itself")
                continue
            if isinstance(value, str) and len(value) > MAX_CELL:
                problems.append(f"{where}: has {len(value)} characters; no cell may exceed {MAX_CELL}")
                continue
            if key is None:
                if not is_blank(value):
                    problems.append(f"{where}: has a value outside the template's columns; remove it")
                continue
            link = cell.hyperlink.target if cell.hyperlink is not None and cell.hyperlink.target else None
            row.cells[key] = Cell(value, where, link)
        if any(not is_blank(c.value) for c in row.cells.values()):
            rows.append(row)
    if problems:
        raise InputError(problems, source=name)
    return rows


def _read_csv(path: Path, digest: str) -> RawFile:
    name = path.name
    header, records = read_rows(path)  # refuses non-UTF-8 with the byte offset
    problems: list[str] = []
    meta_keys = set(L.CSV_META)
    missing_meta = [k for k in L.CSV_META if k not in header]
    if missing_meta:
        raise InputError(
            f"line 1: the template metadata columns are missing ({', '.join(missing_meta)}); import the .xlsx "
            "template, or a CSV written by `spbe template --out FILE.csv`",
            source=name,
        )
    meta: dict[str, str] = {}
    for line, record in records:
        values = {L.CSV_META[k]: record.get(k, "") for k in meta_keys}
        if not meta:
            meta = values
        elif values != meta:
            problems.append(f"line {line}: template metadata differs from line {records[0][0]}; do not edit it")
    if not records:
        raise InputError("the file has a header but no rows", source=name)
    kind = meta.get("kind", "")
    if kind not in L.KINDS:
        raise InputError(
            f"line {records[0][0]}: template kind {kind!r} is unknown; issue a fresh template", source=name
        )
    if len(records) > L.MAX_ROWS:
        raise InputError(f"{len(records)} rows; a template holds at most {L.MAX_ROWS}", source=name)
    headers = _headers(kind)
    columns: dict[str, str] = {}
    for h in header:
        if not h or h in meta_keys:
            continue
        key = headers.get(h.casefold())
        if key is None:
            problems.append(f"line 1: column {h[:60]!r} is not a template column; remove it")
        else:
            columns[h] = key
    missing = [k for k in L.READ[kind] if k not in columns.values()]
    if missing:
        problems.append(f"line 1: missing column(s) {', '.join(missing)}")
    rows: list[Row] = []
    for line, record in records:
        if "__extra__" in record:
            problems.append(f"line {line}: more cells than header columns; check the separators")
        row = Row(f"line {line}")
        for h, key in columns.items():
            value = record.get(h, "")
            where = f"line {line}, column '{h}'"
            if len(value) > MAX_CELL:
                problems.append(f"{where}: has {len(value)} characters; no cell may exceed {MAX_CELL}")
                continue
            row.cells[key] = Cell(value, where)
        rows.append(row)
    if problems:
        raise InputError(problems, source=name)
    return RawFile(name, digest, meta, f"line {records[0][0]} (template_* columns)", kind, rows)


def _headers(kind: str) -> dict[str, str]:
    return L.header_map(kind)
