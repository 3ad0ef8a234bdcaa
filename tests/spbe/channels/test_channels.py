"""Channels one by one: email against a real SMTP server (STARTTLS, login, refusals), HTTP answers and
their meaning, secrets kept out of every text, configuration errors named by field."""

from __future__ import annotations

import asyncio
import base64
import logging
import re
from email.utils import format_datetime
from pathlib import Path

import httpx
import pytest

from spbe import clock
from spbe.channels.base import Outgoing, Recipient, Redactor, guard_library_logs
from spbe.channels.email import EmailChannel, html_body
from spbe.channels.http import classify, retry_after_seconds
from spbe.channels.registry import build_channels
from spbe.errors import ConfigError
from tests.utils.smtp import SmtpServer

PASSWORD = "s3cret-smtp-password"
ADMIN = Recipient("adm-bpkad", "Citra Rahayu", email="admin.bpkad@pekalongan.example", phone="+6281200000003")


def message(key: str = "pekalongan-2025/self-assessment/H-3/v1/adm-bpkad", recipient: Recipient = ADMIN) -> Outgoing:
    body = "Yth. Citra,\n\nHal berikut masih tertunda:\n  - Indikator 33 <Aset>: belum ada isian\n\nSalam\n"
    return Outgoing(1, key, "reminder", "self-assessment", "[SPBE 2025] Pengingat H-3", body, recipient, 1, "p-2025")


def email_channel(server: SmtpServer, **extra) -> EmailChannel:
    spec = {
        "host": "127.0.0.1",
        "port": server.port,
        "sender": "SPBE Kota <spbe@pekalongan.example>",
        "starttls": server.tls,
        "timeout_seconds": 5,
        **extra,
    }
    if server.ca_file:
        spec["ca_file"] = str(server.ca_file)
    env = {"SMTP_USER": "spbe", "SMTP_PASS": PASSWORD}
    return EmailChannel.from_config(spec, env=env, data_dir=Path("."))


def send(channel, msg: Outgoing):
    async def go():
        async with httpx.AsyncClient() as client:
            return await channel.send(msg, client)

    return asyncio.run(go())


def test_email_over_starttls_with_login_plain_and_html(tmp_path: Path):
    with SmtpServer(tmp_path, tls=True, login=("spbe", PASSWORD)) as server:
        channel = email_channel(server, user_env="SMTP_USER", password_env="SMTP_PASS")
        outcome = send(channel, message())
    assert outcome.delivered, outcome
    assert server.logins == ["spbe"]
    mail = server.messages[0]
    assert mail["Subject"] == "[SPBE 2025] Pengingat H-3" and "admin.bpkad@pekalongan.example" in mail["To"]
    assert mail["Idempotency-Key"] == "pekalongan-2025/self-assessment/H-3/v1/adm-bpkad"
    assert mail["Message-ID"].endswith("@pekalongan.example>")
    plain = mail.get_body(("plain",)).get_content()
    html = mail.get_body(("html",)).get_content()
    assert "Indikator 33 <Aset>" in plain and "<li>Indikator 33 &lt;Aset&gt;: belum ada isian</li>" in html
    assert channel.secrets == (PASSWORD, base64.b64encode(f"\0spbe\0{PASSWORD}".encode()).decode())


def test_email_same_key_same_message_id(tmp_path: Path):
    with SmtpServer(tmp_path) as server:
        channel = email_channel(server, starttls=False)
        send(channel, message())
        send(channel, message())
    assert server.messages[0]["Message-ID"] == server.messages[1]["Message-ID"]


def test_email_untrusted_certificate_is_refused_not_retried(tmp_path: Path):
    with SmtpServer(tmp_path, tls=True) as server:
        server.ca_file = None  # the client trusts only the system store
        outcome = send(email_channel(server), message())
    assert not outcome.delivered and not outcome.retryable and "TLS" in outcome.error


@pytest.mark.parametrize(("code", "retryable"), [(450, True), (550, False)])
def test_email_refused_recipient(tmp_path: Path, code: int, retryable: bool):
    with SmtpServer(tmp_path, refuse={ADMIN.email: code}) as server:
        outcome = send(email_channel(server, starttls=False), message())
    assert not outcome.delivered and outcome.retryable is retryable and str(code) in outcome.error


def test_email_server_down_is_retried(tmp_path: Path):
    server = SmtpServer(tmp_path)  # never started
    outcome = send(email_channel(server, starttls=False), message())
    assert outcome.retryable and "smtp" in outcome.error


