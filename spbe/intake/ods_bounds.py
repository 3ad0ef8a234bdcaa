"""Reading an OpenDocument spreadsheet (.ods, LibreOffice's default) within fixed bounds, into the same
present cells as an XLSX workbook (spbe.intake.xlsx_bounds.SheetCells), so the reader judges both alike.

An .ods file is a zip whose content.xml holds every sheet, and it says how often a row or cell repeats:
LibreOffice writes the empty rest of a row as one cell repeated 1,000 times and may write a million empty
rows as one. Here:

- the zip: the same bounds as an XLSX (members, unzipped bytes, styles), and content.xml at most
  `MAX_CONTENT_BYTES` by its declared size, before odfpy (defusedxml underneath) parses anything;
- a sheet: only cells with a value exist; a repeated empty cell or row only moves the position; a repeated
  cell with a value counts once per copy against `MAX_SHEET_CELLS`, so no repeat count can make it cost more;
- a formula (`table:formula`) comes back as its text with data type "f" (refused by the reader, never
  evaluated; its cached result is not used), a link (`text:a`) as the cell's hyperlink.

Every bound refuses with a message that says what would fix it; nothing here raises anything else.
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from spbe.errors import InputError
from spbe.i18n import N_, _
from spbe.intake.xlsx_bounds import MAX_SHEET_CELLS, RawCell, SheetCells, WorkbookTooLarge, _check_members, _why
from spbe.safe_text import printable

MAX_CONTENT_BYTES = 8 * 1024 * 1024  # content.xml of a filled template is well under 1 MB
MAX_COLUMNS = 1024  # LibreOffice's sheets are 1,024 columns wide (16,384 since 7.4, never used by a template)
MAX_ROW_NUMBER = 1_048_576

NOT_ODS = N_(
    "not an .ods spreadsheet, or one saved with a password: save it in LibreOffice as an ODF Spreadsheet (.ods) "
    "without a password, or as an Excel 2007-365 workbook (.xlsx)"
)


@dataclass
class OdsBook:
    """The parsed document's sheets by name (odfpy `Table` elements)."""

    tables: dict[str, Any] = field(default_factory=dict)

    @property
    def sheetnames(self) -> list[str]:
        return list(self.tables)


@contextmanager
def open_spreadsheet(path: Path) -> Iterator[OdsBook]:
    """The sheets of `path`, after the zip-level bounds."""
    name = printable(path.name, limit=120)  # a file name is chosen by whoever sent the file
    if not zipfile.is_zipfile(path):
        raise InputError(_(NOT_ODS), source=name)
    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
            _check_members(infos, name)
            content = next((i for i in infos if i.filename == "content.xml"), None)
            if content is None or "META-INF/manifest.xml" not in {i.filename for i in infos}:
                raise InputError(_(NOT_ODS), source=name)
            if content.file_size > MAX_CONTENT_BYTES:
                raise WorkbookTooLarge(
                    f"isi lembar (content.xml) berukuran {content.file_size} byte (batas {MAX_CONTENT_BYTES}); "
                    "templat yang diisi jauh lebih kecil: salin isian ke templat baru dari `spbe template`",
                    source=name,
                )
            if b"encryption-data" in archive.read("META-INF/manifest.xml"):
                raise InputError(_(NOT_ODS), source=name)
    except InputError:
        raise
    except Exception as exc:
        raise InputError(f"{_(NOT_ODS)} ({_why(exc)})", source=name) from None
    try:
        from odf.opendocument import load
        from odf.table import Table

        document = load(str(path))
        tables = {str(t.getAttribute("name")): t for t in document.spreadsheet.getElementsByType(Table)}
    except Exception as exc:
        raise InputError(f"{_(NOT_ODS)} ({_why(exc)})", source=name) from None
    yield OdsBook(tables)


def read_sheet(
    book: OdsBook, title: str, *, name: str, max_row: int | None = None, budget: int = MAX_SHEET_CELLS
) -> SheetCells:
    """The present cells of one sheet (rows up to `max_row`), with the links inside them."""
    out = SheetCells(title)
    try:
        _walk(book.tables[title], out, name=name, max_row=max_row, budget=budget)
    except InputError:
        raise
    except Exception as exc:
        raise InputError(
            f"lembar '{title}' rusak dan tidak dapat dibaca ({_why(exc)}); simpan ulang berkasnya di LibreOffice",
            source=name,
        ) from None
    return out


