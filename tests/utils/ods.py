"""An issued .xlsx template saved as .ods the way LibreOffice writes it (odfpy): text cells as paragraphs,
numbers as floats, links as text:a, the empty rest of every row as one repeated cell, and the empty rest
of the sheet as one repeated row."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from openpyxl import load_workbook


def xlsx_to_ods(source: Path, out: Path, *, extra: dict[str, list[Any]] | None = None) -> Path:
    """`extra` maps a sheet title to raw odfpy rows appended after its cells (hostile shapes for tests)."""
    from odf.opendocument import OpenDocumentSpreadsheet
    from odf.table import Table, TableCell, TableRow
    from odf.text import A, P

    wb = load_workbook(source)
    doc = OpenDocumentSpreadsheet()
    for ws in wb.worksheets:
        table = Table(name=ws.title)
        for row in ws.iter_rows():
            tr = TableRow()
            for cell in row:
                value = cell.value
                if value is None:
                    tr.addElement(TableCell())
                elif isinstance(value, bool):
                    tc = TableCell(valuetype="boolean", booleanvalue=str(value).lower())
                    tc.addElement(P(text=str(value).upper()))
                    tr.addElement(tc)
                elif isinstance(value, int | float):
                    tc = TableCell(valuetype="float", value=str(float(value)))
                    tc.addElement(P(text=str(value)))
                    tr.addElement(tc)
                else:
                    tc = TableCell(valuetype="string")
                    for line in str(value).split("\n"):
                        p = P()
                        if cell.hyperlink is not None and cell.hyperlink.target:
                            p.addElement(A(href=cell.hyperlink.target, text=line))
                        else:
                            p.addText(line)
                        tc.addElement(p)
                    tr.addElement(tc)
            tr.addElement(TableCell(numbercolumnsrepeated=1000))
            table.addElement(tr)
        for raw in (extra or {}).get(ws.title, []):
            table.addElement(raw)
        filler = TableRow(numberrowsrepeated=1_048_000)
        filler.addElement(TableCell(numbercolumnsrepeated=1024))
        table.addElement(filler)
        doc.spreadsheet.addElement(table)
    doc.save(str(out))
    return out
