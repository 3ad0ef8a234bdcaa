"""The WhatsApp gateway channel against a real HTTP server on 127.0.0.1: the form Indonesian gateways take."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import pytest

from spbe.channels.base import Outgoing, Recipient
from spbe.channels.whatsapp import WhatsAppChannel
from spbe.errors import ConfigError
from tests.utils.receiver import Faults, Receiver

TOKEN = "wa-gateway-token-0042"
KEY = "pekalongan-2025/self-assessment/H-1/v1/adm-dinkes"
ADMIN = Recipient("adm-dinkes", "Budi Santoso", phone="+6281200000007")


def message(recipient: Recipient = ADMIN) -> Outgoing:
    body = "Yth. Budi,\nIndikator 42 belum diisi."
    return Outgoing(2, KEY, "reminder", "self-assessment", "[SPBE 2025] Pengingat H-1", body, recipient, 1, "p-2025")


def channel(url: str, token: str | None = TOKEN, **spec) -> WhatsAppChannel:
    env = {"WA": token} if token else {}
    return WhatsAppChannel.from_config({"url": url, "token_env": "WA", **spec}, env=env, data_dir=Path("."))


def send(ch: WhatsAppChannel, msg: Outgoing):
    async def go():
        async with httpx.AsyncClient(timeout=5) as client:
            return await ch.send(msg, client)

    return asyncio.run(go())


def test_form_post_with_token_number_and_message():
    with Receiver() as rx:
        outcome = send(channel(rx.url + "/send"), message())
    assert outcome.delivered
    (request,) = rx.requests
    assert request.path == "/send" and request.key == KEY
    assert request.headers["Content-Type"].startswith("application/x-www-form-urlencoded")
    assert request.body == {
        "target": "6281200000007",  # the gateway wants the number without "+"
        "message": "*[SPBE 2025] Pengingat H-1*\n\nYth. Budi,\nIndikator 42 belum diisi.",
        "token": TOKEN,
    }


def test_field_names_and_a_token_header_from_config():
    spec = {"target_field": "nomor", "message_field": "pesan", "token_header": "Authorization"}
    with Receiver() as rx:
        assert send(channel(rx.url + "/api/kirim", **spec), message()).delivered
    (request,) = rx.requests
    assert request.headers["Authorization"] == TOKEN
    assert set(request.body) == {"nomor", "pesan"} and request.body["nomor"] == "6281200000007"
    assert TOKEN not in str(request.body)  # the token travels in the header only


def test_gateway_error_is_retried_and_a_refusal_is_final():
    with Receiver(Faults(share=1.0, kinds=("500",))) as rx:
        failed = send(channel(rx.url + "/send"), message())
    assert failed.retryable and failed.status == 500 and "HTTP 500" in failed.error
    with Receiver(refuse={"/send": 401}) as rx:
        refused = send(channel(rx.url + "/send"), message())
    assert not refused.retryable and not refused.delivered and refused.status == 401


def test_without_a_token_nothing_is_sent():
    with Receiver() as rx:
        outcome = send(channel(rx.url + "/send", token=None), message())
    assert not outcome.retryable and "WA is not set" in outcome.error and rx.requests == []


def test_reaches_only_people_with_a_phone_number():
    ch = channel("http://127.0.0.1:9/send")
    assert ch.can_reach(ADMIN) and not ch.can_reach(Recipient("x", "X", telegram="1"))
    assert ch.secrets == (TOKEN,)


def test_config_defaults_and_errors():
    ch = channel("https://wa.example/send", token=None)
    assert (ch.rate_per_second, ch.concurrency, ch.token_env) == (1.0, 2, "WA")  # gateways ban bursts
    for url in (None, "", "wa.example/send", "ftp://wa.example"):
        with pytest.raises(ConfigError, match="url must be an http"):
            WhatsAppChannel.from_config({"url": url}, env={}, data_dir=Path("."))
