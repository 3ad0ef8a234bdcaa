"""The national dispatch (`dispatch_many`) over two cycles in one store (Pekalongan 2025 and 2026, each with
its own people), against a real HTTP receiver on 127.0.0.1 and a real store (SQLite, and PostgreSQL when
configured): one claim takes rows of both cycles, yet every message goes out with its own cycle's settings,
recipients, retries, window and dead-letter coordinators, and each key arrives once."""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import Session, select

from spbe import clock
from spbe.channels.base import Outcome
from spbe.domain.reminders import ReminderRules
from spbe.services import dispatch as d
from spbe.services.cycles import load_config_files, load_cycle, rules_for
from spbe.services.delivery_settings import DispatchSettings, settings_from_section
from spbe.services.outbox import Notice, enqueue
from spbe.services.outbox_leases import Claimed, CycleOutcomes, Result, claim, write_results
from spbe.store import models as m
from spbe.store.db import session_scope
from spbe.store.tables_reminders import OutboxMessage
from tests.conftest import ROOT
from tests.utils.receiver import Faults, Receiver
from tests.utils.store import open_store
from tests.utils.threads import in_threads

WIB = ZoneInfo("Asia/Jakarta")
MONDAY_9 = datetime(2025, 9, 22, 9, 0, tzinfo=WIB)
CYCLE_2026 = ROOT / "config" / "pekalongan-2026.toml"


@dataclasses.dataclass
class Cycle:
    engine: object
    id: int
    code: str
    rules: ReminderRules
    window: object
    people: list[str]


@pytest.fixture
def cycles(database_url: str) -> tuple[Cycle, Cycle]:
    """Two cycles in one store, each with its own people (the same keys, different rows); in the second,
    adm-bpkad has another name, so a recipient read from the wrong cycle shows."""
    engine = open_store(database_url)
    config, roster = load_config_files(CYCLE_2026)
    with session_scope(engine) as session:
        load_cycle(session, config=config, roster=roster, actor="tester")
    with session_scope(engine) as session:
        second = session.exec(select(m.Cycle).where(m.Cycle.code == "pekalongan-2026")).one()
        person = session.exec(select(m.Person).where(m.Person.cycle_id == second.id, m.Person.key == "adm-bpkad")).one()
        person.name = "Nama Tahun 2026"
    out = []
    with Session(engine) as session:
        for cycle in session.exec(select(m.Cycle).order_by(m.Cycle.year)):
            rules, window = rules_for(cycle)
            people = [
                p.key for p in session.exec(select(m.Person).where(m.Person.cycle_id == cycle.id).order_by(m.Person.id))
            ]
            out.append(Cycle(engine, cycle.id, cycle.code, rules, window, people))
    a, b = out
    assert (a.code, b.code) == ("pekalongan-2025", "pekalongan-2026")
    return a, b


def settings_of(c: Cycle, section: dict, *, window=None, **rule_changes) -> DispatchSettings:
    rules = ReminderRules(**{**c.rules.__dict__, **rule_changes})
    return settings_from_section(section, rules=rules, window=window or c.window, env={}, data_dir=ROOT / "nowhere")


def hook(rx: Receiver, path: str, **extra) -> dict:
    return {"order": ["webhook"], "webhook": {"url": rx.url + path}, "timeout_seconds": 0.5, **extra}


def queue(c: Cycle, keys: list[str], recipients: list[str] | None = None) -> None:
    recipients = recipients or c.people
    notices = [Notice(recipients[i % len(recipients)], f"Subjek {k}", f"Isi {k}\n", key=k) for i, k in enumerate(keys)]
    with clock.use_clock(MONDAY_9), session_scope(c.engine) as session:
        enqueue(session, cycle_id=c.id, notices=notices)


def rows(c: Cycle) -> list[OutboxMessage]:
    with Session(c.engine) as session:
        return list(
            session.exec(select(OutboxMessage).where(OutboxMessage.cycle_id == c.id).order_by(OutboxMessage.id))
        )


def run(pairs: list[tuple[Cycle, DispatchSettings]]) -> list[d.DispatchReport]:
    engine = pairs[0][0].engine
    return asyncio.run(d.dispatch_many([(c.id, s) for c, s in pairs], engine=engine))  # type: ignore[arg-type]


@pytest.fixture
def claims(monkeypatch: pytest.MonkeyPatch) -> list[dict]:
    """Every cross-cycle claim `dispatch_many` makes: the cycles asked for, the lease, what came back."""
    seen: list[dict] = []
    original = d.claim_many

    def watched(engine, cycle_ids, now, size, worker, *, lease_seconds):
        got = original(engine, cycle_ids, now, size, worker, lease_seconds=lease_seconds)
        seen.append({"cycles": list(cycle_ids), "lease": lease_seconds, "rows": {c.row["cycle_id"] for c in got}})
        return got

    monkeypatch.setattr(d, "claim_many", watched)
    return seen


