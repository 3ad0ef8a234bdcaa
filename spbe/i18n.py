"""Words people read, in their language: gettext catalogs in `spbe/locale/<lang>/LC_MESSAGES/spbe.po`.

Msgids are the code's own English source strings (`_("phase {phase} is closed")`); `id.po` translates every
one of them (a test holds it complete and in step with the code), `en.po` is English. The language is
`SPBE_LANG` (spbe.settings; default `id`). Translate where the text is shown, never at import time: a
module-level constant is marked with `N_()` and passed through `_()` when used.

Start-up stays cheap: this module imports only the stdlib's `gettext`. The compiled `.mo` files are not in
git (binary files that conflict at every merge); `make setup` compiles them, and a catalog missing its
`.mo`, or older than its `.po` (after a pull or an edit), is compiled here on first use by Babel (imported
only then) and cached beside the `.po`; where that directory cannot be written, the catalog is compiled in
memory for the process. Catalog maintenance (extract, update, compile) lives in `spbe.i18n_catalog`.
"""

from __future__ import annotations

import gettext as _gettext
import io
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

DOMAIN = "spbe"
LOCALE_DIR = Path(__file__).resolve().parent / "locale"

_override: str | None = None
_loaded: dict[str, _gettext.NullTranslations] = {}


def language() -> str:
    """The language of this process: `use_language()` inside a block, else SPBE_LANG."""
    if _override is not None:
        return _override
    from spbe.errors import ConfigError
    from spbe.settings import DEFAULT_LANGUAGE, get_settings

    try:
        return get_settings().language
    except ConfigError:
        # A bad setting (say, an unsupported database URL) is itself reported through the catalog: the
        # report must not fail on the same settings, so it is spoken in the default language.
        return DEFAULT_LANGUAGE


@contextmanager
def use_language(lang: str) -> Iterator[None]:
    """Speak `lang` inside a block (tests, a message rendered for one recipient)."""
    global _override
    previous = _override
    _override = lang
    try:
        yield
    finally:
        _override = previous


def po_path(lang: str) -> Path:
    return LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


def translations(lang: str) -> _gettext.NullTranslations:
    """The catalog of `lang`, loaded once per process (compiled first when its .mo is missing or stale)."""
    found = _loaded.get(lang)
    if found is None:
        found = _loaded[lang] = _load(lang)
    return found


def _load(lang: str) -> _gettext.NullTranslations:
    po = po_path(lang)
    mo = po.with_suffix(".mo")
    try:
        po_mtime = po.stat().st_mtime
    except FileNotFoundError:
        return _gettext.NullTranslations()  # no catalog: the source strings themselves
    try:
        fresh = mo.stat().st_mtime >= po_mtime
    except FileNotFoundError:
        fresh = False
    if fresh:
        with mo.open("rb") as handle:
            return _gettext.GNUTranslations(handle)
    data = compile_po(po)
    try:
        temporary = mo.with_name(f".{mo.name}.{os.getpid()}")
        temporary.write_bytes(data)
        os.replace(temporary, mo)  # atomic: a concurrent process reads the old file or the new one
    except OSError:
        pass  # a read-only install: this process keeps the catalog compiled in memory
    return _gettext.GNUTranslations(io.BytesIO(data))


def compile_po(po: Path) -> bytes:
    """The .mo bytes of a .po file (Babel, imported only when a catalog needs compiling)."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    with po.open("rb") as handle:
        catalog = read_po(handle, locale=po.parent.parent.name, domain=DOMAIN)
    out = io.BytesIO()
    write_mo(out, catalog, use_fuzzy=False)
    return out.getvalue()


def _(message: str) -> str:
    """`message` (an English msgid) in the process's language."""
    return translations(language()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    """The form for `n` ("1 indicator", "3 indicators"; Indonesian has one form)."""
    return translations(language()).ngettext(singular, plural, n)


def N_(message: str) -> str:
    """Marks a constant for the catalog without translating it yet: pass it through `_()` when shown."""
    return message


gettext = _
