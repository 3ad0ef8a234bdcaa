"""The demo's stand-in for the outside world: evidence documents (some dead) and a webhook that records."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from spbe.demo.receiver import DemoReceiver


@pytest.fixture
def receiver(tmp_path: Path):
    rx = DemoReceiver(tmp_path / "webhook.jsonl").start()
    yield rx
    rx.stop()


@pytest.mark.parametrize(
    ("path", "status", "body"),
    [
        ("/evidence/ok/indikator-3-v1.pdf", 200, b"%PDF-1.4 demo evidence\n"),
        ("/evidence/missing/indikator-3-v1.pdf", 404, b"not found"),
        ("/evidence/private/indikator-3-v1.pdf", 403, b"you need access"),
        ("/elsewhere", 404, b""),
    ],
)
def test_evidence_answers(receiver, path, status, body):
    got = httpx.get(receiver.base_url + path, timeout=5)
    assert (got.status_code, got.content) == (status, body)
    head = httpx.head(receiver.base_url + path, timeout=5)
    assert head.status_code == status and head.content == b""


def test_webhook_records_every_message_and_marks_repeats(receiver, tmp_path: Path):
    assert receiver.base_url.startswith("http://127.0.0.1:")
    with httpx.Client(base_url=receiver.base_url, timeout=5) as client:
        for key, text in [("k/1", "satu"), ("k/2", "dua"), ("k/1", "satu lagi")]:
            assert client.post("/spbe", json={"text": text}, headers={"Idempotency-Key": key}).status_code == 200
        assert client.post("/spbe", content=b"{not json", headers={"Idempotency-Key": "k/3"}).status_code == 400
    assert [(m["text"], m["duplicate"]) for m in receiver.received] == [
        ("satu", False),
        ("dua", False),
        ("satu lagi", True),
    ]
    assert receiver.keys == {"k/1", "k/2"}
    logged = [json.loads(line) for line in (tmp_path / "webhook.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [m["text"] for m in logged] == ["satu", "dua", "satu lagi"]
