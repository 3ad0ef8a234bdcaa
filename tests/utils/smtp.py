"""A real SMTP server on 127.0.0.1 (aiosmtpd) for email tests: optional STARTTLS with a throw-away
certificate authority, optional login, and recipients it refuses with a chosen code."""

from __future__ import annotations

import datetime as dt
import ipaddress
import socket
import ssl
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def self_signed(directory: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 and its key; the certificate doubles as the CA file clients trust."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "smtp-cert.pem", directory / "smtp-key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return cert_path, key_path


@dataclass
class SmtpServer:
    directory: Path
    tls: bool = False
    login: tuple[str, str] | None = None  # (user, password) the server accepts; login then required
    refuse: dict[str, int] = field(default_factory=dict)  # recipient address → SMTP code (450, 550, ...)
    messages: list[EmailMessage] = field(default_factory=list)
    logins: list[str] = field(default_factory=list)
    ca_file: Path | None = None

    def __post_init__(self) -> None:
        self.port = free_port()

    def __enter__(self) -> SmtpServer:
        from aiosmtpd.controller import Controller
        from aiosmtpd.smtp import AuthResult, LoginPassword

        server = self

        class Handler:
            async def handle_RCPT(self, smtp, session, envelope, address, options):
                code = server.refuse.get(address)
                if code:
                    return f"{code} recipient refused for the test"
                envelope.rcpt_tos.append(address)
                return "250 OK"

            async def handle_DATA(self, smtp, session, envelope):
                server.messages.append(message_from_bytes(envelope.original_content, policy=policy.default))
                return "250 Message accepted"

        def authenticator(smtp, session, envelope, mechanism, data) -> Any:
            ok = (
                server.login is not None
                and isinstance(data, LoginPassword)
                and (data.login.decode(), data.password.decode()) == server.login
            )
            if ok:
                server.logins.append(data.login.decode())
            return AuthResult(success=ok, handled=False)  # not handled: aiosmtpd answers 535 itself

        kwargs: dict[str, Any] = {}
        if self.tls:
            cert, key = self_signed(self.directory)
            context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            context.load_cert_chain(cert, key)
            self.ca_file = cert
            kwargs |= {"tls_context": context, "require_starttls": True}
        if self.login:
            kwargs |= {"authenticator": authenticator, "auth_required": True, "auth_require_tls": self.tls}
        self.controller = Controller(Handler(), hostname="127.0.0.1", port=self.port, **kwargs)
        self.controller.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.controller.stop()


@dataclass
class EchoingSmtpServer:
    """A careless SMTP server on 127.0.0.1 (plain socket, no TLS): it offers AUTH PLAIN only and refuses
    the login with a reply that quotes the command it got (the base64 of user and password); with
    `rcpt_reply` it refuses every recipient with that text (escape sequences and all)."""

    rcpt_reply: str | None = None
    commands: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        import socketserver
        import threading

        server = self

        class Handler(socketserver.StreamRequestHandler):
            def handle(self) -> None:
                self.wfile.write(b"220 uji ESMTP\r\n")
                for raw in self.rfile:
                    line = raw.decode("utf-8", "replace").rstrip("\r\n")
                    server.commands.append(line)
                    verb = line.split(" ", 1)[0].upper()
                    if verb in ("EHLO", "HELO"):
                        answer = "250-uji\r\n250 AUTH PLAIN"
                    elif verb == "AUTH":
                        answer = f"535 5.7.8 Authentication failed: {line}"
                    elif verb == "MAIL":
                        answer = "250 OK"
                    elif verb == "RCPT":
                        answer = server.rcpt_reply or "250 OK"
                    elif verb == "QUIT":
                        self.wfile.write(b"221 bye\r\n")
                        return
                    else:
                        answer = "502 not here"
                    self.wfile.write(answer.encode() + b"\r\n")

        class Server(socketserver.ThreadingTCPServer):
            daemon_threads = True
            allow_reuse_address = True

        self._server = Server(("127.0.0.1", 0), Handler)
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> EchoingSmtpServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._server.shutdown()
        self._server.server_close()
