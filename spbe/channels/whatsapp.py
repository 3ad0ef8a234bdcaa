"""A WhatsApp gateway of the kind common in Indonesia: a form POST with a token, the target number and
the message. URL, token and field names come from config (the token from the environment)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from spbe.channels.base import Outcome, Outgoing, Recipient, positive, read_secret
from spbe.errors import ConfigError


@dataclass
class WhatsAppChannel:
    url: str
    token: str | None
    token_env: str
    token_field: str = "token"
    target_field: str = "target"
    message_field: str = "message"
    token_header: str | None = None  # some gateways want the token in a header (e.g. Authorization)
    rate_per_second: float | None = 1.0  # gateways ban numbers that send in bursts
    concurrency: int | None = 2
    name: str = "whatsapp"

    @property
    def secrets(self) -> tuple[str, ...]:
        return (self.token,) if self.token else ()

    @classmethod
    def from_config(cls, spec: Mapping[str, Any], *, env: Mapping[str, str], data_dir: Path) -> WhatsAppChannel:
        url = spec.get("url")
        if not url or not str(url).startswith(("http://", "https://")):
            raise ConfigError(f"url must be an http(s) URL, got {url!r}")
        concurrency = positive(spec, "concurrency", 2)
        return cls(
            url=str(url),
            token=read_secret(spec, "token_env", env=env),
            token_env=str(spec.get("token_env", "SPBE_WHATSAPP_TOKEN")),
            token_field=str(spec.get("token_field", "token")),
            target_field=str(spec.get("target_field", "target")),
            message_field=str(spec.get("message_field", "message")),
            token_header=spec.get("token_header"),
            rate_per_second=positive(spec, "rate_per_second", 1.0),
            concurrency=int(concurrency) if concurrency else None,
        )

    def can_reach(self, recipient: Recipient) -> bool:
        return bool(recipient.phone)

    async def send(self, message: Outgoing, client: Any) -> Outcome:
        from spbe.channels.http import post

        if not self.token:
            return Outcome.refused(f"whatsapp: no gateway token ({self.token_env} is not set)")
        form = {
            self.target_field: (message.recipient.phone or "").lstrip("+"),
            self.message_field: f"*{message.subject}*\n\n{message.body}",
        }
        headers = {}
        if self.token_header:
            headers[self.token_header] = self.token
        else:
            form[self.token_field] = self.token
        return await post(client, self.url, key=message.key, data=form, headers=headers)
