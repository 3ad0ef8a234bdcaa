"""What every channel shares: the message and outcome types, the `Channel` protocol, secrets and their redaction.

Kept apart from the channel implementations (which import it) and from `spbe.channels.registry` (which
imports them), so that no module of the package imports another that imports it back.
"""

from __future__ import annotations

import base64
import logging
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import quote, quote_plus, urlsplit

from spbe.errors import ConfigError
from spbe.safe_text import printable


@dataclass(frozen=True)
class Recipient:
    key: str
    name: str
    email: str | None = None
    phone: str | None = None
    telegram: str | None = None
    channels: tuple[str, ...] = ()


@dataclass(frozen=True)
class Outgoing:
    id: int
    key: str  # idempotency key: the receiver drops a repeat by it
    kind: str
    phase: str | None
    subject: str
    body: str
    recipient: Recipient
    attempt: int
    cycle: str
    attachments: tuple[str, ...] = ()  # files on this server; e-mail attaches them, chat bodies carry a link


@dataclass(frozen=True)
class Outcome:
    delivered: bool
    retryable: bool = False
    error: str | None = None
    retry_after: float | None = None  # seconds, from a 429/503 Retry-After
    status: int | None = None
    uncertain: bool = False  # the request may have arrived (no answer read): never try another channel

    @classmethod
    def ok(cls, status: int | None = None) -> Outcome:
        return cls(True, status=status)

    @classmethod
    def retry(
        cls, error: str, *, retry_after: float | None = None, status: int | None = None, uncertain: bool = False
    ) -> Outcome:
        return cls(False, True, error, retry_after, status, uncertain)

    @classmethod
    def refused(cls, error: str, *, status: int | None = None) -> Outcome:
        return cls(False, False, error, None, status)


class Channel(Protocol):
    name: str
    rate_per_second: float | None  # None: no limit of its own
    concurrency: int | None
    secrets: tuple[str, ...]  # values to scrub from any text that leaves the process

    def can_reach(self, recipient: Recipient) -> bool: ...

    async def send(self, message: Outgoing, client: Any) -> Outcome: ...


class BuildError(Exception):
    """The message could not be put together (a header with a line break, a value the format cannot hold):
    nothing was sent, so the dispatcher may try the next channel at once. Not retried: it would fail again."""


class Redactor:
    """Replaces every known secret with ***, in every encoding it travels in: as is, percent-encoded (a
    webhook URL's query, upper- or lower-case hex), base64 and URL-safe base64 (an SMTP AUTH echo), with
    or without padding. The second line of defence: error texts are built without secrets in the first
    place (no URL query, no echoed SMTP command). Also a logging filter for libraries that log URLs."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        forms = {form for secret in secrets if secret and len(secret) >= 4 for form in encoded_forms(secret)}
        self.secrets = sorted(forms, key=len, reverse=True)

    def __call__(self, text: str | None) -> str | None:
        if text is None:
            return None
        for secret in self.secrets:
            text = text.replace(secret, "***")
        return text

    def clean(self, text: str | None, *, limit: int = 500) -> str | None:
        """An error text fit to print, store, audit and mail: terminal escapes and controls removed first
        (an escape inside a secret must not split it past the redaction), URL queries dropped, secrets
        redacted."""
        if text is None:
            return None
        return self(without_query(printable(text, limit=None)))[:limit]

    def filter(self, record: logging.LogRecord) -> bool:
        if self.secrets:
            message = record.getMessage()
            cleaned = self(message)
            if cleaned != message:
                record.msg, record.args = cleaned, None
        return True


def encoded_forms(secret: str) -> set[str]:
    """The spellings of one secret that an error text, a log line or a remote echo may carry."""
    raw = secret.encode("utf-8")
    forms = {secret, quote(secret, safe=""), quote(secret), quote_plus(secret)}
    forms |= {re.sub(r"%[0-9A-F]{2}", lambda m: m.group(0).lower(), f) for f in list(forms)}
    for encode in (base64.b64encode, base64.urlsafe_b64encode):
        text = encode(raw).decode("ascii")
        forms |= {text, text.rstrip("=")}
    return {f for f in forms if len(f) >= 4}


_QUERY = re.compile(r"\?[^\s?#\"'<>]*=[^\s#\"'<>]*")


def without_query(text: str) -> str:
    """The text with every URL query (`?name=value...`) cut to `?…`: a webhook's signature, a token or a
    password in a query is never stored, whatever else the text says."""
    return _QUERY.sub("?…", text)


def endpoint(url: str) -> str:
    """scheme://host[:port]/path of a URL, never its user, password, query or fragment."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        return "(alamat tidak valid)"
    host = f"[{host}]" if ":" in host else host
    return f"{parts.scheme}://{host}{port}{parts.path}"


def guard_library_logs(redactor: Redactor) -> None:
    """httpx logs each request URL at INFO; Telegram's URL carries the bot token. Scrub it there too."""
    # a filter on a parent logger does not see its children's records: name each one that logs a URL
    for name in ("httpx", "httpcore", "httpcore.connection", "httpcore.http11", "httpcore.http2", "httpcore.proxy"):
        logger = logging.getLogger(name)
        for old in [f for f in logger.filters if isinstance(f, Redactor)]:
            logger.removeFilter(old)
        logger.addFilter(redactor)


def read_secret(spec: Mapping[str, Any], env_field: str, *, env: Mapping[str, str] | None = None) -> str | None:
    """A secret named in config by its environment variable (`token_env`), or by a Prefect Secret block
    (`token_block`); the config file itself never holds one."""
    if env is None:
        from spbe.settings import get_settings

        env = get_settings().environ
    var = spec.get(env_field)
    if var and env.get(str(var)):
        return env[str(var)]
    block = spec.get(env_field.replace("_env", "_block"))
    if block:
        from prefect.blocks.system import Secret

        try:
            return str(Secret.load(str(block)).get())
        except (ValueError, KeyError) as exc:
            raise ConfigError(
                f"Prefect Secret block {block!r} (from {env_field.replace('_env', '_block')}) could "
                f"not be loaded: {exc.__class__.__name__}"
            ) from None
    return None


def positive(spec: Mapping[str, Any], key: str, default: float | None) -> float | None:
    value = spec.get(key, default)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        raise ConfigError(f"{key} must be a positive number, got {value!r}")
    return float(value)
