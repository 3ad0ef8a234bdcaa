"""Reading rows of item statuses (`code,status`) into states and external readings, strictly.

The rows are what `spbe.csvio.read_rows` gives (line number, lower-cased header → cell), so the same
rules serve the `spbe score --items` file and, later, any import of item judgements. A row names an
item by its tool code or the ministry's code; a row whose code is an external indicator (`I5`) carries
the source value in its status cell (`I5,68.75`; a decimal comma is fine). Optional columns: `kind`
(the revisi reason) and `value` (the external value, instead of the status cell). Every problem is
reported at once with its line and column; nothing is half-read.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from spbe.errors import InputError
from spbe.i18n import _
from spbe.intake.places import line as line_place
from spbe.intake.places import line_cell
from spbe.items.catalog import indicator_label, parse_indicator_label
from spbe.items.externals import ExternalReading
from spbe.items.model import ItemsModel
from spbe.items.provenance import number_text, parse_number
from spbe.items.status import ENTERED_STATUSES, ItemState, ItemStatus, RevisionKind

REQUIRED_COLUMNS = ("code", "status")
_STATUS_WORDS = ", ".join(s.value for s in ENTERED_STATUSES)
_KIND_WORDS = ", ".join(k.value for k in RevisionKind)


@dataclass(frozen=True)
class StatusSheet:
    states: dict[str, ItemState]  # tool code → entered state
    readings: dict[int, ExternalReading]  # external indicator → source value
    lines: dict[str, int]  # tool code or indicator label → the line it came from


def parse_status_rows(rows: Iterable[tuple[int, Mapping[str, str]]], model: ItemsModel, *, source: str) -> StatusSheet:
    """States and readings from rows; InputError lists every bad row by line and column."""
    problems: list[str] = []
    states: dict[str, ItemState] = {}
    readings: dict[int, ExternalReading] = {}
    lines: dict[str, int] = {}
    for line, row in rows:
        where = line_place(line)
        at_code = line_cell(line, "code")
        if "__extra__" in row:
            problems.append(f"{where}: " + _("extra cells beyond the header: {cells!r}").format(cells=row["__extra__"]))
        code = row.get("code", "").strip()
        if not code:
            problems.append(f"{at_code}: " + _("empty"))
            continue
        item = model.catalog.find(code)
        if item is not None:
            key = item.code
            if key in lines:
                problems.append(
                    f"{at_code}: " + _("item {item} is already on line {first}").format(item=key, first=lines[key])
                )
                continue
            lines[key] = line
            state = _state(row, line, problems)
            if state is not None:
                states[key] = state
            continue
        number = parse_indicator_label(code)
        if number is None or number not in model.indicator_numbers:
            neither = _("{code!r} is neither an item code nor an external indicator").format(code=code)
            problems.append(f"{at_code}: {neither}")
            continue
        label = indicator_label(number)
        spec = model.external(number)
        if spec is None:
            example = ", ".join(i.code for i in model.catalog.items_of(number)[:2])
            problems.append(
                f"{at_code}: "
                + _(
                    "{label} is scored from its items, not given a value; write a status per item ({example}, ...)"
                ).format(label=label, example=example)
            )
            continue
        if label in lines:
            again = _("the value of {label} is already on line {first}").format(label=label, first=lines[label])
            problems.append(f"{at_code}: {again}")
            continue
        lines[label] = line
        column = "value" if row.get("value", "").strip() else "status"
        raw = row.get(column, "").strip()
        value = parse_number(raw)
        if value is None:
            problems.append(
                f"{line_cell(line, column)}: "
                + _("{raw!r} is not a number for {label} ({what})").format(raw=raw, label=label, what=spec.input_label)
            )
            continue
        if not spec.input_min <= value <= spec.input_max:
            problems.append(
                f"{line_cell(line, column)}: "
                + _("{value} is outside {low}–{high} for {label} ({what})").format(
                    value=number_text(value, comma=True),
                    low=number_text(spec.input_min, comma=True),
                    high=number_text(spec.input_max, comma=True),
                    label=label,
                    what=spec.input_label,
                )
            )
            continue
        readings[number] = ExternalReading(number, value)
    if problems:
        raise InputError(problems, source=source)
    return StatusSheet(states, readings, lines)


def _state(row: Mapping[str, str], line: int, problems: list[str]) -> ItemState | None:
    at_status, at_kind = line_cell(line, "status"), line_cell(line, "kind")
    raw = row.get("status", "").strip()
    word = " ".join(raw.lower().split())
    if word == ItemStatus.DITOLAK_OTOMATIS.value:
        problems.append(
            f"{at_status}: "
            + _("'ditolak otomatis' is not entered; the tool derives it from the level below")
        )
        return None
    try:
        status = ItemStatus(word)
    except ValueError:
        shown = repr(raw) if raw else _("empty")
        unknown = _("{shown} is not a status; choose {words}").format(shown=shown, words=_STATUS_WORDS)
        problems.append(f"{at_status}: {unknown}")
        return None
    raw_kind = " ".join(row.get("kind", "").lower().split())
    if not raw_kind:
        return ItemState(status)
    if status is not ItemStatus.REVISI:
        problems.append(
            f"{at_kind}: " + _("a reason is only for the status revisi, not {status}").format(status=status.value)
        )
        return None
    try:
        return ItemState(status, RevisionKind(raw_kind))
    except ValueError:
        unknown = _("{kind!r} is not a revision reason; choose {words}").format(kind=raw_kind, words=_KIND_WORDS)
        problems.append(f"{at_kind}: {unknown}")
        return None
