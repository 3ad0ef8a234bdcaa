"""The Telegram Bot API: `sendMessage` to the person's chat id. The bot token is part of the URL, so the
URL is never logged or stored as is (the dispatcher's Redactor scrubs it from errors and httpx logs)."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from spbe.channels.base import Outcome, Outgoing, Recipient, endpoint, positive, read_secret
from spbe.errors import ConfigError

MAX_TEXT = 4096  # Telegram's limit for one message


@dataclass
class TelegramChannel:
    api_base: str
    token: str | None
    token_env: str
    rate_per_second: float | None = 25.0  # Telegram allows about 30 messages a second per bot
    concurrency: int | None = None
    name: str = "telegram"

    @property
    def secrets(self) -> tuple[str, ...]:
        return (self.token,) if self.token else ()

    @classmethod
    def from_config(cls, spec: Mapping[str, Any], *, env: Mapping[str, str], data_dir: Path) -> TelegramChannel:
        base = str(spec.get("api_base", "https://api.telegram.org")).rstrip("/")
        if not base.startswith(("http://", "https://")):
            raise ConfigError(f"api_base must be an http(s) URL, got {base!r}")
        concurrency = positive(spec, "concurrency", None)
        return cls(
            api_base=base,
            token=read_secret(spec, "token_env", env=env),
            token_env=str(spec.get("token_env", "SPBE_TELEGRAM_TOKEN")),
            rate_per_second=positive(spec, "rate_per_second", 25.0),
            concurrency=int(concurrency) if concurrency else None,
        )

    def can_reach(self, recipient: Recipient) -> bool:
        return bool(recipient.telegram)

    async def send(self, message: Outgoing, client: Any) -> Outcome:
        from spbe.channels.http import post

        if not self.token:
            return Outcome.refused(f"telegram: no bot token ({self.token_env} is not set)")
        text = f"{message.subject}\n\n{message.body}"
        if len(text) > MAX_TEXT:
            text = text[: MAX_TEXT - 1] + "…"
        url = f"{self.api_base}/bot{self.token}/sendMessage"
        outcome = await post(
            client,
            url,
            key=message.key,
            shown=f"{endpoint(self.api_base).rstrip('/')}/bot***/sendMessage",
            json={"chat_id": message.recipient.telegram, "text": text, "disable_web_page_preview": True},
        )
        if outcome.error:  # never let the token-bearing URL travel in an error
            outcome = dataclasses.replace(outcome, error=outcome.error.replace(self.token, "***"))
        return outcome
