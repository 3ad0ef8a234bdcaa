"""The dispatcher against a real HTTP receiver on 127.0.0.1 and a real store (SQLite, and PostgreSQL when
configured): everything arrives, no key is accepted twice, failures back off, spent messages are
dead-lettered to the coordinators, nothing leaves outside the sending window."""

from __future__ import annotations

import logging
import threading
import time
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import Session, select

from spbe import clock
from spbe.domain.reminders import ReminderRules
from spbe.errors import ConfigError
from spbe.services.cycles import rules_for
from spbe.services.delivery_settings import settings_from_section
from spbe.services.dispatch import dispatch_now, worker_id
from spbe.services.outbox import Notice, counts_by_state, enqueue
from spbe.services.outbox_leases import claim
from spbe.store import models as m
from spbe.store.db import session_scope
from spbe.store.tables_reminders import OutboxMessage
from tests.utils.receiver import Faults, Receiver
from tests.utils.store import open_store

WIB = ZoneInfo("Asia/Jakarta")
MONDAY_9 = datetime(2025, 9, 22, 9, 0, tzinfo=WIB)
TOKEN = "7012345678:AAE-very-secret-bot-token-x9"


@pytest.fixture
def store(database_url: str):
    engine = open_store(database_url)
    with Session(engine) as session:
        cycle = session.exec(select(m.Cycle)).one()
        rules, window = rules_for(cycle)
        people = [p.key for p in session.exec(select(m.Person).order_by(m.Person.id))]
    return engine, cycle.id, rules, window, people


def settings(store, section: dict, *, env: dict | None = None, tmp: Path = Path("/tmp"), **rule_changes):
    _, _, rules, window, _ = store
    rules = ReminderRules(**{**rules.__dict__, **rule_changes})
    return settings_from_section(section, rules=rules, window=window, env=env or {}, data_dir=tmp)


def queue(store, keys: list[str], recipients: list[str] | None = None, at: datetime = MONDAY_9) -> None:
    engine, cycle_id, _, _, people = store
    recipients = recipients or people
    notices = [
        Notice(recipients[i % len(recipients)], f"Subjek {k}", f"Isi {k}\n", key=k, phase="self-assessment")
        for i, k in enumerate(keys)
    ]
    with clock.use_clock(at), session_scope(engine) as session:
        enqueue(session, cycle_id=cycle_id, notices=notices)


def rows(store) -> list[OutboxMessage]:
    with Session(store[0]) as session:
        return list(session.exec(select(OutboxMessage).order_by(OutboxMessage.id)))


def drain(store, st, sim: clock.SimulatedClock, *, rounds: int = 12, step=timedelta(minutes=40)) -> list:
    """Dispatch, then move the simulated clock past any backoff, until nothing waits (bounded)."""
    engine, cycle_id, *_ = store
    reports = []
    for _ in range(rounds):
        reports.append(dispatch_now(cycle_id=cycle_id, settings=st, engine=engine))
        with Session(engine) as session:
            counts = counts_by_state(session, cycle_id=cycle_id)
        if not (counts["queued"] or counts["retry"] or counts["sending"]):
            break
        sim.advance_to(store[3].next_open(sim.current + step))
    return reports


def webhook(rx: Receiver, **extra) -> dict:
    return {"order": ["webhook"], "webhook": {"url": rx.url + "/hook"}, "timeout_seconds": 0.3, **extra}


def test_everything_arrives_once_under_faults(store):
    keys = [f"uji/{i:03d}" for i in range(80)]
    queue(store, keys)
    sim = clock.SimulatedClock(MONDAY_9)
    faults = Faults(share=0.45, kinds=("500", "429", "stall"), retry_after=90, stall_seconds=0.6)
    with clock.use_clock(sim), Receiver(faults) as rx:
        reports = drain(store, settings(store, webhook(rx)), sim)
    assert rx.keys == set(keys)
    assert rx.duplicates == set()
    assert all(r.state == "sent" and r.channel == "webhook" for r in rows(store))
    retried = [e for rep in reports for e in rep.retried]
    assert {e["error"].split(":")[0] for e in retried} >= {
        "HTTP 500 Internal Server Error",
        "HTTP 429 Too Many Requests",
    }
    assert any(e["error"].startswith("timeout") for e in retried)  # the stalls
    for rep in reports:  # Retry-After honoured: never sooner than the server asked
        for e in rep.retried:
            if "429" in e["error"]:
                assert datetime.fromisoformat(e["next_attempt"]) >= rep.started + timedelta(seconds=90)
    assert max(r.attempts for r in rows(store)) < store[2].max_attempts  # nothing was given up
    with Session(store[0]) as session:
        events = session.exec(select(m.AuditEvent).where(m.AuditEvent.action == "outbox.delivered")).all()
        assert sum(len(e.detail["sent"]) for e in events) == 80