def test_email_wrong_password_is_refused_and_never_shown(tmp_path: Path):
    with SmtpServer(tmp_path, tls=True, login=("spbe", "another")) as server:
        channel = email_channel(server, user_env="SMTP_USER", password_env="SMTP_PASS")
        outcome = send(channel, message())
    assert not outcome.delivered and not outcome.retryable and "535" in outcome.error
    assert PASSWORD not in outcome.error


def test_email_cannot_reach_someone_without_an_address():
    channel = EmailChannel("h", 25, "a@b.example")
    assert not channel.can_reach(Recipient("x", "X")) and channel.can_reach(ADMIN)


def test_http_answers_and_their_meaning():
    def answer(status: int, **headers: str) -> httpx.Response:
        return httpx.Response(status, headers=headers, text="nope", request=httpx.Request("POST", "http://x"))

    assert classify(answer(200)).delivered and classify(answer(204)).delivered
    for status in (408, 429, 500, 502, 503, 504):
        assert classify(answer(status)).retryable, status
    for status in (400, 401, 403, 404, 410):
        outcome = classify(answer(status))
        assert not outcome.retryable and not outcome.delivered and f"HTTP {status}" in outcome.error
    assert classify(answer(429, **{"Retry-After": "12"})).retry_after == 12
    with clock.use_clock(clock.parse_instant("2025-09-22T09:00:00+07:00")):
        later = clock.now().replace(microsecond=0) + __import__("datetime").timedelta(seconds=30)
        assert retry_after_seconds(format_datetime(later, usegmt=True)) == 30
    assert retry_after_seconds("soon") is None and retry_after_seconds(None) is None


def test_redactor_and_library_log_filter(caplog: pytest.LogCaptureFixture):
    redact = Redactor(["123:ABCDEF-token", "", "abc"])  # empty and very short values are ignored
    assert redact("POST https://api.telegram.org/bot123:ABCDEF-token/sendMessage") == (
        "POST https://api.telegram.org/bot***/sendMessage"
    )
    guard_library_logs(redact)
    caplog.set_level(logging.INFO, logger="httpx")
    logging.getLogger("httpx").info("HTTP Request: %s %s", "POST", "https://x/bot123:ABCDEF-token/sendMessage")
    assert "ABCDEF" not in caplog.text and "bot***" in caplog.text
    guard_library_logs(Redactor())


def test_channel_config_errors_name_the_field():
    with pytest.raises(ConfigError) as err:
        build_channels(
            {
                "webhook": {"url": "ftp://nope"},
                "email": {"port": "x"},
                "whatsapp": {"url": "https://wa.example", "rate_per_second": -1},
                "sms": {"url": "https://sms.example"},
            },
            data_dir=Path("."),
            env={},
        )
    text = str(err.value)
    for expected in (
        "[channels.webhook] url",
        "[channels.email] host",
        "[channels.email] port",
        "[channels.whatsapp] rate_per_second",
        "unknown channel(s) ['sms']",
    ):
        assert expected in text, expected
    built = build_channels({"file": {"path": "-"}, "telegram": {"enabled": False}}, data_dir=Path("."), env={})
    assert list(built) == ["file"]


def test_secrets_come_only_from_the_environment(tmp_path: Path):
    section = {"telegram": {"token_env": "TG_TOKEN"}, "whatsapp": {"url": "https://wa.example", "token_env": "WA"}}
    none = build_channels(section, data_dir=tmp_path, env={})
    assert none["telegram"].secrets == () and none["whatsapp"].secrets == ()
    outcome = send(none["telegram"], message(recipient=Recipient("x", "X", telegram="1")))
    assert not outcome.retryable and "TG_TOKEN is not set" in outcome.error
    some = build_channels(section, data_dir=tmp_path, env={"TG_TOKEN": "1:tok", "WA": "wa-tok"})
    assert some["telegram"].secrets == ("1:tok",) and some["whatsapp"].secrets == ("wa-tok",)
    assert "1:tok" not in repr(section)  # read from the environment, never written back


def test_html_body_escapes_and_lists():
    page = html_body("A & B", "Halo <b>\n\n- satu\n- dua\n\nSalam")
    assert "<title>A &amp; B</title>" in page and "<p>Halo &lt;b&gt;</p>" in page
    assert "<ul>\n<li>satu</li>\n<li>dua</li>\n</ul>" in page


def test_a_secret_in_the_webhook_url_is_redacted():
    from spbe.channels.webhook import WebhookChannel

    hook = WebhookChannel(url="https://hooks.example/services/T000/B000/XXXXXXXXXXXXXXXXXXXXXXXX?sig=abcdef123456")
    assert "XXXXXXXXXXXXXXXXXXXXXXXX" in hook.secrets and "abcdef123456" in hook.secrets
    assert "services" not in hook.secrets  # short, ordinary path segments stay readable


