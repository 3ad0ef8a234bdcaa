"""A generic JSON webhook: one POST per message, with an Idempotency-Key header and the key in the body."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from spbe.channels.base import Outcome, Outgoing, Recipient, positive, read_secret
from spbe.errors import ConfigError


@dataclass
class WebhookChannel:
    url: str
    token: str | None = None  # sent as a bearer token when configured (token_env)
    rate_per_second: float | None = None
    concurrency: int | None = None
    name: str = "webhook"

    @property
    def secrets(self) -> tuple[str, ...]:
        """The token, and any long path segment or query value of the URL (Slack/Teams-style hooks carry
        their secret there), so neither reaches a log or an error."""
        from urllib.parse import parse_qsl, urlsplit

        parts = urlsplit(self.url)
        in_url = [seg for seg in parts.path.split("/") if len(seg) >= 16]
        in_url += [value for _, value in parse_qsl(parts.query) if len(value) >= 8]
        return tuple(s for s in (self.token, *in_url) if s)

    @classmethod
    def from_config(cls, spec: Mapping[str, Any], *, env: Mapping[str, str], data_dir: Path) -> WebhookChannel:
        url = env.get("SPBE_WEBHOOK_URL") or spec.get("url")
        if not url or not str(url).startswith(("http://", "https://")):
            raise ConfigError(f"url must be an http(s) URL (or set SPBE_WEBHOOK_URL), got {url!r}")
        concurrency = positive(spec, "concurrency", None)
        return cls(
            url=str(url),
            token=read_secret(spec, "token_env", env=env),
            rate_per_second=positive(spec, "rate_per_second", None),
            concurrency=int(concurrency) if concurrency else None,
        )

    def can_reach(self, recipient: Recipient) -> bool:
        return True

    def payload(self, message: Outgoing) -> dict[str, Any]:
        r = message.recipient
        return {
            "idempotency_key": message.key,
            "recipient": r.key,
            "recipient_name": r.name,
            "email": r.email,
            "phone": r.phone,
            "telegram": r.telegram,
            "subject": message.subject,
            "body": message.body,
            "phase": message.phase,
            "kind": message.kind,
            "cycle": message.cycle,
            "attempt": message.attempt,
        }

    async def send(self, message: Outgoing, client: Any) -> Outcome:
        from spbe.channels.http import post

        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        return await post(client, self.url, key=message.key, json=self.payload(message), headers=headers)
