"""Rules for the values people enter (level, verdict, evidence links, free text), shared by the single-entry
commands and the importer so that a value is accepted or refused the same way wherever it comes from.

Each parser returns the clean value or raises `ValueError` whose message says what is wrong and what would
fix it; callers add where (row, column, option).
"""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import urlsplit

from spbe.i18n import _
from spbe.linkcheck.policy import url_problem

LEVELS = range(1, 6)
MAX_EXPLANATION = 4000  # characters; longer belongs in a linked document
MAX_NOTE = 2000
MAX_URL = 2048
MAX_EVIDENCE_URLS = 20
MAX_CELL = 8000  # any cell we read, before its own limit: stops a pasted book early

VERDICTS = {
    "accept": "accept",
    "terima": "accept",
    "diterima": "accept",
    "revise": "revise",
    "revisi": "revise",
    "perbaikan": "revise",
    "perbaiki": "revise",
}

# ASCII digits only: "²" and "①" are digits to str.isdigit() but not to int(), and "٣" (Arabic-Indic three)
# is a level nobody in an Indonesian OPD means to type; each is refused by name, never half-understood.
_WHOLE = re.compile(r"^[+]?[0-9]+(\.0+)?$")

_SPLIT = re.compile(r"[\s;]+")


def parse_level(value: object) -> int:
    """A capability level 1..5 from a typed number or text; 3.0 is 3, 3.5 and 'tiga' are refused."""
    if value is None or (isinstance(value, str) and not value.strip()):
        raise ValueError(_("is empty; pick a level from 1 to 5"))
    if isinstance(value, bool):
        raise ValueError(_("{value} is not a level; pick a whole number from 1 to 5").format(value=repr(value)))
    if isinstance(value, int):
        if not -1000 < value < 1000:
            raise _outside(f"{shown(value, 12)}...")
        number = value
    elif isinstance(value, float):
        if not value.is_integer():
            raise ValueError(_("{value} is not a whole number; pick a level from 1 to 5").format(value=f"{value:g}"))
        if not -1000 < value < 1000:
            raise _outside(f"{value:g}")
        number = int(value)
    else:
        text = str(value).strip()
        if not _WHOLE.match(text):
            raise ValueError(
                _("{value} is not a whole number; write the level as a digit from 1 to 5").format(value=shown(text))
            )
        digits = text.lstrip("+").split(".", 1)[0].lstrip("0") or "0"  # "3.0" is 3; never via float (overflow)
        if len(digits) > 2:
            raise _outside(shown(text))
        number = int(digits)
    if number not in LEVELS:
        raise _outside(number)
    return number


def _outside(value: object) -> ValueError:
    return ValueError(_("{value} is outside 1-5; pick a level from 1 to 5").format(value=value))


def parse_verdict(value: object) -> str:
    text = "" if value is None else str(value).strip().casefold()
    if not text:
        raise ValueError(_("is empty; write accept (terima) or revise (revisi)"))
    try:
        return VERDICTS[text]
    except KeyError:
        raise ValueError(
            _("{value} is not a verdict; write accept (terima) or revise (revisi)").format(value=repr(text[:40]))
        ) from None


def parse_url(text: str) -> str:
    """An evidence link must be an absolute http(s) URL; whether it is safe to fetch is the link checker's call."""
    url = text.strip()
    if len(url) > MAX_URL:
        raise ValueError(
            _("a link of {length} characters is longer than {limit}; use a shorter share link").format(
                length=len(url), limit=MAX_URL
            )
        )
    if any(unicodedata.category(ch)[0] in "CZ" for ch in url):
        raise ValueError(
            _("{url} contains spaces or control characters; paste the link alone").format(url=repr(url[:80]))
        )
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018  (raises on a malformed port)
    except ValueError:
        raise ValueError(_("{url} is not a valid link").format(url=repr(url[:80]))) from None
    if parts.scheme.lower() not in ("http", "https"):
        raise ValueError(
            _("{url} is not an http(s) link; share the document and paste its https:// address").format(
                url=repr(url[:80])
            )
        )
    if not parts.hostname:
        raise ValueError(_("{url} has no host name").format(url=repr(url[:80])))
    if parts.username is not None or parts.password is not None:
        raise ValueError(
            _("{url} carries a user name or password; share the document without credentials").format(
                url=repr(url[:80])
            )
        )
    problem = url_problem(url)
    if problem:
        raise ValueError(f"{url[:80]!r}: {problem}")
    return url