def test_one_claim_serves_both_cycles_each_with_its_own_channel_and_recipients(cycles, claims):
    a, b = cycles
    queue(a, [f"a/{i:02d}" for i in range(9)])
    queue(b, [*(f"b/{i:02d}" for i in range(7)), "b/nama"], [*b.people[:7], "adm-bpkad"])
    with clock.use_clock(MONDAY_9), Receiver() as rx:
        ra, rb = run(
            [
                (a, settings_of(a, hook(rx, "/tahun-2025"))),
                (b, settings_of(b, hook(rx, "/tahun-2026"), lease_seconds=900)),
            ]
        )
    assert rx.keys == {r.key for r in rows(a) + rows(b)} and rx.duplicates == set() and len(rx.requests) == 17
    by_key = {r.key: r for r in rx.requests}
    assert {r.path for k, r in by_key.items() if k.startswith("a/")} == {"/tahun-2025"}
    assert {r.path for k, r in by_key.items() if k.startswith("b/")} == {"/tahun-2026"}
    assert {r.body["cycle"] for k, r in by_key.items() if k.startswith("b/")} == {"pekalongan-2026"}
    assert by_key["b/nama"].body["recipient_name"] == "Nama Tahun 2026"  # B's own person, not A's adm-bpkad
    assert (ra.cycle_id, ra.claimed, len(ra.sent)) == (a.id, 9, 9) and (rb.cycle_id, rb.claimed, len(rb.sent)) == (
        b.id,
        8,
        8,
    )
    assert claims[0]["rows"] == {a.id, b.id} and claims[0]["lease"] == 900  # one claim, the longest lease
    assert len(claims) == 1  # the short batch ended the pass: no empty claim after it
    assert all(r.state == "sent" for r in rows(a) + rows(b))
    with Session(a.engine) as session:
        events = session.exec(select(m.AuditEvent).where(m.AuditEvent.action == "outbox.delivered")).all()
        assert {e.cycle_id: sum(len(x.detail["sent"]) for x in events if x.cycle_id == e.cycle_id) for e in events} == {
            a.id: 9,
            b.id: 8,
        }


def test_a_cycle_outside_its_window_sends_nothing_while_the_other_sends(cycles, claims):
    a, b = cycles
    queue(a, ["a/1", "a/2"])
    queue(b, ["b/1", "b/2"])
    late = dataclasses.replace(b.window, send_from=time(10, 0))  # B sends from 10:00; it is 09:00
    with clock.use_clock(MONDAY_9), Receiver() as rx:
        ra, rb = run([(a, settings_of(a, hook(rx, "/a"))), (b, settings_of(b, hook(rx, "/b"), window=late))])
    assert rx.keys == {"a/1", "a/2"}
    assert ra.outside_window is None and len(ra.sent) == 2
    assert rb.outside_window == datetime(2025, 9, 22, 10, 0, tzinfo=WIB) and rb.claimed == 0 and not rb.sent
    assert {r.state for r in rows(b)} == {"queued"}
    assert all(b.id not in c["cycles"] for c in claims)  # left out of the claim, not claimed and put back


def test_retries_and_dead_letters_follow_each_cycles_own_rules_and_coordinators(cycles):
    a, b = cycles
    queue(a, ["a/mati", "a/hidup"], ["adm-bpkad"])
    queue(b, ["b/mati"], ["adm-bpkad"])
    sim = clock.SimulatedClock(MONDAY_9)
    faults = Faults(share=1.0, kinds=("500",), max_faults_per_key=99, match="/mati")
    reports: list[d.DispatchReport] = []
    with clock.use_clock(sim), Receiver(faults) as rx:
        pairs = [
            (a, settings_of(a, hook(rx, "/a"), max_attempts=2)),
            (b, settings_of(b, hook(rx, "/b"), max_attempts=5)),
        ]
        for _ in range(2):
            reports += run(pairs)
            sim.advance_to(a.window.next_open(sim.current + timedelta(minutes=40)))
    a_rows, b_rows = {r.key: r for r in rows(a)}, {r.key: r for r in rows(b)}
    assert (a_rows["a/mati"].state, a_rows["a/mati"].attempts) == ("dead", 2) and a_rows["a/hidup"].state == "sent"
    assert (b_rows["b/mati"].state, b_rows["b/mati"].attempts) == ("retry", 2)  # B allows five tries
    letters = [r for r in rows(a) if r.kind == "dead_letter"]
    assert {r.recipient for r in letters} == {"koordinator", "koordinator-2"} and "Subjek a/mati" in letters[0].body
    assert not [r for r in rows(b) if r.kind == "dead_letter"]  # B's coordinators were not told of A's message
    assert [len(r.dead) for r in reports if r.cycle_id == a.id] == [0, 1]
    assert [len(r.retried) for r in reports if r.cycle_id == b.id] == [1, 1]
    with Session(a.engine) as session:
        dead = session.exec(select(m.AuditEvent).where(m.AuditEvent.action == "outbox.dead")).all()
        assert [(e.cycle_id, e.subject) for e in dead] == [(a.id, "a/mati")]


