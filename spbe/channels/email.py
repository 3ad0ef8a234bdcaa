"""Email over SMTP with STARTTLS, plain text plus an HTML part. The Message-ID comes from the idempotency
key, so a repeat after a lost answer is recognisable in any mail client or server log.

Building and sending are two steps with two kinds of failure. A message that cannot be built (a name with
a line break would split a header) raises `BuildError`: certainly not sent, so the dispatcher moves on to
the next channel. A failed send says which step failed (connect, STARTTLS, login, send) with the reply
code; the server's own text is kept only where it cannot hold our credentials: never for the login step,
where a server may echo the `AUTH PLAIN <base64>` command it was sent."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import html
import re
import smtplib
import ssl
from collections.abc import Mapping
from dataclasses import dataclass
from email.errors import MessageError
from email.message import EmailMessage
from email.utils import formataddr, parseaddr
from pathlib import Path
from typing import Any

from spbe.channels.base import BuildError, Outcome, Outgoing, Recipient, positive, read_secret
from spbe.errors import ConfigError
from spbe.safe_text import printable


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
        """The password, and the AUTH PLAIN blob smtplib sends (base64 of NUL user NUL password), which a
        server may echo back whole; the Redactor adds the other encodings of each."""
        if not self.password:
            return ()
        plain = base64.b64encode(f"\0{self.user or ''}\0{self.password}".encode()).decode("ascii")
        return (self.password, plain)

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
        """The message, or `BuildError` naming the part that cannot be put into a mail."""
        mail = EmailMessage()
        digest = hashlib.sha256(message.key.encode()).hexdigest()[:32]
        domain = parseaddr(self.sender)[1].rpartition("@")[2] or "spbe.local"
        headers = (
            ("From", self.sender),
            ("To", formataddr((message.recipient.name, message.recipient.email or ""))),
            ("Subject", message.subject),
            ("Message-ID", f"<{digest}@{domain}>"),
            ("Idempotency-Key", message.key),
        )
        for name, value in headers:
            try:
                mail[name] = value
            except (ValueError, TypeError, UnicodeError, MessageError) as exc:
                raise BuildError(
                    f"email: header {name} tidak dapat disusun ({printable(exc, limit=120)}); periksa data "
                    f"penerima {message.recipient.key} di roster"
                ) from None
        try:
            mail.set_content(message.body)
            mail.add_alternative(html_body(message.subject, message.body), subtype="html")
        except (ValueError, TypeError, UnicodeError, MessageError) as exc:
            raise BuildError(f"email: isi pesan tidak dapat disusun ({printable(exc, limit=120)})") from None
        for path in message.attachments:
            _attach(mail, Path(path))
        return mail

    async def send(self, message: Outgoing, client: Any) -> Outcome:
        mail = self.build(message)  # BuildError: nothing was sent (the dispatcher tries the next channel)
        return await asyncio.to_thread(self._send, mail)

    def _send(self, mail: EmailMessage) -> Outcome:
        step = "connect"
        try:
            with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
                step = "ehlo"
                smtp.ehlo()
                if self.starttls:
                    step = "starttls"
                    smtp.starttls(context=ssl.create_default_context(cafile=self.ca_file))
                    smtp.ehlo()
                if self.user and self.password:
                    step = "login"
                    smtp.login(self.user, self.password)
                step = "send"
                smtp.send_message(mail)
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _ in exc.recipients.values()]
            text = f"smtp: recipient refused {codes}"
            return Outcome.retry(text) if all(400 <= c < 500 for c in codes) else Outcome.refused(text)
        except smtplib.SMTPResponseException as exc:
            text = _reply_text(step, exc.smtp_code, exc.smtp_error)
            return Outcome.retry(text) if 400 <= exc.smtp_code < 500 else Outcome.refused(text)
        except smtplib.SMTPServerDisconnected as exc:
            return Outcome.retry(f"smtp {step}: connection dropped: {_library_text(step, exc)}", uncertain=True)
        except ssl.SSLError as exc:  # before OSError: a certificate problem will not pass on retry
            return Outcome.refused(f"smtp {step}: TLS failed: {exc.__class__.__name__}: {printable(exc, limit=200)}")
        except smtplib.SMTPException as exc:  # e.g. STARTTLS not offered: configuration, not chance
            return Outcome.refused(f"smtp {step}: {exc.__class__.__name__}: {_library_text(step, exc)}")
        except OSError as exc:  # refused, reset, unreachable, timed out
            return Outcome.retry(f"smtp {step}: {exc.__class__.__name__}: {printable(exc, limit=200)}")
        return Outcome.ok()


ATTACHMENT_TYPES = {
    ".html": ("text", "html"),
    ".xlsx": ("application", "vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    ".json": ("application", "json"),
    ".md": ("text", "markdown"),
    ".pdf": ("application", "pdf"),
    ".csv": ("text", "csv"),
}


def _attach(mail: EmailMessage, path: Path) -> None:
    """Attach a file the message carries (the report); a file gone from the server is a build error, so the
    dispatcher tries the next channel (whose body says where the report is) rather than mail without it."""
    try:
        content = path.read_bytes()
    except OSError as exc:
        raise BuildError(f"email: lampiran {path.name} tidak dapat dibaca ({exc.strerror})") from None
    maintype, subtype = ATTACHMENT_TYPES.get(path.suffix.lower(), ("application", "octet-stream"))
    mail.add_attachment(content, maintype=maintype, subtype=subtype, filename=path.name)


_ENHANCED = re.compile(r"^\s*([245]\.\d{1,3}\.\d{1,3})\b")


def _reply_text(step: str, code: int, reply: bytes | str) -> str:
    """`smtp <step>: <code> <enhanced code> <text>`; at the login step without the server's text, which may
    echo the credentials it was sent (AUTH PLAIN <base64 of user and password>)."""
    text = printable(_decode(reply), limit=200)
    enhanced = _ENHANCED.match(text)
    status = f"{code} {enhanced.group(1)}" if enhanced else str(code)
    if step == "login":
        return f"smtp login: {status}: server menolak login (teks balasan tidak disimpan: dapat memuat kredensial)"
    return f"smtp {step}: {status} {text[enhanced.end() :].strip() if enhanced else text}".rstrip()


def _library_text(step: str, exc: BaseException) -> str:
    """smtplib's own words; at the login step they may quote the server, so only the class is kept there."""
    return exc.__class__.__name__ if step == "login" else printable(exc, limit=200)


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