def test_payload_header_and_shapes_of_each_http_channel(store, tmp_path: Path):
    engine, cycle_id, *_ = store
    with Session(engine) as session:
        admin = session.exec(select(m.Person).where(m.Person.key == "adm-bpkad")).one()
    queue(store, ["hook/1"], ["adm-bpkad"])
    with clock.use_clock(MONDAY_9), Receiver() as rx:
        dispatch_now(cycle_id=cycle_id, settings=settings(store, webhook(rx)), engine=engine)
        queue(store, ["tg/1"], ["adm-bpkad"])
        section = {"order": ["telegram"], "telegram": {"api_base": rx.url, "token_env": "TG"}, "timeout_seconds": 1}
        dispatch_now(cycle_id=cycle_id, settings=settings(store, section, env={"TG": TOKEN}), engine=engine)
        queue(store, ["wa/1"], ["adm-bpkad"])
        section = {
            "order": ["whatsapp"],
            "whatsapp": {"url": rx.url + "/send", "token_env": "WA", "target_field": "nomor", "message_field": "pesan"},
        }
        dispatch_now(cycle_id=cycle_id, settings=settings(store, section, env={"WA": "wa-secret-42"}), engine=engine)
    hook, tg, wa = rx.requests
    assert hook.headers["Idempotency-Key"] == hook.body["idempotency_key"] == "hook/1"
    assert {k: hook.body[k] for k in ("recipient", "subject", "body", "phase")} == {
        "recipient": "adm-bpkad",
        "subject": "Subjek hook/1",
        "body": "Isi hook/1\n",
        "phase": "self-assessment",
    }
    assert tg.path == f"/bot{TOKEN}/sendMessage" and tg.body["chat_id"] == admin.telegram
    assert tg.body["text"].startswith("Subjek tg/1") and tg.headers["Idempotency-Key"] == "tg/1"
    assert wa.body == {
        "token": "wa-secret-42",
        "nomor": admin.phone.lstrip("+"),
        "pesan": "*Subjek wa/1*\n\nIsi wa/1\n",
    }
    assert [r.channel for r in rows(store)] == ["webhook", "telegram", "whatsapp"]


def test_refused_for_good_falls_back_to_the_next_channel(store, tmp_path: Path):
    engine, cycle_id, *_ = store
    queue(store, ["fb/1"], ["adm-bpkad"])
    with clock.use_clock(MONDAY_9), Receiver(refuse={"/bot": 400}) as rx:
        section = {
            "order": ["telegram", "webhook"],
            "telegram": {"api_base": rx.url, "token_env": "TG"},
            "webhook": {"url": rx.url + "/hook"},
        }
        report = dispatch_now(cycle_id=cycle_id, settings=settings(store, section, env={"TG": TOKEN}), engine=engine)
    assert [r.answer for r in rx.requests] == [400, 200]
    assert report.sent[0]["channel"] == "webhook" and rows(store)[0].attempts == 1


