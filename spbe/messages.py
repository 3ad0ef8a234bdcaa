"""Messages people read, in Bahasa Indonesia, rendered from Jinja2 templates in `config/templates/`.

A template's first line is `Subjek: ...`; the rest is the body. Dates are written the way people
write them: "Selasa, 30 September 2025 pukul 16.00 WIB".
"""

from __future__ import annotations

from datetime import datetime
from functools import cache
from zoneinfo import ZoneInfo

from spbe.formats import date_text, datetime_text, install, zone_abbreviation
from spbe.paths import config_dir


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
    return env


def nama_level(level: object, framework_id: str, indicator: int) -> str:
    """A level with its name on the indicator's own scale: "3 (Terdefinisi)", for services "3 (Transaksi)"."""
    from spbe.frameworks import load_framework

    return load_framework(framework_id).level_text(level, indicator=indicator) if level is not None else "-"


def render(template: str, **context) -> tuple[str, str]:
    """Render `template` (e.g. 'notice_self_assessment.txt.j2') → (subject, body).

    `answer_link` is in every context: the recipient's personal portal link where the sender computed one
    (spbe.portal.links.link_for), else None, so any template may say `{% if answer_link %}`."""
    context.setdefault("answer_link", None)
    text = environment().get_template(template).render(**context).strip()
    first, _, rest = text.partition("\n")
    if not first.startswith("Subjek:"):
        raise ValueError(f"template {template} must start with a 'Subjek:' line")
    return first.removeprefix("Subjek:").strip(), rest.strip() + "\n"
