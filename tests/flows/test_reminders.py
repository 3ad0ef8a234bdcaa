"""The reminder flows on the session's Prefect test server: one `remind` run sweeps, delivers and leaves
artifacts (due, sent, retried, dead) that carry no secret."""

from __future__ import annotations

import asyncio
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import Session, select

from spbe import clock
from spbe.store import models as m
from spbe.store.tables_reminders import OutboxMessage
from tests.utils.receiver import Faults, Receiver
from tests.utils.store import open_store

WIB = ZoneInfo("Asia/Jakarta")
TOKEN = "7012345678:AAE-flow-secret-token"


async def artifacts(run_id: str) -> dict[str, object]:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterFlowRunId

    async with get_client() as client:
        found = await client.read_artifacts(
            artifact_filter=ArtifactFilter(flow_run_id=ArtifactFilterFlowRunId(any_=[run_id]))
        )
    return {a.key: a for a in found}


def test_remind_flow_run_with_artifacts(prefect_harness, sqlite_store_env: str, monkeypatch: pytest.MonkeyPatch):
    from flows.reminders import run_remind_flow
    from spbe.settings import get_settings

    engine = open_store(sqlite_store_env)
    with Receiver(Faults(share=1.0, kinds=("500",), match="adm-bpkad", max_faults_per_key=99)) as rx:
        monkeypatch.setenv("SPBE_WEBHOOK_URL", rx.url + "/spbe")
        monkeypatch.setenv("SPBE_TELEGRAM_TOKEN", TOKEN)  # loaded, never shown
        monkeypatch.setenv("SPBE_FORCE_CHANNEL", "webhook")  # no fallback to the file channel
        get_settings.cache_clear()  # the environment is read once per process: this is a new one
        with clock.use_clock(datetime(2025, 9, 19, 9, 0, tzinfo=WIB)):
            result = run_remind_flow()
    assert len(result["sweep"]["queued"]) == 14
    assert len(result["dispatch"]["sent"]) == 13 and len(result["dispatch"]["retried"]) == 1
    found = asyncio.run(artifacts(result["flow_run_id"]))
    assert {"pekalongan-2025-reminders-due", "outbox-sent", "outbox-retried", "reminders-summary"} <= set(found)
    assert "13 terkirim, 1 dicoba ulang" in found["reminders-summary"].data
    assert "sapuan Jumat, 19 September 2025 pukul 09.00 WIB: 14 antre" in found["reminders-summary"].data
    assert found["outbox-sent"].description == "pesan terkirim: 13"  # Indonesian, as the whole page
    assert found["pekalongan-2025-reminders-due"].description == "Jatuh tempo sekarang: 14 pesan"
    everything = " ".join(str(a.data) for a in found.values())
    assert "adm-bpkad" in everything and TOKEN not in everything
    with Session(engine) as session:
        assert session.exec(select(OutboxMessage).where(OutboxMessage.state == "sent")).all()
        event = session.exec(select(m.AuditEvent).where(m.AuditEvent.action == "reminders.swept")).one()
        assert event.flow_run_id == result["flow_run_id"]  # the audit trail points at the flow run


def test_a_token_from_a_prefect_secret_block(prefect_harness):
    from prefect.blocks.system import Secret

    from spbe.channels.base import read_secret

    Secret(value="blok-rahasia-123").save("spbe-telegram-token-test", overwrite=True)
    spec = {"token_env": "SPBE_NOT_SET_ANYWHERE", "token_block": "spbe-telegram-token-test"}
    assert read_secret(spec, "token_env", env={}) == "blok-rahasia-123"
    assert read_secret(spec, "token_env", env={"SPBE_NOT_SET_ANYWHERE": "dari-env"}) == "dari-env"  # env first