def test_dead_after_max_attempts_and_the_coordinators_are_told(store):
    engine = store[0]
    queue(store, ["mati/1", "hidup/1"], ["adm-bpkad"])
    sim = clock.SimulatedClock(MONDAY_9)
    faults = Faults(share=1.0, kinds=("500",), max_faults_per_key=99, match="mati/")
    with clock.use_clock(sim), Receiver(faults) as rx:
        reports = drain(store, settings(store, webhook(rx), max_attempts=3), sim)
    by = {r.key: r for r in rows(store)}
    assert by["mati/1"].state == "dead" and by["mati/1"].attempts == 3 and "HTTP 500" in by["mati/1"].last_error
    assert by["hidup/1"].state == "sent"
    letters = [r for r in by.values() if r.kind == "dead_letter"]
    assert {r.recipient for r in letters} == {"koordinator", "koordinator-2"}
    assert all(r.state == "sent" for r in letters)  # delivered like any other message
    assert (
        "Subjek mati/1" in letters[0].body and "hidup/1" not in letters[0].body and "pesan gagal" in letters[0].subject
    )
    assert sum(len(rep.dead) for rep in reports) == 1
    with Session(engine) as session:
        dead = session.exec(select(m.AuditEvent).where(m.AuditEvent.action == "outbox.dead")).all()
        assert [e.subject for e in dead] == ["mati/1"]


@pytest.mark.parametrize(
    "at",
    [
        datetime(2025, 9, 20, 10, 0, tzinfo=WIB),  # Saturday
        datetime(2025, 9, 22, 7, 59, tzinfo=WIB),  # before hours
        datetime(2025, 9, 22, 16, 0, tzinfo=WIB),  # closing time
        datetime(2025, 9, 5, 10, 0, tzinfo=WIB),  # Maulid Nabi, a Friday off
    ],
)
def test_nothing_leaves_outside_the_sending_window(store, at: datetime):
    engine, cycle_id, *_ = store
    queue(store, ["luar/1"])
    with clock.use_clock(at), Receiver() as rx:
        report = dispatch_now(cycle_id=cycle_id, settings=settings(store, webhook(rx)), engine=engine)
    assert rx.requests == [] and report.claimed == 0 and rows(store)[0].state == "queued"
    assert report.outside_window is not None and store[3].contains(report.outside_window)


def test_a_crashed_claim_is_taken_back_after_its_lease(store):
    engine, cycle_id, *_ = store
    queue(store, [f"sewa/{i}" for i in range(5)])
    st = settings(store, {"order": ["webhook"], "webhook": {"url": "http://127.0.0.1:9/unused"}})
    claimed = claim(engine, cycle_id, MONDAY_9, 3, "crashed-worker", st)  # then the process died
    assert len(claimed) == 3
    with clock.use_clock(MONDAY_9 + timedelta(minutes=1)), Receiver() as rx:
        report = dispatch_now(cycle_id=cycle_id, settings=settings(store, webhook(rx)), engine=engine)
        assert report.reclaimed == 0 and len(report.sent) == 2  # the lease still holds
    with clock.use_clock(MONDAY_9 + timedelta(seconds=st.rules.lease_seconds + 1)), Receiver() as rx:
        report = dispatch_now(cycle_id=cycle_id, settings=settings(store, webhook(rx)), engine=engine)
    assert report.reclaimed == 3 and rx.keys == {"sewa/0", "sewa/1", "sewa/2"}
    assert all(r.state == "sent" for r in rows(store))
    assert {r.attempts for r in rows(store) if r.key in rx.keys} == {2}  # the lost try counts


def test_two_dispatchers_at_once_deliver_each_key_once(store):
    engine, cycle_id, *_ = store
    keys = [f"dua/{i:03d}" for i in range(240)]
    queue(store, keys)
    errors: list[BaseException] = []
    with clock.use_clock(MONDAY_9), Receiver(delay=0.002) as rx:
        st = settings(store, webhook(rx, concurrency=8))
        st.batch_size = 20
        workers = [f"w{i}-{worker_id()}" for i in range(2)]

        def run(worker: str) -> None:
            try:
                dispatch_now(cycle_id=cycle_id, settings=st, engine=engine, worker=worker)
            except BaseException as exc:
                errors.append(exc)

        threads = [threading.Thread(target=run, args=(w,)) for w in workers]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
    assert not errors, errors
    assert rx.keys == set(keys) and rx.duplicates == set() and len(rx.requests) == 240
    with Session(engine) as session:
        events = session.exec(select(m.AuditEvent).where(m.AuditEvent.action == "outbox.delivered")).all()
        by_worker = {w: sum(len(e.detail["sent"]) for e in events if e.detail["worker"] == w) for w in workers}
    assert sum(by_worker.values()) == 240 and all(by_worker.values()), by_worker  # both took a share


