"""Three simulated weeks of the self-assessment phase, swept and dispatched every 83 minutes day and night
(the timekeeper does it every five inside sending hours), with a day the server was down, an OPD that
submits, and a deadline extended halfway: nothing leaves outside sending hours or on days off, a resolved
item is never reminded, the extension re-schedules everything, no key arrives twice."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlmodel import Session, select

from spbe import clock
from spbe.services.cycles import load_config_files, load_cycle, rules_for
from spbe.services.delivery_settings import settings_from_section
from spbe.services.dispatch import dispatch_now
from spbe.services.reminders import sweep
from spbe.store import models as m
from spbe.store.db import session_scope
from tests.conftest import CYCLE_FILE
from tests.utils.receiver import Receiver
from tests.utils.store import open_store
from tests.utils.store import submit_claims as submit

WIB = ZoneInfo("Asia/Jakarta")


def wib(*args: int) -> datetime:
    return datetime(*args, tzinfo=WIB)


def extend(engine, tmp_path: Path) -> None:
    moved = tmp_path / "cycle.toml"
    moved.write_text(
        CYCLE_FILE.read_text(encoding="utf-8")
        .replace('deadline = "2025-09-30 16:00"', 'deadline = "2025-10-07 16:00"')
        .replace('roster = "roster/pekalongan"', f'roster = "{CYCLE_FILE.parent / "roster/pekalongan"}"'),
        encoding="utf-8",
    )
    cfg, roster = load_config_files(moved)
    with session_scope(engine) as session:
        load_cycle(session, config=cfg, roster=roster, actor="koordinator")


def test_three_weeks_of_reminders(sqlite_url: str, tmp_path: Path):
    engine = open_store(sqlite_url)
    with Session(engine) as session:
        cycle = session.exec(select(m.Cycle)).one()
    sim = clock.SimulatedClock(wib(2025, 9, 18, 6, 0))
    submitted_at = wib(2025, 9, 24, 12, 0)
    extended_at = wib(2025, 9, 26, 12, 0)
    down = (wib(2025, 9, 29, 0, 0), wib(2025, 9, 30, 0, 0))  # the server was off all Monday
    events = {"submitted": False, "extended": False}
    with clock.use_clock(sim), Receiver() as rx:
        while sim.current < wib(2025, 10, 11, 0, 0):
            now = sim.current
            if not events["submitted"] and now >= submitted_at:
                submit(engine, [33, 34, 38], now)  # BPKAD submits everything it owes
                events["submitted"] = True
            if not events["extended"] and now >= extended_at:
                extend(engine, tmp_path)
                events["extended"] = True
            if not down[0] <= now < down[1]:
                with session_scope(engine) as session:
                    row = session.get(m.Cycle, cycle.id)
                    sweep(session, cycle=row)
                    rules, window = rules_for(row)
                section = {"order": ["webhook"], "webhook": {"url": rx.url + "/spbe"}, "timeout_seconds": 2}
                st = settings_from_section(section, rules=rules, window=window, env={}, data_dir=tmp_path)
                dispatch_now(cycle_id=cycle.id, settings=st, engine=engine)
            sim.advance_to(now + timedelta(minutes=83))

    arrived = [r for r in rx.requests if r.answer == 200]
    assert rx.duplicates == set() and arrived
    assert all(window.contains(r.at) for r in arrived), [r.at for r in arrived if not window.contains(r.at)]

    by: dict[str, list] = defaultdict(list)
    for r in arrived:
        by[r.body["recipient"]].append(r)
    # BPKAD: H-7 before it submitted, nothing after
    bpkad = [(r.key.split("/")[2], r.at) for r in by["adm-bpkad"]]
    assert [k for k, _ in bpkad] == ["H-7"] and all(at < submitted_at for _, at in bpkad)  # H-3 came after
    # everyone else: the old deadline until the extension, the new one after it, the lost Monday caught up
    dinkominfo = [(r.key.split("/")[2], r.key.split("/")[3], r.at) for r in by["adm-dinkominfo"]]
    assert [(rule, v) for rule, v, _ in dinkominfo] == [
        ("H-7", "v1"),
        ("H-3", "v1"),
        ("H-7", "v2"),
        ("H-3", "v2"),
        ("H-1", "v2"),
        ("H+1", "v2"),
    ]
    assert all(at < extended_at for _, v, at in dinkominfo if v == "v1")
    assert dinkominfo[2][2].date() == wib(2025, 9, 26).date()  # the new H-7 was due that very day
    late = next(r for r in by["adm-dinkominfo"] if "/H+1/" in r.key)
    assert (
        "Selasa, 7 Oktober 2025 pukul 16.00 WIB" in late.body["body"] and "terlambat 1 hari kerja" in late.body["body"]
    )
    # escalation to the heads from H+3 (Friday 10 October), once
    heads = [r for r in arrived if r.body["kind"] == "escalation"]
    assert heads and {r.at.astimezone(WIB).date() for r in heads} == {wib(2025, 10, 10).date()}
    assert "head-bpkad" not in {r.body["recipient"] for r in heads}
    # one digest per coordinator per working day, none on the lost Monday or on days off
    digest_days = {r.at.astimezone(WIB).date() for r in arrived if r.body["kind"] == "digest"}
    assert wib(2025, 9, 29).date() not in digest_days and wib(2025, 9, 27).date() not in digest_days
    assert all(window.calendar.is_working_day(d) for d in digest_days) and len(digest_days) >= 14
    digests = [r for r in arrived if r.body["kind"] == "digest" and r.body["recipient"] == "koordinator"]
    assert len(digests) == len(digest_days)
