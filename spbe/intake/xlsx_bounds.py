"""Reading an XLSX workbook within fixed bounds, whatever the file claims about itself.

An XLSX file is a zip of XML parts, and a 9 KB file can describe a sheet of 16,384 columns by a million
rows. openpyxl's normal mode builds every cell of a hyperlink or merge range and `iter_rows` pads every row
to the widest one, so one cell at XFD1 and one at A2001 cost 4 GB. Here:

- the zip: at most `MAX_MEMBERS` parts and `MAX_UNZIPPED_BYTES` in all, by the sizes the zip declares
  (a real bound: `zipfile` stops reading at the declared size and fails the CRC check of a part that lies);
- the shared strings: at most `MAX_SHARED_STRINGS`, counted while streaming, before openpyxl loads them;
  the style sheet at most `MAX_STYLES_BYTES`;
- a sheet: openpyxl's read-only mode (nothing is loaded until read), walked with its own streaming parser
  so that only the cells present in the file ever exist, at most `MAX_SHEET_CELLS` of them, and hyperlinks
  bound to present cells only (a range is never expanded).

Every bound refuses with a message that says what would fix it; nothing here raises anything else.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from spbe.errors import InputError
from spbe.i18n import N_, _
from spbe.intake import places
from spbe.safe_text import printable

MAX_MEMBERS = 300
MAX_UNZIPPED_BYTES = 20 * 1024 * 1024  # a zip bomb stops here, before anything is inflated (a template is ~30 KB)
MAX_STYLES_BYTES = 4 * 1024 * 1024
MAX_SHARED_STRINGS = 50_000
MAX_SHEET_CELLS = 60_000  # cells and rows present in one sheet; a full template has ~2,000 x 12

NOT_XLSX = N_(
    "not an .xlsx workbook; password-protected workbooks and old .xls files cannot be read: "
    "save it as an Excel Workbook (.xlsx) without a password"
)


@dataclass(frozen=True)
class RawCell:
    row: int
    column: int
    value: Any
    data_type: str  # openpyxl's: n, s, b, d, e, f (a formula: never evaluated)


@dataclass
class SheetCells:
    title: str
    rows: dict[int, list[RawCell]] = field(default_factory=dict)  # row number → its present cells
    hyperlinks: dict[tuple[int, int], str] = field(default_factory=dict)  # (row, column) → target
    truncated_at: int | None = None  # the first row not read (max_row reached)


class WorkbookTooLarge(InputError):
    """A bound of this module was exceeded; the message names the bound and what to do."""


@contextmanager
def open_workbook(path: Path) -> Iterator[Any]:
    """openpyxl's read-only workbook for `path`, after the zip-level bounds; closed on exit."""
    name = printable(path.name, limit=120)  # a file name is chosen by whoever sent the file
    if not zipfile.is_zipfile(path):
        raise InputError(_(NOT_XLSX), source=name)
    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
            _check_members(infos, name)
            _check_shared_strings(archive, infos, name)
    except InputError:
        raise
    except Exception as exc:
        raise InputError(f"{_(NOT_XLSX)} ({_why(exc)})", source=name) from None

    from openpyxl import load_workbook

    try:
        # read_only: sheets are parsed only when read, by `read_sheet`; data_only=False: a formula comes back
        # as its text (data type "f") and is refused by the reader; its cached result is never used.
        wb = load_workbook(path, read_only=True, data_only=False, keep_links=False, keep_vba=False)
    except Exception as exc:
        raise InputError(f"{_(NOT_XLSX)} ({_why(exc)})", source=name) from None
    try:
        yield wb
    finally:
        wb.close()


def read_sheet(
    wb: Any, title: str, *, name: str, max_row: int | None = None, budget: int = MAX_SHEET_CELLS
) -> SheetCells:
    """The present cells of one sheet (rows up to `max_row`), with the hyperlinks bound to them."""
    from openpyxl.utils import get_column_letter

    ws = wb[title]
    out = SheetCells(title)
    try:
        parser = _parser(wb, ws)
        spent = 0
        seen: set[tuple[int, int]] = set()
        with ws._get_source() as source:
            parser.source = source
            for row_no, cells in parser.parse():
                if max_row is not None and row_no > max_row:
                    out.truncated_at = row_no
                    break
                spent += 1 + len(cells)
                if spent > budget:
                    raise WorkbookTooLarge(
                        f"lembar '{title}' memuat lebih dari {budget} sel (terbaca sampai baris {row_no}); "
                        "templat ini tidak pernah sebesar itu: salin isian ke templat baru dari `spbe template`",
                        source=name,
                    )
                for c in cells:  # grouped by each cell's own reference, as a spreadsheet program places it
                    cell = RawCell(c["row"], c["column"], _text(c["value"]), c["data_type"])
                    if (cell.row, cell.column) in seen:
                        raise InputError(
                            f"{places.sheet_cell(title, cell.row, get_column_letter(cell.column))}: sel ini "
                            "tercatat dua kali di dalam berkas (hanya satu yang akan terlihat); simpan ulang "
                            "berkasnya di Excel",
                            source=name,
                        )
                    seen.add((cell.row, cell.column))
                    out.rows.setdefault(cell.row, []).append(cell)
        if out.truncated_at is None:
            out.hyperlinks = _hyperlinks(wb, ws, parser, out)
    except InputError:
        raise
    except Exception as exc:
        raise InputError(
            f"lembar '{title}' rusak dan tidak dapat dibaca ({_why(exc)}); simpan ulang berkasnya di Excel", source=name
        ) from None
    return out