def test_secrets_never_reach_rows_audit_or_logs(store, caplog: pytest.LogCaptureFixture):
    engine, cycle_id, *_ = store
    queue(store, ["rahasia/1"], ["adm-bpkad"])
    caplog.set_level(logging.DEBUG)
    sim = clock.SimulatedClock(MONDAY_9)
    with clock.use_clock(sim), Receiver(Faults(share=1.0, kinds=("500",), max_faults_per_key=99)) as rx:
        section = {"order": ["telegram"], "telegram": {"api_base": rx.url, "token_env": "TG"}}
        drain(store, settings(store, section, env={"TG": TOKEN}, max_attempts=2), sim)
    # a transport error names the URL: point at a closed port so that one is produced as well
    queue(store, ["rahasia/2"], ["adm-bpkad"])
    with clock.use_clock(sim):
        section = {"order": ["telegram"], "telegram": {"api_base": "http://127.0.0.1:9", "token_env": "TG"}}
        dispatch_now(cycle_id=cycle_id, settings=settings(store, section, env={"TG": TOKEN}), engine=engine)
    assert rx.requests and all(TOKEN in r.path for r in rx.requests)  # it did travel, only in the URL
    with Session(engine) as session:
        dump = repr(session.exec(select(OutboxMessage)).all()) + repr(session.exec(select(m.AuditEvent)).all())
    assert "HTTP 500" in dump and TOKEN not in dump and TOKEN.split(":")[1] not in dump
    assert caplog.records and TOKEN not in caplog.text


def test_forced_channel_and_webhook_url_from_the_environment(store, tmp_path: Path):
    engine, cycle_id, *_ = store
    queue(store, ["paksa/1", "paksa/2"])
    base = {"order": ["webhook"], "webhook": {"url": "http://127.0.0.1:9/never"}, "file": {"path": "kirim.log"}}
    with clock.use_clock(MONDAY_9), Receiver() as rx:
        st = settings(store, base, env={"SPBE_WEBHOOK_URL": rx.url + "/lain"})
        dispatch_now(cycle_id=cycle_id, settings=st, engine=engine, max_messages=1)
        assert [r.path for r in rx.requests] == ["/lain"]
        st = settings(store, base, env={"SPBE_FORCE_CHANNEL": "file"}, tmp=tmp_path)
        dispatch_now(cycle_id=cycle_id, settings=st, engine=engine)
    assert len(rx.requests) == 1 and "paksa/2" in (tmp_path / "kirim.log").read_text(encoding="utf-8")
    with pytest.raises(ConfigError, match="SPBE_FORCE_CHANNEL=sms"):
        settings(store, base, env={"SPBE_FORCE_CHANNEL": "sms"})
    with pytest.raises(ConfigError, match="order names 'email'"):
        settings(store, {**base, "order": ["email"]})


def test_channel_rate_limit_paces_messages(store):
    engine, cycle_id, *_ = store
    queue(store, [f"laju/{i}" for i in range(6)])
    with clock.use_clock(MONDAY_9), Receiver() as rx:
        section = {"order": ["webhook"], "webhook": {"url": rx.url + "/hook", "rate_per_second": 25}}
        start = time.perf_counter()
        dispatch_now(cycle_id=cycle_id, settings=settings(store, section), engine=engine)
        elapsed = time.perf_counter() - start
    assert len(rx.keys) == 6 and elapsed >= 5 / 25 * 0.9


def test_unknown_recipient_is_dead_not_retried(store):
    queue(store, ["siapa/1"], ["orang-tak-dikenal"])
    with clock.use_clock(MONDAY_9), Receiver() as rx:
        report = dispatch_now(cycle_id=store[1], settings=settings(store, webhook(rx)), engine=store[0])
    assert report.dead and "not in the roster" in report.dead[0]["error"]
    assert [r.recipient for r in rows(store) if r.kind == "dead_letter"] == ["koordinator", "koordinator-2"]


