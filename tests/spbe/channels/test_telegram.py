"""The Telegram channel against a real HTTP server on 127.0.0.1 standing in for the Bot API."""

from __future__ import annotations

import asyncio
import socket
from pathlib import Path

import httpx
import pytest

from spbe.channels.base import Outgoing, Recipient
from spbe.channels.telegram import MAX_TEXT, TelegramChannel
from spbe.errors import ConfigError
from tests.utils.receiver import Faults, Receiver

TOKEN = "123456:AAH-bot-token-secret"
KEY = "pekalongan-2025/self-assessment/H-3/v1/adm-bpkad"
ADMIN = Recipient("adm-bpkad", "Citra Rahayu", telegram="987654321")


def message(body: str = "Indikator 33 belum diisi.", recipient: Recipient = ADMIN) -> Outgoing:
    return Outgoing(1, KEY, "reminder", "self-assessment", "[SPBE 2025] Pengingat H-3", body, recipient, 1, "p-2025")


def channel(api_base: str, token: str | None = TOKEN) -> TelegramChannel:
    env = {"TG": token} if token else {}
    return TelegramChannel.from_config({"api_base": api_base, "token_env": "TG"}, env=env, data_dir=Path("."))


def send(ch: TelegramChannel, msg: Outgoing, *, timeout: float = 5.0):
    async def go():
        async with httpx.AsyncClient(timeout=timeout) as client:
            return await ch.send(msg, client)

    return asyncio.run(go())


def test_send_message_reaches_the_bot_api():
    with Receiver() as rx:
        outcome = send(channel(rx.url + "/"), message())  # a trailing slash in config is tolerated
    assert outcome.delivered and outcome.status == 200
    (request,) = rx.requests
    assert request.path == f"/bot{TOKEN}/sendMessage"
    assert request.key == KEY and request.headers["Idempotency-Key"] == KEY
    assert request.body == {
        "chat_id": "987654321",
        "text": "[SPBE 2025] Pengingat H-3\n\nIndikator 33 belum diisi.",
        "disable_web_page_preview": True,
    }


def test_a_long_message_is_cut_to_telegram_limit():
    with Receiver() as rx:
        assert send(channel(rx.url), message(body="x" * 5000)).delivered
    text = rx.requests[0].body["text"]
    assert len(text) == MAX_TEXT and text.endswith("…") and text.startswith("[SPBE 2025] Pengingat H-3\n\nxxx")


def test_refused_chat_is_final_and_the_token_never_shows():
    """The gateway echoes the request path (which carries the token) in its error body."""
    with Receiver(refuse={"/bot": 400}) as rx:
        outcome = send(channel(rx.url), message())
    assert not outcome.delivered and not outcome.retryable and outcome.status == 400
    assert "chat not found" in outcome.error and "/bot***/sendMessage" in outcome.error
    assert TOKEN not in outcome.error


def test_flood_limit_is_retried_after_what_the_server_says():
    with Receiver(Faults(share=1.0, kinds=("429",), retry_after=7)) as rx:
        outcome = send(channel(rx.url), message())
    assert outcome.retryable and not outcome.uncertain and outcome.retry_after == 7 and outcome.status == 429


def test_no_answer_in_time_is_uncertain():
    """The request went out and no answer came back: it may have arrived, so it must not go to another channel."""
    with Receiver(Faults(share=1.0, kinds=("stall",), stall_seconds=5)) as rx:
        outcome = send(channel(rx.url), message(), timeout=0.3)
    assert outcome.retryable and outcome.uncertain and "timeout" in outcome.error and TOKEN not in outcome.error


def test_api_down_is_retried_and_certain():
    with socket.socket() as sock:  # a port on 127.0.0.1 with nothing listening
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    outcome = send(channel(f"http://127.0.0.1:{port}"), message())
    assert outcome.retryable and not outcome.uncertain and "connection failed" in outcome.error


def test_without_a_token_nothing_is_sent():
    with Receiver() as rx:
        outcome = send(channel(rx.url, token=None), message())
    assert not outcome.retryable and "TG is not set" in outcome.error and rx.requests == []


def test_reaches_only_people_with_a_chat_id():
    ch = channel("http://127.0.0.1:9")
    assert ch.can_reach(ADMIN) and not ch.can_reach(Recipient("x", "X", email="x@pekalongan.example"))
    assert ch.secrets == (TOKEN,)


def test_config_defaults_and_errors():
    default = TelegramChannel.from_config({}, env={}, data_dir=Path("."))
    assert default.api_base == "https://api.telegram.org" and default.token_env == "SPBE_TELEGRAM_TOKEN"
    assert default.rate_per_second == 25.0
    with pytest.raises(ConfigError, match="api_base must be an http"):
        TelegramChannel.from_config({"api_base": "ftp://api.example"}, env={}, data_dir=Path("."))