def test_a_crashed_claim_is_taken_back_only_after_its_lease(cycles):
    a, b = cycles
    queue(a, [f"a/{i}" for i in range(5)])
    queue(b, ["b/1", "b/2"])
    st = settings_of(a, {"order": ["webhook"], "webhook": {"url": "http://127.0.0.1:9/unused"}})
    assert len(claim(a.engine, a.id, MONDAY_9, 3, "crashed-worker", st)) == 3  # then that process died
    with clock.use_clock(MONDAY_9 + timedelta(minutes=1)), Receiver() as rx:
        ra, rb = run([(a, settings_of(a, hook(rx, "/a"))), (b, settings_of(b, hook(rx, "/b")))])
        assert (ra.reclaimed, len(ra.sent), rb.reclaimed, len(rb.sent)) == (0, 2, 0, 2)  # the lease still holds
        assert rx.keys == {"a/3", "a/4", "b/1", "b/2"}
    with clock.use_clock(MONDAY_9 + timedelta(seconds=st.rules.lease_seconds + 1)), Receiver() as rx:
        ra, rb = run([(a, settings_of(a, hook(rx, "/a"))), (b, settings_of(b, hook(rx, "/b")))])
    assert (ra.reclaimed, rb.reclaimed) == (3, 0) and rx.keys == {"a/0", "a/1", "a/2"} and rx.duplicates == set()
    assert {r.attempts for r in rows(a) if r.key in rx.keys} == {2}  # the lost try counts
    assert all(r.state == "sent" for r in rows(a) + rows(b))


def test_two_national_dispatches_at_once_deliver_each_key_once(cycles):
    a, b = cycles
    keys = {c.id: [f"{c.code}/{i:03d}" for i in range(120)] for c in (a, b)}
    for c in (a, b):
        queue(c, keys[c.id])
    with clock.use_clock(MONDAY_9), Receiver(delay=0.002) as rx:
        pairs = []
        for c in (a, b):
            st = settings_of(c, hook(rx, f"/{c.code}", concurrency=8))
            st.batch_size = 20
            pairs.append((c, st))

        errors = in_threads(lambda: run(pairs))
    assert not errors, errors
    assert rx.keys == set(keys[a.id] + keys[b.id]) and rx.duplicates == set() and len(rx.requests) == 240
    with Session(a.engine) as session:
        events = session.exec(select(m.AuditEvent).where(m.AuditEvent.action == "outbox.delivered")).all()
    by_worker: dict[str, int] = {}
    for e in events:
        by_worker[e.detail["worker"]] = by_worker.get(e.detail["worker"], 0) + len(e.detail["sent"])
    assert sum(by_worker.values()) == 240 and len(by_worker) == 2, by_worker  # both took a share


def test_results_of_several_cycles_are_written_in_one_transaction(cycles):
    """`write_results` writes into the caller's session: rolled back, nothing of either cycle remains."""
    a, b = cycles
    queue(a, ["a/1"])
    queue(b, ["b/1"])
    st = {c.id: settings_of(c, {"order": ["webhook"], "webhook": {"url": "http://127.0.0.1:9/unused"}}) for c in (a, b)}
    claimed = {c.id: claim(c.engine, c.id, MONDAY_9, 5, "w", st[c.id]) for c in (a, b)}

    def groups() -> list[CycleOutcomes]:
        return [
            CycleOutcomes(cid, st[cid], st[cid].redactor, [Result(c, "webhook", Outcome.ok()) for c in got])
            for cid, got in claimed.items()
        ]

    with clock.use_clock(MONDAY_9):
        with Session(a.engine) as session:
            write_results(session, groups(), worker="w", jitter=lambda: 0.0)
            session.rollback()
        assert {r.state for r in rows(a) + rows(b)} == {"sending"}
        with Session(a.engine) as session:
            done = write_results(session, groups(), worker="w", jitter=lambda: 0.0)
            session.commit()
    assert {cid: len(r.sent) for cid, r in done.items()} == {a.id: 1, b.id: 1}
    assert {r.state for r in rows(a) + rows(b)} == {"sent"}
    with Session(a.engine) as session:
        events = session.exec(select(m.AuditEvent).where(m.AuditEvent.action == "outbox.delivered")).all()
    assert sorted(e.cycle_id for e in events) == sorted([a.id, b.id])
    assert isinstance(claimed[a.id][0], Claimed)
