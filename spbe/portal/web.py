"""What every page of the portal shares: the session cookie, CSRF, rate limits, bounded uploads.

- The session cookie holds the link token and a CSRF secret, signed with a key of its own purpose; it is
  HttpOnly, SameSite=Lax, Secure behind https. The token in it is checked against the store on every
  request (spbe.portal.links.open_link), so a revoked link stops at the next click.
- Every form carries the CSRF secret; a POST without it, or with another session's, changes nothing.
- Rate limits are per process (one portal process serves a city): opening links per client address,
  uploads and answers per subject. A limit says when to try again.
- An upload is read as it arrives and refused at its size cap: a Content-Length over the cap is refused
  before a byte of the body is read, a body without one is cut off at the cap. Nothing is buffered in
  memory beyond Starlette's spooling (parts over 1 MB go to a temporary file, deleted with the request).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import threading
import time
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass

from starlette.datastructures import FormData
from starlette.requests import Request

from spbe.errors import InputError, RefusedError

COOKIE = "spbe_portal"
FORM_OVERHEAD = 64 * 1024  # multipart boundaries, headers and the small fields around one file


class TooLarge(InputError):
    """An upload over its cap; nothing of it was kept."""


class TooMany(RefusedError):
    """A rate limit: `retry_after` seconds until the next try is taken."""

    def __init__(self, message: str, retry_after: int) -> None:
        self.retry_after = retry_after
        super().__init__(message)


@dataclass(frozen=True)
class SessionData:
    token: str
    csrf: str


def _session_key(link_key: bytes) -> bytes:
    return hmac.new(link_key, b"spbe-portal-session/1", hashlib.sha256).digest()


def seal(data: SessionData, link_key: bytes) -> str:
    body = base64.urlsafe_b64encode(json.dumps([data.token, data.csrf]).encode()).decode().rstrip("=")
    tag = hmac.new(_session_key(link_key), body.encode(), hashlib.sha256).hexdigest()
    return f"{body}.{tag}"


def unseal(value: str | None, link_key: bytes) -> SessionData | None:
    if not value or len(value) > 2000 or value.count(".") != 1:
        return None
    body, tag = value.split(".")
    expected = hmac.new(_session_key(link_key), body.encode("ascii", "replace"), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected.encode(), tag.encode("ascii", "replace")):
        return None
    try:
        token, csrf = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    except (ValueError, TypeError):
        return None
    if not (isinstance(token, str) and isinstance(csrf, str)):
        return None
    return SessionData(token, csrf)


def new_session(token: str) -> SessionData:
    return SessionData(token, secrets.token_urlsafe(24))


def check_csrf(form: Mapping[str, object], session: SessionData) -> None:
    sent = form.get("csrf")
    if not isinstance(sent, str) or not hmac.compare_digest(sent.encode(), session.csrf.encode()):
        raise RefusedError(
            "Formulir ini kedaluwarsa atau tidak berasal dari halaman Anda (token CSRF tidak cocok); "
            "muat ulang halaman lalu kirim lagi."
        )


class RateLimit:
    """At most `limit` events per `seconds` per key (a sliding window, monotonic time)."""

    def __init__(self, limit: int, seconds: float, what: str) -> None:
        self.limit, self.seconds, self.what = limit, seconds, what
        self._events: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def hit(self, key: str) -> None:
        now = time.monotonic()
        with self._lock:
            events = self._events.setdefault(key, deque())
            while events and events[0] <= now - self.seconds:
                events.popleft()
            if len(events) >= self.limit:
                wait = int(events[0] + self.seconds - now) + 1
                raise TooMany(f"Terlalu banyak {self.what} dalam waktu singkat; coba lagi {wait} detik lagi.", wait)
            events.append(now)
            if len(self._events) > 10_000:  # forget idle keys rather than grow without bound
                for k in [k for k, v in self._events.items() if not v or v[-1] <= now - self.seconds][:5000]:
                    del self._events[k]


def _mb(n: int) -> str:
    return f"{n / (1024 * 1024):.0f} MB"


async def bounded_form(request: Request, *, cap: int) -> FormData:
    """The request's form, refused (TooLarge) as soon as its body passes `cap` plus the form's overhead."""
    limit = cap + FORM_OVERHEAD
    declared = request.headers.get("content-length")
    if declared is not None:
        if not declared.isdigit():
            raise InputError("Panjang kiriman tidak sah.")
        if int(declared) > limit:
            raise TooLarge(f"Berkas terlalu besar: batasnya {_mb(cap)}.")
    received = 0
    upstream = request.receive

    async def counted():
        nonlocal received
        message = await upstream()
        if message["type"] == "http.request":
            received += len(message.get("body", b""))
            if received > limit:
                raise TooLarge(f"Berkas terlalu besar: batasnya {_mb(cap)}.")
        return message

    bounded = Request(request.scope, counted)
    try:
        return await bounded.form(max_files=1, max_fields=40, max_part_size=256 * 1024)
    except TooLarge:
        raise
    except Exception as exc:  # a malformed multipart body (Starlette's MultiPartException and kin)
        if type(exc).__name__ in ("MultiPartException", "HTTPException"):
            raise InputError(f"Kiriman formulir tidak dapat dibaca: {exc}") from None
        raise


async def read_upload(form: FormData, field: str, *, cap: int) -> tuple[bytes, str | None] | None:
    """The bytes and the name a person gave of one file field (None when no file was chosen)."""
    upload = form.get(field)
    if upload is None or isinstance(upload, str):
        return None
    data = await upload.read(cap + 1)
    if len(data) > cap:
        raise TooLarge(f"Berkas terlalu besar: batasnya {_mb(cap)}.")
    if not data and not upload.filename:
        return None
    return data, upload.filename