_OOXML_ESCAPE = re.compile(r"_x([0-9A-Fa-f]{4})_")


def _text(value: Any) -> Any:
    """Strings as the person typed them: OOXML writes characters XML cannot hold as `_xHHHH_` (Excel's
    `_x000D_` for a carriage return, `_x001B_` for ESC), which openpyxl leaves as they are. Decoded here, so
    that the value rules see (and refuse) the real control character; a lone surrogate, which no text can
    be stored or signed with, becomes U+FFFD."""
    if not isinstance(value, str) or "_x" not in value:
        return value

    def char(match: re.Match[str]) -> str:
        code = int(match.group(1), 16)
        return "\ufffd" if 0xD800 <= code <= 0xDFFF else chr(code)

    return _OOXML_ESCAPE.sub(char, value)


def _parser(wb: Any, ws: Any):
    """openpyxl's own streaming sheet parser (what its read-only rows use, minus the padding)."""
    from openpyxl.worksheet._reader import WorkSheetParser

    return WorkSheetParser(
        None,
        ws._shared_strings,
        data_only=wb.data_only,
        epoch=wb.epoch,
        date_formats=wb._date_formats,
        timedelta_formats=wb._timedelta_formats,
    )


def _hyperlinks(wb: Any, ws: Any, parser: Any, sheet: SheetCells) -> dict[tuple[int, int], str]:
    """Targets of the sheet's external hyperlinks, for present cells only (a range is never expanded)."""
    from openpyxl.packaging.relationship import get_dependents, get_rels_path
    from openpyxl.utils.cell import range_boundaries

    links = parser.hyperlinks.hyperlink
    if not links:
        return {}
    rels_path = get_rels_path(ws._worksheet_path)
    if rels_path not in wb._archive.namelist():
        return {}
    targets = {r.Id: r.Target for r in get_dependents(wb._archive, rels_path) if r.Target}
    present = {(c.row, c.column) for cells in sheet.rows.values() for c in cells}
    out: dict[tuple[int, int], str] = {}
    ranges = 0
    for link in links[:MAX_SHEET_CELLS]:
        target = targets.get(link.id) if link.id else None
        if not target or not link.ref:
            continue
        try:
            min_col, min_row, max_col, max_row = range_boundaries(str(link.ref))
        except (ValueError, TypeError):
            continue
        if (min_row, min_col) == (max_row, max_col):
            if (min_row, min_col) in present:
                out[(min_row, min_col)] = str(target)
            continue
        ranges += 1
        if ranges > 100:  # a range costs a pass over the present cells; no template has more than a few
            continue
        for position in present:
            if min_row <= position[0] <= max_row and min_col <= position[1] <= max_col:
                out[position] = str(target)
    return out


def _check_members(infos: list[zipfile.ZipInfo], name: str) -> None:
    if len(infos) > MAX_MEMBERS:
        raise WorkbookTooLarge(
            f"berkas memuat {len(infos)} bagian (batas {MAX_MEMBERS}); ini bukan templat yang diisi", source=name
        )
    unzipped = sum(i.file_size for i in infos)
    if unzipped > MAX_UNZIPPED_BYTES:
        raise WorkbookTooLarge(
            _("the workbook unpacks to {size} bytes; the limit is {limit}").format(
                size=unzipped, limit=MAX_UNZIPPED_BYTES
            ),
            source=name,
        )
    styles = [i for i in infos if i.filename.lower().endswith("styles.xml")]
    for info in styles:
        if info.file_size > MAX_STYLES_BYTES:
            raise WorkbookTooLarge(
                f"gaya sel ({info.filename}) berukuran {info.file_size} byte (batas {MAX_STYLES_BYTES}); "
                "salin isian ke templat baru dari `spbe template`",
                source=name,
            )


def _check_shared_strings(archive: zipfile.ZipFile, infos: list[zipfile.ZipInfo], name: str) -> None:
    """Count the shared strings while streaming, wherever the manifest puts them, before openpyxl loads them."""
    from xml.etree.ElementTree import iterparse

    from openpyxl.packaging.manifest import Manifest
    from openpyxl.xml.constants import SHARED_STRINGS, SHEET_MAIN_NS
    from openpyxl.xml.functions import fromstring

    names = {i.filename for i in infos}
    if "[Content_Types].xml" not in names:
        return  # openpyxl refuses it as not a workbook
    package = Manifest.from_tree(fromstring(archive.read("[Content_Types].xml")))
    part = package.find(SHARED_STRINGS)
    if part is None or part.PartName[1:] not in names:
        return
    item = f"{{{SHEET_MAIN_NS}}}si"
    count = 0
    with archive.open(part.PartName[1:]) as source:
        for _, element in iterparse(source):
            if element.tag == item:
                count += 1
                element.clear()
                if count > MAX_SHARED_STRINGS:
                    raise WorkbookTooLarge(
                        f"berkas memuat lebih dari {MAX_SHARED_STRINGS} teks berbeda; templat yang diisi memuat "
                        "paling banyak beberapa ribu: salin isian ke templat baru dari `spbe template`",
                        source=name,
                    )


def _why(exc: BaseException) -> str:
    text = printable(exc, limit=200)
    return f"{exc.__class__.__name__}: {text}" if text else exc.__class__.__name__
