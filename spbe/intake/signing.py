"""Template signatures: an HMAC over the template kind, the cycle and the OPD (or assessor) it was issued to.

The signature is what stops a file issued to one OPD from being edited to post for another: the metadata
sheet is hidden, not secret, so anyone can change the OPD code in it, but nobody without the key can
produce a matching signature. The key comes only from the environment (`SPBE_TEMPLATE_SECRET`); it is
never written to a file, the store or a log.
"""

from __future__ import annotations

import hashlib
import hmac

from spbe.errors import RefusedError
from spbe.i18n import N_, _
from spbe.settings import get_settings

FORMAT = "spbe-template/1"
MIN_SECRET = 16

HOW_TO = N_(
    "set it in the environment of every `spbe template` and `spbe import`, e.g. "
    "export SPBE_TEMPLATE_SECRET=\"$(python3 -c 'import secrets; print(secrets.token_urlsafe(32))')\" "
    "(keep the same value for issuing and importing; changing it invalidates templates already sent out)"
)


def template_secret() -> bytes:
    """The signing key, or a refusal that says how to set one."""
    secret = get_settings().template_secret
    if not secret:
        raise RefusedError(_("SPBE_TEMPLATE_SECRET is not set; templates are signed: {how}").format(how=_(HOW_TO)))
    if len(secret) < MIN_SECRET:
        raise RefusedError(
            _("SPBE_TEMPLATE_SECRET is shorter than {n} characters; {how}").format(n=MIN_SECRET, how=_(HOW_TO))
        )
    return secret.encode("utf-8")


def sign(*, kind: str, cycle: str, subject: str, secret: bytes) -> str:
    message = "\n".join((FORMAT, kind, cycle, subject)).encode("utf-8", "replace")
    return hmac.new(secret, message, hashlib.sha256).hexdigest()


def verify(*, kind: str, cycle: str, subject: str, signature: str, secret: bytes) -> bool:
    """Constant-time comparison as bytes: `compare_digest` refuses str with non-ASCII characters (a
    TypeError, not a False), and a forged signature may hold any character."""
    expected = sign(kind=kind, cycle=cycle, subject=subject, secret=secret).encode("ascii")
    return hmac.compare_digest(expected, signature.strip().encode("utf-8", "replace"))
