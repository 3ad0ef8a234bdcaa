"""What every channel shares: the message and outcome types, the `Channel` protocol, secrets and their redaction.

Kept apart from the channel implementations (which import it) and from `spbe.channels.registry` (which
imports them), so that no module of the package imports another that imports it back.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from spbe.errors import ConfigError


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


class Redactor:
    """Replaces every known secret in a text with ***; also a logging filter for libraries that log URLs."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self.secrets = sorted({s for s in secrets if s and len(s) >= 4}, key=len, reverse=True)

    def __call__(self, text: str | None) -> str | None:
        if text is None:
            return None
        for secret in self.secrets:
            text = text.replace(secret, "***")
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        if self.secrets:
            message = record.getMessage()
            cleaned = self(message)
            if cleaned != message:
                record.msg, record.args = cleaned, None
        return True


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