def test_fallback_only_when_the_failure_proves_non_delivery(store, tmp_path: Path):
    engine, cycle_id, *_ = store
    queue(store, ["jatuh/500", "jatuh/stall"], ["adm-bpkad"])
    section = {"order": ["webhook", "file"], "timeout_seconds": 0.3, "file": {"path": "cadangan.log"}}
    faults = Faults(share=1.0, kinds=("500",), match="/500", max_faults_per_key=99)
    with (
        clock.use_clock(MONDAY_9),
        Receiver(faults) as rx,
        Receiver(Faults(share=1.0, kinds=("stall",), stall_seconds=0.6)) as slow,
    ):
        st = settings(store, {**section, "webhook": {"url": rx.url + "/hook"}}, tmp=tmp_path)
        dispatch_now(cycle_id=cycle_id, settings=st, engine=engine, max_messages=1)  # the 500 one
        st = settings(store, {**section, "webhook": {"url": slow.url + "/hook"}}, tmp=tmp_path)
        dispatch_now(cycle_id=cycle_id, settings=st, engine=engine)  # the stalled one
    by = {r.key: r for r in rows(store)}
    assert by["jatuh/500"].state == "sent" and by["jatuh/500"].channel == "file"  # a 500 proves it was not taken
    assert by["jatuh/stall"].state == "retry" and by["jatuh/stall"].channel == "webhook"  # it might have been
    assert "jatuh/stall" not in (tmp_path / "cadangan.log").read_text(encoding="utf-8")


def test_claims_stay_within_what_the_slowest_channel_sends_in_half_a_lease(tmp_path: Path):
    from spbe.cycle_config import load_cycle_config
    from spbe.domain.reminders import window_for
    from spbe.services.delivery_settings import safe_batch
    from tests.conftest import CYCLE_FILE

    rules = ReminderRules(lease_seconds=300)
    window = window_for(rules, load_cycle_config(CYCLE_FILE).calendar, "Asia/Jakarta")
    fast = settings_from_section({"order": ["file"], "file": {}}, rules=rules, window=window, env={}, data_dir=tmp_path)
    assert safe_batch(fast) == fast.batch_size == 200
    section = {"order": ["whatsapp"], "whatsapp": {"url": "https://wa.example/send", "rate_per_second": 1}}
    slow = settings_from_section(section, rules=rules, window=window, env={}, data_dir=tmp_path)
    assert safe_batch(slow) == 150  # 300 s lease, one message a second: half the lease


# --- what a failure leaves behind: no secret in any encoding, no terminal escape, fall back when unsent ----


def _everything_stored(store) -> str:
    """Every text a failure can reach: outbox rows (last_error, dead-letter bodies) and the audit trail."""
    with Session(store[0]) as session:
        rows = session.exec(select(OutboxMessage)).all()
        events = session.exec(select(m.AuditEvent)).all()
    return repr([(r.last_error, r.subject, r.body) for r in rows]) + repr([(e.reason, e.detail) for e in events])


def test_a_webhook_signature_echoed_percent_encoded_reaches_no_row_audit_notice_or_log(
    store, caplog: pytest.LogCaptureFixture
):
    engine, cycle_id, *_ = store
    secret = "WH+SIG/aBcDeF0123456789=="  # as configured; it travels percent-encoded in the URL
    queue(store, ["sig/1"], ["adm-bpkad"])
    caplog.set_level(logging.DEBUG)
    echo = "\x1b]52;c;cGF3bmVk\x07\x1b[2Jno such hook: {path}"
    with clock.use_clock(MONDAY_9), Receiver(refuse={"/hook": 400}, refuse_text=echo) as rx:
        from urllib.parse import quote

        section = {"order": ["webhook"], "webhook": {"url": f"{rx.url}/hook?sig={quote(secret, safe='')}"}}
        report = dispatch_now(cycle_id=cycle_id, settings=settings(store, section), engine=engine)
    assert "%2B" in rx.requests[0].path  # the receiver did get (and echo) the encoded signature
    assert report.dead and report.dead[0]["error"] == "HTTP 400 Bad Request: no such hook: /hook?…"
    dump = _everything_stored(store) + repr(report.as_dict()) + caplog.text
    letters = [r for r in rows(store) if r.kind == "dead_letter"]
    assert letters and all("no such hook: /hook?…" in r.body for r in letters)  # the coordinators were told
    for leak in (secret, quote(secret, safe=""), "aBcDeF0123456789", "\x1b", "\x07"):
        assert leak not in dump, leak


