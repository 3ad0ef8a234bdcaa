"""Filling issued templates the way a person would in Excel, with openpyxl: by indicator and column label."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from openpyxl import load_workbook

from spbe.intake import layout as L


def _sheet(wb, kind: str):
    return wb[L.DATA_SHEET[kind]]


def columns(ws) -> dict[str, int]:
    """Column key → column index, from the header labels."""
    labels = L.header_map("opd") | L.header_map("assessor")
    return {labels[str(c.value).casefold()]: c.column for c in ws[1] if c.value is not None}


def fill(path: Path, values: dict[int, dict[str, Any]], *, kind: str = "opd", out: Path | None = None) -> Path:
    """Set cells of the rows of the given indicators; `values` maps indicator → {column key: value}."""
    wb = load_workbook(path)
    ws = _sheet(wb, kind)
    cols = columns(ws)
    rows = {ws.cell(row=r, column=cols["indicator"]).value: r for r in range(2, ws.max_row + 1)}
    for indicator, cells in values.items():
        for key, value in cells.items():
            ws.cell(row=rows[indicator], column=cols[key], value=value)
    target = out or path
    wb.save(target)
    return target


def add_row(path: Path, cells: dict[str, Any], *, kind: str = "opd", out: Path | None = None) -> Path:
    wb = load_workbook(path)
    ws = _sheet(wb, kind)
    cols = columns(ws)
    row = ws.max_row + 1
    for key, value in cells.items():
        ws.cell(row=row, column=cols[key], value=value)
    target = out or path
    wb.save(target)
    return target


def set_meta(path: Path, key: str, value: str, *, out: Path | None = None) -> Path:
    wb = load_workbook(path)
    ws = wb[L.META_SHEET]
    for row in ws.iter_rows(min_row=1, max_col=2):
        if row[0].value == key:
            row[1].value = value
    target = out or path
    wb.save(target)
    return target


def read_cells(path: Path, *, kind: str = "opd") -> list[dict[str, Any]]:
    """Rows of the data sheet as {column key: (value, data_type)}."""
    wb = load_workbook(path)
    ws = _sheet(wb, kind)
    cols = columns(ws)
    out = []
    for r in range(2, ws.max_row + 1):
        out.append({k: (ws.cell(row=r, column=c).value, ws.cell(row=r, column=c).data_type) for k, c in cols.items()})
    return out
