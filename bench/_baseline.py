"""The baseline the dispatcher is measured against, in the same run: the same webhook payloads posted by a
bare `httpx.AsyncClient` loop (one pooled client, a semaphore, nothing else) to the same receiver."""

from __future__ import annotations

import asyncio
import time


def webhook_payloads(
    engine, cycle_ids: list[int] | None = None, row_ids: set[int] | None = None
) -> list[tuple[str, dict]]:
    """(idempotency key, payload) of every outbox row of `cycle_ids` (all cycles: None), or only of `row_ids`,
    built the way the dispatcher's webhook channel builds them."""
    from sqlmodel import Session, col, select

    from spbe.channels.base import Outgoing, Recipient
    from spbe.channels.webhook import WebhookChannel
    from spbe.store import models as m
    from spbe.store.tables_reminders import OutboxMessage

    channel = WebhookChannel(url="http://unused")
    with Session(engine) as session:
        cycles = {c.id: c.code for c in session.exec(select(m.Cycle))}
        people_query = select(m.Person)
        rows_query = select(OutboxMessage).order_by(OutboxMessage.id)
        if cycle_ids is not None:
            people_query = people_query.where(col(m.Person.cycle_id).in_(cycle_ids))
            rows_query = rows_query.where(col(OutboxMessage.cycle_id).in_(cycle_ids))
        people = {(p.cycle_id, p.key): p for p in session.exec(people_query)}
        out = []
        for row in session.exec(rows_query):
            if row_ids is not None and row.id not in row_ids:
                continue
            p = people[(row.cycle_id, row.recipient)]
            recipient = Recipient(p.key, p.name, p.email, p.phone, p.telegram)
            code = cycles[row.cycle_id]
            msg = Outgoing(row.id, row.key, row.kind, row.phase, row.subject, row.body, recipient, 1, code)
            out.append((row.key, channel.payload(msg)))
    return out


async def bare_loop(url: str, items: list[tuple[str, dict]], concurrency: int) -> float:
    """Seconds to post every item once, `concurrency` at a time."""
    import httpx

    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    gate = asyncio.Semaphore(concurrency)
    async with httpx.AsyncClient(limits=limits, timeout=10) as client:

        async def one(key: str, payload: dict) -> None:
            async with gate:
                r = await client.post(url, json=payload, headers={"Idempotency-Key": key})
                r.raise_for_status()

        start = time.perf_counter()
        await asyncio.gather(*(one(k, p) for k, p in items))
        return time.perf_counter() - start
