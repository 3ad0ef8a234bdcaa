"""An import's problems as rows a person can act on: which row, which column, what is wrong.

The importer names every place the same way ("sheet 'Penilaian' row 7, column C (level)" or, for CSV,
"line 7, column 'level'"); here that place becomes the table's Baris and Kolom, and the rest is the text."""

from __future__ import annotations

import re
from dataclasses import dataclass

_XLSX = re.compile(
    r"^(?:.*?: )?(?:sheet|lembar) '(?P<sheet>[^']*)' (?:row|baris) (?P<row>\d+)"
    r"(?:, (?:column|kolom) (?P<col>[A-Z]+)(?: \((?P<label>.*?)\))?)?: ?(?P<text>.*)$",
    re.S,
)
_CSV = re.compile(
    r"^(?:.*?: )?(?:line|baris) (?P<row>\d+)(?:, (?:column|kolom) '(?P<label>[^']*)')?: ?(?P<text>.*)$", re.S
)


@dataclass(frozen=True)
class ProblemRow:
    row: str | None
    column: str | None
    text: str


def problem_rows(problems: list[str]) -> list[ProblemRow]:
    out = []
    for p in problems:
        found = _XLSX.match(p) or _CSV.match(p)
        if found is None:
            out.append(ProblemRow(None, None, p))
            continue
        parts = found.groupdict()
        column = " ".join(filter(None, [parts.get("col"), f"({parts['label']})" if parts.get("label") else None]))
        out.append(ProblemRow(parts["row"], column or None, parts["text"].strip() or p))
    return out
