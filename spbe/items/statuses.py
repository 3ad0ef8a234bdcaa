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
        where = f"baris {line}"
        if "__extra__" in row:
            problems.append(f"{where}: sel berlebih di luar header: {row['__extra__']!r}")
        code = row.get("code", "").strip()
        if not code:
            problems.append(f"{where}, kolom 'code': kosong")
            continue
        item = model.catalog.find(code)
        if item is not None:
            key = item.code
            if key in lines:
                problems.append(f"{where}, kolom 'code': butir {key} sudah ada di baris {lines[key]}")
                continue
            lines[key] = line
            state = _state(row, where, problems)
            if state is not None:
                states[key] = state
            continue
        number = parse_indicator_label(code)
        if number is None or number not in model.indicator_numbers:
            problems.append(f"{where}, kolom 'code': {code!r} bukan kode butir maupun indikator eksternal")
            continue
        label = indicator_label(number)
        spec = model.external(number)
        if spec is None:
            example = ", ".join(i.code for i in model.catalog.items_of(number)[:2])
            problems.append(
                f"{where}, kolom 'code': {label} dinilai dari butirnya, bukan nilai langsung; "
                f"tulis status per butir ({example}, ...)"
            )
            continue
        if label in lines:
            problems.append(f"{where}, kolom 'code': nilai {label} sudah ada di baris {lines[label]}")
            continue
        lines[label] = line
        column = "value" if row.get("value", "").strip() else "status"
        raw = row.get(column, "").strip()
        value = parse_number(raw)
        if value is None:
            problems.append(f"{where}, kolom '{column}': {raw!r} bukan angka untuk {label} ({spec.input_label})")
            continue
        if not spec.input_min <= value <= spec.input_max:
            problems.append(
                f"{where}, kolom '{column}': {number_text(value, comma=True)} di luar "
                f"{number_text(spec.input_min, comma=True)}–{number_text(spec.input_max, comma=True)} "
                f"untuk {label} ({spec.input_label})"
            )
            continue
        readings[number] = ExternalReading(number, value)
    if problems:
        raise InputError(problems, source=source)
    return StatusSheet(states, readings, lines)


def _state(row: Mapping[str, str], where: str, problems: list[str]) -> ItemState | None:
    raw = row.get("status", "").strip()
    word = " ".join(raw.lower().split())
    if word == ItemStatus.DITOLAK_OTOMATIS.value:
        problems.append(
            f"{where}, kolom 'status': 'ditolak otomatis' tidak diisi; alat menurunkannya dari tingkat di bawahnya"
        )
        return None
    try:
        status = ItemStatus(word)
    except ValueError:
        shown = repr(raw) if raw else "kosong"
        problems.append(f"{where}, kolom 'status': {shown} bukan status; pilih {_STATUS_WORDS}")
        return None
    raw_kind = " ".join(row.get("kind", "").lower().split())
    if not raw_kind:
        return ItemState(status)
    if status is not ItemStatus.REVISI:
        problems.append(f"{where}, kolom 'kind': alasan hanya untuk status revisi, bukan {status.value}")
        return None
    try:
        return ItemState(status, RevisionKind(raw_kind))
    except ValueError:
        problems.append(f"{where}, kolom 'kind': {raw_kind!r} bukan alasan revisi; pilih {_KIND_WORDS}")
        return None
