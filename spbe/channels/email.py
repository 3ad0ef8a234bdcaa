"""Email over SMTP with STARTTLS, plain text plus an HTML part. The Message-ID comes from the idempotency
key, so a repeat after a lost answer is recognisable in any mail client or server log."""

from __future__ import annotations

import asyncio
import hashlib
import html
import smtplib
import ssl
from collections.abc import Mapping
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formataddr, parseaddr
from pathlib import Path
from typing import Any

from spbe.channels.base import Outcome, Outgoing, Recipient, positive, read_secret
from spbe.errors import ConfigError


@dataclass
class EmailChannel:
    host: str
    port: int
    sender: str
    starttls: bool = True
    user: str | None = None
    password: str | None = None
    ca_file: str | None = None  # a private CA for the relay; default: the system's trust store
    timeout: float = 20.0
    rate_per_second: float | None = 5.0
    concurrency: int | None = 2
    name: str = "email"

    @property
    def secrets(self) -> tuple[str, ...]:
        return tuple(s for s in (self.password,) if s)

    @classmethod
    def from_config(cls, spec: Mapping[str, Any], *, env: Mapping[str, str], data_dir: Path) -> EmailChannel:
        host, sender = spec.get("host"), spec.get("sender")
        problems = []
        if not host:
            problems.append("host is missing")
        if not sender or "@" not in parseaddr(str(sender))[1]:
            problems.append(f"sender must be an address like 'SPBE <spbe@kota.go.id>', got {sender!r}")
        port = spec.get("port", 587)
        if isinstance(port, bool) or not isinstance(port, int) or not 0 < port < 65536:
            problems.append(f"port must be a TCP port, got {port!r}")
        if problems:
            raise ConfigError(problems)
        concurrency = positive(spec, "concurrency", 2)
        return cls(
            host=str(host),
            port=int(port),
            sender=str(sender),
            starttls=bool(spec.get("starttls", True)),
            user=read_secret(spec, "user_env", env=env),
            password=read_secret(spec, "password_env", env=env),
            ca_file=spec.get("ca_file"),
            timeout=positive(spec, "timeout_seconds", 20.0) or 20.0,
            rate_per_second=positive(spec, "rate_per_second", 5.0),
            concurrency=int(concurrency) if concurrency else None,
        )

    def can_reach(self, recipient: Recipient) -> bool:
        return bool(recipient.email)

    def build(self, message: Outgoing) -> EmailMessage:
        mail = EmailMessage()
        mail["From"] = self.sender
        mail["To"] = formataddr((message.recipient.name, message.recipient.email or ""))
        mail["Subject"] = message.subject
        digest = hashlib.sha256(message.key.encode()).hexdigest()[:32]
        domain = parseaddr(self.sender)[1].rpartition("@")[2] or "spbe.local"
        mail["Message-ID"] = f"<{digest}@{domain}>"
        mail["Idempotency-Key"] = message.key
        mail.set_content(message.body)
        mail.add_alternative(html_body(message.subject, message.body), subtype="html")
        return mail

    async def send(self, message: Outgoing, client: Any) -> Outcome:
        return await asyncio.to_thread(self._send, self.build(message))

    def _send(self, mail: EmailMessage) -> Outcome:
        try:
            with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
                smtp.ehlo()
                if self.starttls:
                    smtp.starttls(context=ssl.create_default_context(cafile=self.ca_file))
                    smtp.ehlo()
                if self.user and self.password:
                    smtp.login(self.user, self.password)
                smtp.send_message(mail)
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _ in exc.recipients.values()]
            text = f"smtp: recipient refused {codes}"
            return Outcome.retry(text) if all(400 <= c < 500 for c in codes) else Outcome.refused(text)
        except smtplib.SMTPResponseException as exc:
            text = f"smtp: {exc.smtp_code} {_decode(exc.smtp_error)}"
            return Outcome.retry(text) if 400 <= exc.smtp_code < 500 else Outcome.refused(text)
        except smtplib.SMTPServerDisconnected as exc:
            return Outcome.retry(f"smtp: connection dropped: {exc}", uncertain=True)
        except ssl.SSLError as exc:  # before OSError: a certificate problem will not pass on retry
            return Outcome.refused(f"smtp: TLS failed: {exc.__class__.__name__}: {exc}")
        except smtplib.SMTPException as exc:  # e.g. STARTTLS not offered: configuration, not chance
            return Outcome.refused(f"smtp: {exc.__class__.__name__}: {exc}")
        except OSError as exc:  # refused, reset, unreachable, timed out
            return Outcome.retry(f"smtp: {exc.__class__.__name__}: {exc}")
        return Outcome.ok()


def _decode(value: bytes | str) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


def html_body(subject: str, text: str) -> str:
    """The plain text as simple HTML: paragraphs, and "- " lines as lists."""
    parts: list[str] = []
    for block in text.strip().split("\n\n"):
        lines = block.splitlines()
        items = [ln.strip()[2:] for ln in lines if ln.strip().startswith("- ")]
        head = [ln for ln in lines if not ln.strip().startswith("- ")]
        if head:
            parts.append("<p>" + "<br>\n".join(html.escape(ln.strip()) for ln in head) + "</p>")
        if items:
            parts.append("<ul>\n" + "\n".join(f"<li>{html.escape(i)}</li>" for i in items) + "\n</ul>")
    return (
        '<!doctype html>\n<html lang="id"><head><meta charset="utf-8">'
        f"<title>{html.escape(subject)}</title></head>\n<body>\n" + "\n".join(parts) + "\n</body></html>\n"
    )
