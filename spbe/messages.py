"""Messages people read, in Bahasa Indonesia, rendered from Jinja2 templates in `config/templates/`.

A template's first line is `Subjek: ...`; the rest is the body. Dates are written the way people
write them: "Selasa, 30 September 2025 pukul 16.00 WIB".
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import cache
from typing import TypeVar
from zoneinfo import ZoneInfo

from spbe.formats import date_text, datetime_text, install, zone_abbreviation
from spbe.paths import config_dir

# A message lists at most a few dozen pending things (an OPD may owe a hundred evidence items), item texts
# clipped to ITEM_TEXT characters, and fewer when the message would reach 1,000 characters: it must read
# as one WhatsApp message on a phone (one OPD's H-7 was 3,349 characters with 25 lines, under Telegram's
# 4096 but unread). The rest is counted ("... dan N hal lainnya") and the template says where the full
# list is (the recipient's portal page, else the template or `spbe status`). Reminders, digests and
# notices share these limits (`fitted`; `render` applies it to templates that list `[:listed]`).
ITEM_TEXT = 60
MAX_MESSAGE = 999  # subject and body as a chat channel sends them ("*subject*\n\nbody"): under 1,000


def clipped(text: str, width: int = ITEM_TEXT) -> str:
    """`text` in at most `width` characters: cut at the last word boundary that leaves room for "…", so a
    reader sees whole words (a word longer than `width` is cut inside)."""
    text = " ".join(text.split())
    if len(text) <= width:
        return text
    head = text[: width - 1]
    cut = head.rsplit(" ", 1)[0] if text[width - 1] != " " and " " in head else head  # keep whole words
    return cut.rstrip(" ,.;:-–(") + "…"


def message_length(subject: str, body: str) -> int:
    """The characters a chat channel sends: WhatsApp's '*subject*', a blank line, the body."""
    return len(subject) + 4 + len(body)


T = TypeVar("T")


def _length(message: tuple[str, str]) -> int:
    return message_length(*message)


def fitted(
    listing: Callable[[int], T],
    *,
    total: int,
    most: int | None = None,
    length: Callable[[T], int] = _length,  # type: ignore[assignment]
) -> T:
    """`listing(listed)` (by default a (subject, body) pair) with as many of `total` things listed as fit in
    MAX_MESSAGE (at most `most`), at least one; the template counts the rest. A message grows with `listed`,
    so the largest that fits is searched between one line and all of them: the first probe is where the
    two ends' lengths say the limit falls (lines are of similar length, so it is usually right or one
    off), its neighbour next, then bisection. A national sweep renders thousands of reminders: three or
    four renders each, not one per item."""
    high = total if most is None else min(total, most)
    best = listing(high)
    if length(best) <= MAX_MESSAGE or high <= 1:
        return best
    low, fits = 1, listing(1)  # one line is always shown, even when it alone does not fit
    if length(fits) > MAX_MESSAGE:
        return fits
    per_line = (length(best) - length(fits)) / (high - 1)
    guess = 1 + int((MAX_MESSAGE - length(fits)) // per_line) if per_line > 0 else None
    for _ in range(2):  # the estimate, then its neighbour on the side the estimate did not settle
        if guess is None or not low < guess < high:
            break
        candidate = listing(guess)
        if length(candidate) <= MAX_MESSAGE:
            low, fits, guess = guess, candidate, guess + 1
        else:
            high, guess = guess, guess - 1
    while high - low > 1:  # `low` fits, `high` does not
        middle = (low + high) // 2
        candidate = listing(middle)
        if length(candidate) <= MAX_MESSAGE:
            low, fits = middle, candidate
        else:
            high = middle
    return fits


def zone_name(local: datetime) -> str:
    """WIB, WITA, WIT (spbe.formats)."""
    return zone_abbreviation(local)


def tanggal(instant: datetime, tz: str | ZoneInfo = "Asia/Jakarta") -> str:
    """'Selasa, 30 September 2025' (spbe.formats)."""
    return date_text(instant, tz)


def tanggal_jam(instant: datetime, tz: str | ZoneInfo = "Asia/Jakarta") -> str:
    """'Selasa, 30 September 2025 pukul 16.00 WIB' (spbe.formats)."""
    return datetime_text(instant, tz)


@cache
def environment(*, html: bool = False):
    """The Jinja2 environment over config/templates: plain text for messages, autoescaped for HTML pages."""
    from jinja2 import Environment, FileSystemLoader, StrictUndefined

    env = Environment(
        loader=FileSystemLoader(str(config_dir() / "templates")),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
        autoescape=html,  # messages are plain text; HTML escapes every value people typed
    )
    install(env)  # the catalog and the formats of spbe.formats: tanggal, tanggal_jam, angka, persen, ...
    env.filters["nama_level"] = nama_level
    env.filters["indikator"] = nama_indikator
    return env


def nama_indikator(number: int, framework_id: str) -> str:
    """An indicator named as its framework names it: "I4" (Pemdi), "Indikator 4" (59/2020)."""
    from spbe.frameworks import load_framework

    return load_framework(framework_id).indicator_label(number)


def nama_level(level: object, framework_id: str, indicator: int) -> str:
    """A level with its name on the indicator's own scale: "3 (Terdefinisi)", for services "3 (Transaksi)"."""
    from spbe.frameworks import load_framework

    return load_framework(framework_id).level_text(level, indicator=indicator) if level is not None else "-"


def program_name(cycle: object) -> str:
    """What the evaluation is called in a message about `cycle`: "SPBE" (59/2020), "Pemdi" (8/2026); messages
    say "[Pemdi 2026]", "Admin Pemdi", "Evaluasi Pemdi" on a Pemdi cycle as its notices always did."""
    from spbe.frameworks import load_framework

    framework_id = getattr(cycle, "framework_id", None)
    return load_framework(framework_id).short_name if framework_id else "SPBE"


def render(template: str, **context) -> tuple[str, str]:
    """Render `template` (e.g. 'notice_self_assessment.txt.j2') → (subject, body).

    `answer_link` is in every context: the recipient's personal portal link where the sender computed one
    (spbe.portal.links.link_for), else None, so any template may say `{% if answer_link %}`. A message past
    MAX_MESSAGE is rendered again with `listed` set, as large as fits, for templates that list
    `[:listed | default(50)]` and count the rest."""
    context.setdefault("answer_link", None)
    context.setdefault("program", program_name(context.get("cycle")))
    message = _render(template, context)
    if message_length(*message) > MAX_MESSAGE and "listed" not in context:  # a template listing `[:listed]` lists fewer
        return fitted(lambda listed: _render(template, {**context, "listed": listed}), total=LISTED)
    return message


LISTED = 50  # what a template listing `[:listed | default(50)]` shows when its body fits


def _render(template: str, context: dict) -> tuple[str, str]:
    text = environment().get_template(template).render(**context).strip()
    first, _, rest = text.partition("\n")
    if not first.startswith("Subjek:"):
        raise ValueError(f"template {template} must start with a 'Subjek:' line")
    return first.removeprefix("Subjek:").strip(), rest.strip() + "\n"
