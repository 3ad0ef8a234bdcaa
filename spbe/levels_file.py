"""Level files (`indicator,level`) for `spbe score` and `spbe plan`: strict, with line-and-field errors."""

from __future__ import annotations

import re
from pathlib import Path

from spbe.csvio import read_rows, require_header
from spbe.errors import InputError
from spbe.frameworks import LEVELS, Framework
from spbe.i18n import _
from spbe.intake.places import line as line_place
from spbe.intake.places import line_cell

_INT = re.compile(r"^[+-]?[0-9]+$")


def parse_level(raw: str) -> int | str:
    """Return the level 1..5, or an explanation of why the text is not one."""
    text = raw.strip()
    if not text:
        return _("is empty; expected a whole number 1-5")
    if not _INT.match(text):
        return _("{text!r} is not a whole number 1-5").format(text=text)
    value = int(text)
    if value not in LEVELS:
        return _("{value} is outside 1-5").format(value=value)
    return value


def parse_indicator(raw: str, framework: Framework) -> int | str:
    text = raw.strip()
    if not _INT.match(text):
        return _("{text!r} is not an indicator number").format(text=text)
    number = int(text)
    if not framework.has_indicator(number):
        return _("{number} is not an indicator of {framework} (1-{last})").format(
            number=number, framework=framework.id, last=len(framework.indicators)
        )
    return number


def read_int_column(
    path: Path, framework: Framework, column: str, *, complete: bool, parse=parse_level
) -> dict[int, int]:
    """Read `indicator,<column>` rows; with `complete`, every indicator must appear exactly once. Each problem
    names its line and column in the words of the CSV reader and the importer ("baris 2, kolom 'cost'")."""
    header, rows = read_rows(path)
    require_header(header, ["indicator", column], path.name)
    problems: list[str] = []
    values: dict[int, int] = {}
    seen_at: dict[int, int] = {}
    for line, row in rows:
        if "__extra__" in row:
            extra = _("extra cells {cells!r} beyond the header").format(cells=row["__extra__"])
            problems.append(f"{line_place(line)}: {extra}")
        number = parse_indicator(row["indicator"], framework)
        if isinstance(number, str):
            problems.append(f"{line_cell(line, 'indicator')}: {number}")
            continue
        if number in seen_at:
            again = _("indicator {number} appears again (first on line {first})").format(
                number=number, first=seen_at[number]
            )
            problems.append(f"{line_cell(line, 'indicator')}: {again}")
            continue
        seen_at[number] = line
        value = parse(row[column])
        if isinstance(value, str):
            problems.append(f"{line_cell(line, column)}: {value}")
            continue
        values[number] = value
    if complete:
        missing = [i.number for i in framework.indicators if i.number not in seen_at]
        if missing:
            problems.append(
                _("indicators missing (every indicator must appear once): {numbers}").format(numbers=_ranges(missing))
            )
    if problems:
        raise InputError(problems, source=path.name)
    return values


def read_levels(path: Path, framework: Framework) -> dict[int, int]:
    return read_int_column(path, framework, "level", complete=True)


def _ranges(numbers: list[int]) -> str:
    """[1, 2, 3, 7] → "1-3, 7": a missing block reads better as a range."""
    runs: list[list[int]] = []
    for n in numbers:
        if runs and n == runs[-1][-1] + 1:
            runs[-1].append(n)
        else:
            runs.append([n])
    return ", ".join(str(r[0]) if len(r) == 1 else f"{r[0]}-{r[-1]}" for r in runs)
