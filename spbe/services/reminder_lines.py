"""The compact lines of an items cycle's reminder (Pemdi): one line per indicator, not one per item.

An OPD may owe a hundred evidence items whose codes, levels and texts ran to ~120 characters each, so a
1,000-character WhatsApp message showed one or two of them. Here each indicator takes one line: its code
and short name, then per state how many of its items wait and the first few codes ("I4 Kolaborasi Pemdi:
3 butir belum diunggah (I4-L1-01, I4-L1-02, I4-L1-03)"); an indicator-level state shared by many
indicators (no aim yet) is one line naming them as ranges ("I4–I20 (17 indikator): ..."). The message
lists as many lines as fit and counts the rest (spbe.messages.fitted); the portal has the full list.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from spbe.domain.gates import Outstanding
from spbe.frameworks import Framework
from spbe.i18n import ngettext
from spbe.messages import clipped

CODES_SHOWN = 3  # item codes named per state on an indicator's line; the count says how many there are
NAME_WIDTH = 30  # an indicator's short name, clipped at a word
TEXT_WIDTH = 32  # an item's text, shown only where a state has a single item


def items_phrase(kind: str, count: int) -> str:
    """'3 butir belum diunggah': how many of an indicator's items are in one state."""
    if kind == "missing_submission":
        text = ngettext("{count} item not uploaded", "{count} items not uploaded", count)
    elif kind == "missing_evidence":
        text = ngettext("{count} item without evidence", "{count} items without evidence", count)
    elif kind == "revision_requested":
        text = ngettext("{count} item asked to be revised", "{count} items asked to be revised", count)
    elif kind == "awaiting_review":
        text = ngettext("{count} item awaiting review", "{count} items awaiting review", count)
    elif kind == "awaiting_rereview":
        text = ngettext("{count} item awaiting re-review", "{count} items awaiting re-review", count)
    elif kind == "awaiting_interview_outcome":
        text = ngettext(
            "{count} item without an interview outcome", "{count} items without an interview outcome", count
        )
    else:
        text = ngettext("{count} item pending", "{count} items pending", count)
    return text.format(count=count)


def item_lines(
    pending: Sequence[Outstanding],
    *,
    framework: Framework,
    item_text: Callable[[str], str],
    opd_name: Callable[[str | None], str | None],
    state: Callable[[Outstanding], str],
    show_opd: bool,
) -> list[dict[str, Any]]:
    """The lines of `pending`, in reading order: a state shared by several indicators (no aim yet) as one
    line naming them, then one line per indicator (its own states, then its items), then what belongs to
    no indicator. `state(o)` is how the message words one pending thing (the template's `keadaan`): lines
    are merged only where they read the same. Each line carries `count` (the pending things it stands for)
    and `numbers` (its indicators), so what is not listed can be counted."""
    shared: dict[tuple[str, str | None], list[Outstanding]] = {}
    items: dict[int, list[Outstanding]] = {}
    others: list[Outstanding] = []
    for o in pending:
        if o.item and o.indicator:
            items.setdefault(o.indicator, []).append(o)
        elif o.indicator:
            shared.setdefault((state(o), opd_name(o.opd) if show_opd else None), []).append(o)
        else:
            others.append(o)
    lines: list[dict[str, Any]] = []
    own: dict[int, list[str]] = {}  # an indicator's states that no other indicator shares
    opds: dict[int, set[str | None]] = {n: {o.opd for o in group} for n, group in items.items()}
    for (text, opd), group in shared.items():
        numbers = sorted({o.indicator for o in group if o.indicator})
        if len(numbers) == 1:
            own.setdefault(numbers[0], []).append(text)
            opds.setdefault(numbers[0], set()).update(o.opd for o in group)
            continue
        lines.append(
            {
                "kind": "group",
                "labels": framework.indicator_labels(numbers, most=6),
                "indicators": len(numbers),
                "opd_name": opd,
                "state": text,
                "count": len(group),
                "numbers": numbers,
            }
        )
    for number in sorted(own.keys() | items.keys()):
        group = items.get(number, [])
        line = _indicator_line(number, group, framework, item_text)
        line["parts"][:0] = own.get(number, [])
        line["count"] += len(own.get(number, []))
        line["opd_name"] = opd_name(next(iter(opds[number]))) if show_opd and len(opds[number]) == 1 else None
        lines.append(line)
    lines += [
        {"kind": "other", "opd_name": opd_name(o.opd), "state": state(o), "count": 1, "numbers": []} for o in others
    ]
    return lines


def _indicator_line(number: int, group: list[Outstanding], framework: Framework, item_text: Callable[[str], str]):
    """'I4 Kolaborasi Pemdi: 3 butir belum diunggah (I4-L1-01, I4-L1-02, I4-L1-03)': per state, how many of
    the indicator's items are in it and the first few codes (a single item with the start of its text)."""
    states: dict[str, list[str]] = {}
    for o in group:
        states.setdefault(o.kind, []).append(o.item)  # type: ignore[arg-type]
    parts = []
    for kind, codes in states.items():
        if len(codes) == 1:
            shown = f"{codes[0]} {clipped(item_text(codes[0]), TEXT_WIDTH)}".rstrip()
        else:
            shown = ", ".join(codes[:CODES_SHOWN]) + (", …" if len(codes) > CODES_SHOWN else "")
        parts.append(f"{items_phrase(kind, len(codes))} ({shown})")
    known = framework.has_indicator(number)
    return {
        "kind": "indicator",
        "label": framework.indicator_label(number),
        "name": clipped(framework.short_indicator_name(number), NAME_WIDTH) if known else "",
        "parts": parts,
        "count": len(group),
        "numbers": [number],
    }