def test_an_smtp_server_echoing_auth_plain_leaks_no_credential_into_store_audit_or_notices(
    store, caplog: pytest.LogCaptureFixture
):
    import base64

    from tests.utils.smtp import EchoingSmtpServer

    engine, cycle_id, *_ = store
    password = "sandi-smtp-rahasia-7"
    queue(store, ["smtp/1"], ["adm-bpkad"])
    caplog.set_level(logging.DEBUG)
    with clock.use_clock(MONDAY_9), EchoingSmtpServer() as server:
        section = {
            "order": ["email"],
            "email": {
                "host": "127.0.0.1",
                "port": server.port,
                "sender": "SPBE <spbe@pekalongan.example>",
                "starttls": False,
                "user_env": "SMTP_USER",
                "password_env": "SMTP_PASS",
            },
        }
        env = {"SMTP_USER": "spbe", "SMTP_PASS": password}
        report = dispatch_now(cycle_id=cycle_id, settings=settings(store, section, env=env), engine=engine)
    blob = base64.b64encode(f"\0spbe\0{password}".encode()).decode()
    assert any(blob in c for c in server.commands)
    assert report.dead[0]["error"].startswith("smtp login: 535 5.7.8: server menolak login")
    dump = _everything_stored(store) + repr(report.as_dict()) + caplog.text
    assert blob not in dump and blob.rstrip("=") not in dump and password not in dump
    assert any(r.kind == "dead_letter" and "smtp login: 535" in r.body for r in rows(store))


def test_a_message_that_cannot_be_built_falls_back_at_once_instead_of_retrying_to_death(store, tmp_path: Path):
    """A carriage return in a stored name (rosters are refused at load now; older stores may hold one)."""
    engine, cycle_id, *_ = store
    with session_scope(engine) as session:
        person = session.exec(select(m.Person).where(m.Person.key == "adm-bpkad")).one()
        person.name = "Citra\rRahayu"
    queue(store, ["nama/1"], ["adm-bpkad"])
    section = {
        "order": ["email", "file"],
        "email": {"host": "127.0.0.1", "port": 9, "sender": "SPBE <spbe@pekalongan.example>"},
        "file": {"path": "cadangan.log"},
    }
    with clock.use_clock(MONDAY_9):
        report = dispatch_now(cycle_id=cycle_id, settings=settings(store, section, tmp=tmp_path), engine=engine)
    row = rows(store)[0]
    assert (row.state, row.channel, row.attempts) == ("sent", "file", 1)
    assert report.sent[0]["channel"] == "file" and not report.retried
    assert "nama/1" in (tmp_path / "cadangan.log").read_text(encoding="utf-8")


def test_a_national_dispatch_takes_back_expired_leases_and_sends_each_key_once(store):
    """`dispatch_many` (one loop, one client, many cycles) reclaims only where a lease ran out (one query
    tells which cycles), and still delivers each key once; a short batch ends the pass without an empty claim."""
    import asyncio

    from spbe.services.dispatch import dispatch_many

    engine, cycle_id, *_ = store
    queue(store, [f"negeri/{i}" for i in range(7)])
    st = settings(store, {"order": ["webhook"], "webhook": {"url": "http://127.0.0.1:9/unused"}})
    assert len(claim(engine, cycle_id, MONDAY_9, 3, "crashed-worker", st)) == 3  # then that process died
    with clock.use_clock(MONDAY_9 + timedelta(minutes=1)), Receiver() as rx:
        (report,) = asyncio.run(dispatch_many([(cycle_id, settings(store, webhook(rx)))], engine=engine))
        assert report.reclaimed == 0 and len(report.sent) == 4 and report.claimed == 4  # the lease still holds
    with clock.use_clock(MONDAY_9 + timedelta(seconds=st.rules.lease_seconds + 1)), Receiver() as rx:
        (report,) = asyncio.run(dispatch_many([(cycle_id, settings(store, webhook(rx)))], engine=engine))
    assert report.reclaimed == 3 and rx.keys == {"negeri/0", "negeri/1", "negeri/2"} and rx.duplicates == set()
    assert all(r.state == "sent" for r in rows(store))