# --- secrets in every encoding, terminal escapes, build errors ---------------------------------------------

SIG = "WH+SIG/rahasia=42"


def test_the_redactor_knows_every_encoding_a_secret_travels_in():
    from urllib.parse import quote, quote_plus

    redact = Redactor([SIG])
    raw = SIG.encode()
    for form in (
        SIG,
        quote(SIG, safe=""),  # WH%2BSIG%2Frahasia%3D42: a webhook query as sent
        re.sub(r"%[0-9A-F]{2}", lambda m: m.group(0).lower(), quote(SIG, safe="")),
        quote_plus(SIG),
        base64.b64encode(raw).decode(),
        base64.b64encode(raw).decode().rstrip("="),
        base64.urlsafe_b64encode(raw).decode(),
    ):
        assert redact(f"echo: {form}!") == "echo: ***!", form
    assert "%2b" in quote(SIG, safe="").lower()  # the lower-case form above really is lower-case hex


def test_clean_strips_escapes_before_redacting_and_cuts_url_queries():
    redact = Redactor([SIG])
    split = "WH+SIG\x1b[0m/rahasia=42"  # an escape inside the secret must not let it through
    assert redact.clean(f"gagal: {split}") == "gagal: ***"
    assert redact.clean("HTTP 400: no hook at /hooks/T0?sig=anything&x=1 \x1b]52;c;cGF3bmVk\x07!") == (
        "HTTP 400: no hook at /hooks/T0?… !"
    )
    assert redact.clean(None) is None


def test_an_http_error_body_is_one_printable_line_without_our_query():
    body = "\x1b[2J\x1b]0;judul palsu\x07ditolak: /hook?sig=WH%2BSIG%2Frahasia%3D42\r\nbaris dua"
    response = httpx.Response(400, text=body, request=httpx.Request("POST", "http://x"))
    outcome = classify(response)
    assert outcome.error == "HTTP 400 Bad Request: ditolak: /hook?… baris dua"


def test_a_message_that_cannot_be_built_raises_build_error_and_sends_nothing(tmp_path: Path):
    from spbe.channels.base import BuildError

    broken = Recipient("adm-x", "Citra\r\nBcc: semua@contoh.example", email="citra@pekalongan.example")
    with SmtpServer(tmp_path) as server:
        channel = email_channel(server, starttls=False)
        with pytest.raises(BuildError, match=r"header To tidak dapat disusun .*roster"):
            channel.build(message(recipient=broken))
        with pytest.raises(BuildError):
            send(channel, message(recipient=broken))
    assert server.messages == []


def test_an_smtp_server_echoing_auth_plain_never_puts_the_credentials_in_the_error():
    from tests.utils.smtp import EchoingSmtpServer

    with EchoingSmtpServer() as server:
        spec = {"host": "127.0.0.1", "port": server.port, "sender": "SPBE <spbe@pekalongan.example>"}
        channel = EmailChannel.from_config(
            {**spec, "starttls": False, "user_env": "U", "password_env": "P"},
            env={"U": "spbe", "P": PASSWORD},
            data_dir=Path("."),
        )
        outcome = send(channel, message())
    blob = base64.b64encode(f"\0spbe\0{PASSWORD}".encode()).decode()
    assert any(blob in c for c in server.commands)  # the server did get (and echo) it
    assert not outcome.delivered and not outcome.retryable
    assert outcome.error.startswith("smtp login: 535 5.7.8: server menolak login")
    assert blob not in outcome.error and PASSWORD not in outcome.error and "AUTH" not in outcome.error


def test_an_smtp_refusal_keeps_its_code_and_loses_its_escapes():
    from tests.utils.smtp import EchoingSmtpServer

    with EchoingSmtpServer(rcpt_reply="550 5.1.1 \x1b]52;c;cGF3bmVk\x07mailbox tidak ada\x1b[0m") as server:
        spec = {"host": "127.0.0.1", "port": server.port, "sender": "SPBE <spbe@pekalongan.example>"}
        channel = EmailChannel.from_config({**spec, "starttls": False}, env={}, data_dir=Path("."))
        outcome = send(channel, message())
    assert outcome.error == "smtp: recipient refused [550]"
    from spbe.channels.email import _reply_text

    assert _reply_text("send", 550, b"5.1.1 \x1b]52;c;cGF3bmVk\x07mailbox tidak ada\x1b[0m") == (
        "smtp send: 550 5.1.1 mailbox tidak ada"
    )
