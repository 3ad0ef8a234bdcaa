"""Personal link tokens: signed claims, pure (no store, no clock of its own).

A token names the cycle, what it opens (an OPD's page, an assessor's, a coordinator's), the subject (the
OPD code or the roster id), the person it was made for, the link's generation and, for coordinators only,
an expiry instant. It is signed with a key derived from SPBE_TEMPLATE_SECRET for this one purpose, so a
token can never pass for a template signature or the other way round. Forging needs the secret; ending a
link needs no secret at all: a revocation or a new generation in the store (spbe.portal.links) makes
every earlier token of that subject worthless.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from dataclasses import dataclass

KINDS = ("opd", "assessor", "coordinator")
_SIG_BYTES = 16  # 128 bits: the tag of a link that lives a few months
_MAX_TOKEN = 600


@dataclass(frozen=True)
class Claims:
    cycle: str
    kind: str  # opd | assessor | coordinator
    subject: str  # OPD code, or the person's roster id
    person: str  # who the link was made for (the OPD's admin for an OPD link)
    generation: int
    expires: int | None = None  # epoch seconds; coordinators' links only (the others expire with the cycle)


class BadToken(ValueError):
    """Not a token this portal signed (malformed or forged); says nothing more, on purpose."""


def purpose_key(secret: bytes) -> bytes:
    return hmac.new(secret, b"spbe-portal-link/1", hashlib.sha256).digest()


def sign(claims: Claims, key: bytes) -> str:
    body = json.dumps(
        [claims.cycle, claims.kind, claims.subject, claims.person, claims.generation, claims.expires],
        ensure_ascii=False,
        separators=(",", ":"),
    ).encode("utf-8")
    payload = _b64(body)
    return f"{payload}.{_b64(_tag(payload, key))}"


def verify(token: str, key: bytes) -> Claims:
    """The claims of a token whose signature holds, else BadToken (a constant-time comparison)."""
    if not token or len(token) > _MAX_TOKEN or token.count(".") != 1:
        raise BadToken("malformed")
    payload, tag = token.split(".")
    try:
        given = _unb64(tag)
    except ValueError:
        raise BadToken("malformed") from None
    if not hmac.compare_digest(given, _tag(payload, key)):
        raise BadToken("signature")
    try:
        cycle, kind, subject, person, generation, expires = json.loads(_unb64(payload))
    except (ValueError, TypeError):
        raise BadToken("malformed") from None
    if kind not in KINDS or not all(isinstance(v, str) for v in (cycle, subject, person)):
        raise BadToken("malformed")
    if not isinstance(generation, int) or not (expires is None or isinstance(expires, int)):
        raise BadToken("malformed")
    return Claims(cycle, kind, subject, person, generation, expires)


def _tag(payload: str, key: bytes) -> bytes:
    return hmac.new(key, payload.encode("ascii"), hashlib.sha256).digest()[:_SIG_BYTES]


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    if not text.isascii():
        raise ValueError("not ascii")
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