FILE_REF = "file:sha256:"  # an uploaded evidence file (spbe.evidence_files.REF_PREFIX)


def _file_ref(text: str) -> str:
    from spbe.errors import InputError
    from spbe.evidence_files import parse_ref

    try:
        parse_ref(text)
    except InputError as exc:
        raise ValueError(str(exc)) from None
    return text


def parse_evidence(value: object) -> list[str]:
    """One or more links from a cell or option: separated by new lines, spaces or semicolons; order kept,
    repeats dropped. An uploaded file is named by its `file:sha256:<hex>` reference (the portal's uploads)."""
    if value is None:
        return []
    items = value if isinstance(value, list | tuple) else _SPLIT.split(str(value))
    urls: list[str] = []
    problems: list[str] = []
    for item in items:
        item = str(item).strip()
        if not item:
            continue
        try:
            url = _file_ref(item) if item.startswith(FILE_REF) else parse_url(item)
        except ValueError as exc:
            problems.append(str(exc))
            continue
        if url not in urls:
            urls.append(url)
    if problems:
        raise ValueError("; ".join(problems))
    if len(urls) > MAX_EVIDENCE_URLS:
        raise ValueError(
            _("{count} links; at most {limit} per indicator (link a folder instead)").format(
                count=len(urls), limit=MAX_EVIDENCE_URLS
            )
        )
    return urls


def parse_whole(value: object) -> int:
    """A whole number from a cell: an int, a float without fraction, or ASCII digits (see `_WHOLE`)."""
    if isinstance(value, bool):
        raise ValueError(_("{value} is not a whole number").format(value=repr(value)))
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    text = "" if value is None else str(value).strip()
    if not text.isascii() or not text.isdigit():
        raise ValueError(_("{value} is not a whole number; write it with the digits 0-9").format(value=shown(text)))
    return int(text)


def shown(text: object, limit: int = 40) -> str:
    """User text quoted for a message: repr escapes control characters, so nothing typed can steer a terminal."""
    return repr(str(text)[:limit])


def clean_text(value: object, *, limit: int) -> str | None:
    """Free text exactly as typed (a leading `=` or `'` stays), trimmed; empty is None. Refuses control
    characters (PostgreSQL cannot store NUL; escapes would steer a terminal) and text longer than `limit`.
    Apostrophes a template added are taken off by the reader, which knows which ones it added."""
    if value is None:
        return None
    text = str(value).replace("\r\n", "\n").replace("\r", "\n").strip()
    if not text:
        return None
    if len(text) > limit:
        raise ValueError(
            _("has {length} characters; the limit is {limit}: shorten it or link a document").format(
                length=len(text), limit=limit
            )
        )
    bad = next((ch for ch in text if _forbidden_in_text(ch)), None)
    if bad is not None:
        raise ValueError(_("contains the control character {char}; remove it").format(char=f"U+{ord(bad):04X}"))
    return text


def _forbidden_in_text(ch: str) -> bool:
    """C0/C1 controls (but line breaks and tabs), surrogates (no encoding can store one alone) and the
    bidirectional overrides that disguise text."""
    if ch in "\n\t":
        return False
    return unicodedata.category(ch) in ("Cc", "Cs") or "\u202a" <= ch <= "\u202e" or "\u2066" <= ch <= "\u2069"
