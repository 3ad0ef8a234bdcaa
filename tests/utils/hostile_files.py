"""Building hostile import files from an issued template: cell edits the way Excel would store them, and
raw edits of the XLSX zip that no spreadsheet program would make (but a file can still contain)."""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from openpyxl import load_workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from spbe.intake import layout as L

DATA = "xl/worksheets/sheet2.xml"  # the data sheet of an issued OPD template (after the help sheet)
META = "xl/worksheets/sheet4.xml"
LETTER = {"indicator": "A", "level": "F", "explanation": "G", "evidence": "H", "note": "I"}


def ooxml_escape(text: str) -> str:
    """How Excel stores characters XML cannot hold: `_xHHHH_`."""
    return "".join(f"_x{ord(ch):04X}_" if ILLEGAL_CHARACTERS_RE.match(ch) else ch for ch in text)


def set_cells(path: Path, row: int, values: dict[str, Any], *, sheet: str = "Penilaian Mandiri") -> None:
    """Set cells of one row by column key (or letter). Strings are text cells (a leading "=" stays text, as
    when typed after an apostrophe); characters openpyxl refuses are written the way Excel writes them."""
    wb = load_workbook(path)
    ws = wb[sheet]
    placeholders: dict[str, str] = {}
    for key, value in values.items():
        cell = ws[f"{LETTER.get(key, key)}{row}"]
        if isinstance(value, str) and ILLEGAL_CHARACTERS_RE.search(value):
            token = f"PLACEHOLDER{len(placeholders)}X"
            placeholders[token] = ooxml_escape(value)
            value = token
        cell.value = value
        if isinstance(value, str) and value.startswith("="):
            cell.data_type = "s"
    wb.save(path)
    if placeholders:

        def swap(xml: bytes) -> bytes:
            for token, escaped in placeholders.items():
                xml = xml.replace(token.encode(), escaped.encode())
            return xml

        with zipfile.ZipFile(path) as archive:
            sheets = [n for n in archive.namelist() if n.startswith("xl/worksheets/sheet")]
        rewrite(path, dict.fromkeys(sheets, swap))


def rewrite(path: Path, parts: dict[str, Callable[[bytes], bytes] | bytes | None], *, add: dict | None = None) -> None:
    """Rewrite parts of the zip in place: a function of the old bytes, new bytes, or None to drop the part."""
    with zipfile.ZipFile(path) as old:
        items = [(info, old.read(info.filename)) for info in old.infolist()]
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as new:
        for info, data in items:
            change = parts.get(info.filename, data)
            if change is None:
                continue
            new.writestr(info.filename, change(data) if callable(change) else change)
        for name, data in (add or {}).items():
            new.writestr(name, data)


def sub(pattern: str, replacement: str, count: int = 1) -> Callable[[bytes], bytes]:
    return lambda xml: re.sub(pattern.encode(), replacement.encode(), xml, count=count)


def insert_before(marker: str, xml_text: str) -> Callable[[bytes], bytes]:
    return lambda xml: xml.replace(marker.encode(), xml_text.encode() + marker.encode(), 1)


def row_xml(row: int, cells: str) -> str:
    return f'<row r="{row}">{cells}</row>'


def inline(ref: str, text: str) -> str:
    return f'<c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c>'


def append_rows(xml_rows: str) -> Callable[[bytes], bytes]:
    return insert_before("</sheetData>", xml_rows)


def csv_rows(path: Path) -> tuple[list[str], list[list[str]]]:
    header, *rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig")), delimiter=";"))
    return header, rows


def write_csv(path: Path, header: list[str], rows: list[list[str]], *, delimiter: str = ";") -> None:
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n").writerows([header, *rows])
    path.write_text(buffer.getvalue(), encoding="utf-8")


def csv_set(path: Path, indicator: int, values: dict[str, str]) -> None:
    header, rows = csv_rows(path)
    for row in rows:
        if row[0] == str(indicator):
            for key, value in values.items():
                row[header.index(key)] = value
    write_csv(path, header, rows)


def csv_edit(path: Path, edit: Callable[[list[str], list[list[str]]], tuple[list[str], list[list[str]]]]) -> None:
    header, rows = csv_rows(path)
    write_csv(path, *edit(header, rows))


def shared_strings_workbook(path: Path, count: int) -> None:
    """Move the data sheet's texts into a shared-strings table padded to `count` entries."""
    items = "".join(f"<si><t>s{i}</t></si>" for i in range(count))
    sst = (
        '<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
        f' count="{count}" uniqueCount="{count}">{items}</sst>'
    )
    content_type = (
        '<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.'
        'spreadsheetml.sharedStrings+xml"/>'
    )
    rel = (
        '<Relationship Id="rIdSst" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
        'sharedStrings" Target="sharedStrings.xml"/>'
    )
    rewrite(
        path,
        {
            "[Content_Types].xml": insert_before("</Types>", content_type),
            "xl/_rels/workbook.xml.rels": insert_before("</Relationships>", rel),
        },
        add={"xl/sharedStrings.xml": sst},
    )


def template_header(kind: str = L.OPD) -> list[str]:
    return [c.label for c in L.COLUMNS[kind]]