def _walk(table: Any, out: SheetCells, *, name: str, max_row: int | None, budget: int) -> None:
    row_no, spent = 0, 0
    for row in _rows(table):
        repeat = _count(row.getAttribute("numberrowsrepeated"))
        cells = _present_cells(row)
        if not cells:
            row_no += repeat  # empty rows, however many, cost nothing
            continue
        for _repeat in range(repeat):
            row_no += 1
            if row_no > MAX_ROW_NUMBER:
                return
            if max_row is not None and row_no > max_row:
                out.truncated_at = row_no
                return
            spent += 1 + len(cells)
            if spent > budget:
                raise WorkbookTooLarge(
                    f"lembar '{out.title}' memuat lebih dari {budget} sel (terbaca sampai baris {row_no}); "
                    "templat ini tidak pernah sebesar itu: salin isian ke templat baru dari `spbe template`",
                    source=name,
                )
            for column, value, data_type, link in cells:
                out.rows.setdefault(row_no, []).append(RawCell(row_no, column, value, data_type))
                if link:
                    out.hyperlinks[(row_no, column)] = link


def _rows(table: Any) -> Iterator[Any]:
    """The sheet's rows in order, also those inside header-row and row-group elements."""
    for child in table.childNodes:
        kind = getattr(child, "qname", (None, None))[1]
        if kind == "table-row":
            yield child
        elif kind in ("table-header-rows", "table-row-group", "table-rows"):
            yield from _rows(child)


def _present_cells(row: Any) -> list[tuple[int, Any, str, str | None]]:
    """(column, value, data type, link) of the cells with a value, a repeated one once per copy."""
    out: list[tuple[int, Any, str, str | None]] = []
    column = 0
    for cell in row.childNodes:
        kind = getattr(cell, "qname", (None, None))[1]
        if kind not in ("table-cell", "covered-table-cell"):
            continue
        repeat = _count(cell.getAttribute("numbercolumnsrepeated"))
        value, data_type, link = _value(cell)
        if value is None:
            column += repeat
            continue
        for _repeat in range(repeat):
            column += 1
            if column > MAX_COLUMNS:
                return out
            out.append((column, value, data_type, link))
    return out


def _value(cell: Any) -> tuple[Any, str, str | None]:
    """A cell's stored value (never a formula's cached result), its data type as openpyxl's, its link."""
    text, link = _text(cell)
    formula = cell.getAttribute("formula")
    if formula:
        return str(formula), "f", None
    kind = cell.getAttribute("valuetype")
    if kind in ("float", "percentage", "currency"):
        return _number(cell.getAttribute("value"), text), "n", link
    if kind == "boolean":
        return str(cell.getAttribute("booleanvalue")).lower() == "true", "b", link
    if kind == "date":
        raw = str(cell.getAttribute("datevalue") or "")
        try:
            return datetime.fromisoformat(raw), "d", link
        except ValueError:
            return text or raw, "s", link
    if kind == "time":
        return text, "s", link
    return (text if text != "" else None), "s", link


def _number(raw: object, text: str) -> Any:
    try:
        number = Decimal(str(raw))
    except (InvalidOperation, ValueError):
        return text
    if not number.is_finite():
        return text
    return int(number) if number == number.to_integral_value() else float(number)


def _text(cell: Any) -> tuple[str, str | None]:
    """The cell's paragraphs as one text (a new line between them), and the first link target inside."""
    paragraphs: list[str] = []
    links: list[str] = []
    for child in cell.childNodes:
        if getattr(child, "qname", (None, None))[1] in ("p", "h"):
            paragraphs.append(_inline(child, links))
    return "\n".join(paragraphs), (links[0] if links else None)


def _inline(node: Any, links: list[str]) -> str:
    parts: list[str] = []
    for child in node.childNodes:
        if child.nodeType == child.TEXT_NODE:
            parts.append(str(child.data))
            continue
        kind = getattr(child, "qname", (None, None))[1]
        if kind == "s":
            parts.append(" " * min(_count(child.getAttribute("c")), 1000))
        elif kind == "tab":
            parts.append("\t")
        elif kind == "line-break":
            parts.append("\n")
        elif kind in ("annotation", "note"):
            continue  # a comment on the cell is not its value
        else:
            if kind == "a" and child.getAttribute("href"):
                links.append(str(child.getAttribute("href")))
            parts.append(_inline(child, links))
    return "".join(parts)


def _count(raw: object) -> int:
    try:
        return max(1, int(str(raw))) if raw not in (None, "") else 1
    except ValueError:
        return 1
