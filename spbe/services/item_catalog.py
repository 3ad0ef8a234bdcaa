"""The item catalog a stored cycle works with, and finding an item or an indicator by what people type.

One place decides which catalog a cycle uses (today: its framework's shipped `items.csv`), so that the
snapshot, the services, the templates and the importer can never disagree on which items exist.
"""

from __future__ import annotations

import difflib

from spbe.errors import InputError, RefusedError
from spbe.items.catalog import Item, indicator_label, parse_indicator_label
from spbe.items.model import ItemsModel
from spbe.services.cycles import framework_of
from spbe.store import models as m


def items_model_of(cycle: m.Cycle) -> ItemsModel | None:
    """The cycle's item model, or None when its framework is judged by claimed levels (59/2020)."""
    framework = framework_of(cycle)
    return framework.items if framework.evidence_model == "items" else None


def require_items_model(cycle: m.Cycle, *, doing: str) -> ItemsModel:
    model = items_model_of(cycle)
    if model is None:
        raise RefusedError(
            f"siklus {cycle.code} memakai kerangka {cycle.framework_id} yang dinilai per indikator (tingkat yang "
            f"diklaim), bukan per butir: tidak bisa {doing}; pakai `spbe submit --indicator N --level L`"
        )
    return model


def find_item(model: ItemsModel, code: str) -> Item:
    """The item with this tool code or official code (case-insensitive); InputError suggests close codes."""
    item = model.catalog.find(code or "")
    if item is not None:
        return item
    known = [i.code for i in model.catalog.items]
    close = difflib.get_close_matches((code or "").strip().upper(), known, n=3, cutoff=0.6)
    hint = f"; mungkin maksud Anda {', '.join(close)}?" if close else "; lihat `spbe items` untuk daftar kode butir"
    raise InputError(f"butir {code!r} tidak ada dalam katalog {len(known)} butir{hint}")


def indicator_number(model: ItemsModel, raw: int | str) -> int:
    """`5`, `I5` or `i5` → 5, refused when the framework has no such indicator."""
    number = raw if isinstance(raw, int) else parse_indicator_label(str(raw))
    if number is None or number not in model.indicator_numbers:
        top = max(model.indicator_numbers, default=0)
        raise InputError(f"indikator {raw!r} tidak ada dalam kerangka ini (I1..I{top})")
    return number


def item_label(item: Item) -> str:
    """`I3-L2-01 (I3 tingkat 2)` for messages."""
    return f"{item.code} ({indicator_label(item.indicator)} tingkat {item.level})"
