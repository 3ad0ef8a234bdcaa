"""Dispatcher throughput: 10,000 webhook messages to a local server, against a bare httpx.AsyncClient loop
that posts the same payloads (same headers, same concurrency) to the same server in the same run.

The server is a minimal asyncio HTTP/1.1 server in its own process (keep-alive, counts idempotency keys),
so that the client side, which is what differs between the two, is what is measured.

Run: .venv/bin/python bench/dispatch.py [--messages 10000] [--concurrency 16] [--database-url URL]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

MONDAY_9 = datetime(2025, 9, 22, 9, 0, tzinfo=ZoneInfo("Asia/Jakarta"))
OK = b'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 11\r\n\r\n{"ok":true}'


# --- the server (a separate process) -----------------------------------------------------------------


def serve(port_file: str) -> None:
    keys: Counter = Counter()
    total = 0

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal total
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length, key, is_stats = 0, None, head.startswith(b"GET /stats")
                for line in head.split(b"\r\n")[1:]:
                    name, _, value = line.partition(b":")
                    name = name.strip().lower()
                    if name == b"content-length":
                        length = int(value)
                    elif name == b"idempotency-key":
                        key = value.strip()
                if length:
                    await reader.readexactly(length)
                if is_stats:
                    body = json.dumps(
                        {"total": total, "unique": len(keys), "repeated": sum(1 for n in keys.values() if n > 1)}
                    ).encode()
                    writer.write(
                        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: "
                        + str(len(body)).encode()
                        + b"\r\n\r\n"
                        + body
                    )
                    keys.clear()
                    total = 0
                else:
                    total += 1
                    if key:
                        keys[key] += 1
                    writer.write(OK)
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    async def main() -> None:
        server = await asyncio.start_server(handle, "127.0.0.1", 0, backlog=1024)
        Path(port_file).write_text(str(server.sockets[0].getsockname()[1]))
        async with server:
            await server.serve_forever()

    asyncio.run(main())


def start_server() -> tuple[subprocess.Popen, str]:
    port_file = tempfile.mktemp(prefix="bench-port-")
    proc = subprocess.Popen([sys.executable, __file__, "--serve", port_file])
    deadline = time.monotonic() + 10
    while not (Path(port_file).exists() and Path(port_file).read_text()):
        if time.monotonic() > deadline:
            proc.kill()
            raise SystemExit("bench server did not start")
        time.sleep(0.02)
    return proc, f"http://127.0.0.1:{Path(port_file).read_text()}"


def stats(url: str) -> dict:
    import httpx

    return httpx.get(url + "/stats").json()


# --- the two clients ---------------------------------------------------------------------------------


def prepare_store(url: str, count: int):
    from sqlmodel import Session, select

    from spbe import clock
    from spbe.services.cycles import load_config_files, load_cycle
    from spbe.services.outbox import Notice, enqueue
    from spbe.store import models as m
    from spbe.store.db import get_engine, session_scope, upgrade

    engine = get_engine(url)
    upgrade(engine)
    config, roster = load_config_files(ROOT / "config" / "pekalongan-2025.toml")
    with session_scope(engine) as session:
        cycle = load_cycle(session, config=config, roster=roster, actor="bench").cycle
        for phase in session.exec(select(m.Phase).where(m.Phase.cycle_id == cycle.id)):
            phase.state = "pending"
    with Session(engine) as session:
        cycle = session.exec(select(m.Cycle)).one()
        people = [p.key for p in session.exec(select(m.Person).where(m.Person.cycle_id == cycle.id))]
    body = "Yth. Bapak/Ibu,\n\nBatas waktu tahap Penilaian mandiri: Selasa, 30 September 2025 pukul 16.00 WIB.\n" * 3
    notices = [
        Notice(
            people[i % len(people)],
            f"[SPBE 2025] Pengingat {i}",
            body,
            key=f"bench/{i:06d}",
            phase="self-assessment",
            kind="reminder",
        )
        for i in range(count)
    ]
    with clock.use_clock(MONDAY_9), session_scope(engine) as session:
        enqueue(session, cycle_id=cycle.id, notices=notices)
    return engine, cycle


def run_dispatcher(engine, cycle, url: str, concurrency: int, batch: int) -> tuple[float, dict]:
    from spbe import clock
    from spbe.services import delivery_settings as ds
    from spbe.services import dispatch as d
    from spbe.services.cycles import rules_for

    spent = Counter()
    claim, record = d.claim, d._record

    def timed(name, fn):
        def wrapper(*args, **kwargs):
            start = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                spent[name] += time.perf_counter() - start

        return wrapper

    d.claim, d._record = timed("claim", claim), timed("record", record)
    try:
        rules, window = rules_for(cycle)
        section = {"order": ["webhook"], "webhook": {"url": url}, "concurrency": concurrency}
        settings = ds.settings_from_section(
            section, rules=rules, window=window, env={}, data_dir=Path(tempfile.gettempdir())
        )
        settings.batch_size = batch
        with clock.use_clock(MONDAY_9):
            report = d.dispatch_now(cycle_id=cycle.id, settings=settings, engine=engine)
    finally:
        d.claim, d._record = claim, record
    assert len(report.sent) == report.claimed, (len(report.sent), report.claimed, report.retried[:3], report.dead[:3])
    return report.seconds, {"claim": spent["claim"], "record": spent["record"], "sent": len(report.sent)}


def reset(engine) -> None:
    from sqlalchemy import update
    from sqlmodel import Session

    from spbe.store.tables_reminders import OutboxMessage

    with Session(engine) as session:
        session.execute(
            update(OutboxMessage).values(
                state="queued", attempts=0, sent_at=None, channel=None, claimed_by=None, lease_until=None
            )
        )
        session.commit()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--batch", type=int, default=500, help="rows claimed per transaction")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--database-url", default=None, help="default: a temporary SQLite file")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument("--serve", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve)
        return
    from _baseline import bare_loop, webhook_payloads  # bench/, the script's own folder

    os.environ.setdefault("SPBE_DATA_DIR", tempfile.mkdtemp(prefix="spbe-bench-"))
    url = args.database_url or f"sqlite:///{tempfile.mkdtemp(prefix='spbe-bench-')}/spbe.db"
    server, base = start_server()
    try:
        engine, cycle = prepare_store(url, args.messages)
        items = webhook_payloads(engine, [cycle.id])
        target = base + "/spbe"
        bare_rates, disp_rates, breakdowns = [], [], []
        for _ in range(args.rounds):
            seconds = asyncio.run(bare_loop(target, items, args.concurrency))
            got = stats(base)
            assert got["unique"] == args.messages, got
            bare_rates.append(args.messages / seconds)
            seconds, breakdown = run_dispatcher(engine, cycle, target, args.concurrency, args.batch)
            got = stats(base)
            assert got["unique"] == args.messages and got["repeated"] == 0, got
            disp_rates.append(args.messages / seconds)
            breakdowns.append(breakdown | {"seconds": seconds})
            reset(engine)
    finally:
        server.kill()
    bare, disp = statistics.median(bare_rates), statistics.median(disp_rates)
    b = min(breakdowns, key=lambda x: x["seconds"])
    store = "PostgreSQL" if url.startswith("postgres") else "SQLite"
    if args.json:
        print(
            json.dumps(
                {
                    "messages": args.messages,
                    "store": store,
                    "bare_msg_per_s": round(bare),
                    "dispatcher_msg_per_s": round(disp),
                    "ratio": round(disp / bare, 3),
                    "rounds": {"bare": [round(r) for r in bare_rates], "dispatcher": [round(r) for r in disp_rates]},
                    "best_round_s": {k: round(v, 3) for k, v in b.items()},
                },
                indent=2,
            )
        )
        return
    print(
        f"dispatch: {args.messages:,} webhook messages, concurrency {args.concurrency}, "
        f"batches of {args.batch}, store {store}"
    )
    print(f"  bare httpx.AsyncClient loop: {bare:,.0f} msg/s (rounds: {', '.join(f'{r:,.0f}' for r in bare_rates)})")
    print(f"  dispatcher:                  {disp:,.0f} msg/s (rounds: {', '.join(f'{r:,.0f}' for r in disp_rates)})")
    print(f"  ratio: {disp / bare:.2f}")
    other = b["seconds"] - b["claim"] - b["record"]
    print(f"  where the dispatcher's time goes (best round, {b['seconds']:.2f} s):")
    print(f"    claiming rows (UPDATE … RETURNING, recipients): {b['claim']:.2f} s")
    print(f"    recording results (sent/retry/dead, audit; overlaps delivery): {b['record']:.2f} s")
    print(f"    delivering (HTTP, JSON, routing, rate and concurrency gates) and the rest: {other:.2f} s")


if __name__ == "__main__":
    main()
