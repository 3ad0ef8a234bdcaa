"""A national deployment: hundreds of agencies (one cycle each) × 47 indicators, two submission versions each,
in one PostgreSQL store. Times, for each number of agencies N, on a fresh database:

  1. building the store (information only);
  2. `spbe status --json` for one agency as a whole process (median of 5), and `cycle_status()` in-process;
  3. one gate check (`check_gate`, document review) for one agency, rolled back (median of 5);
  4. one national reminder sweep: `sweep_many()` over every cycle at once (set-based), committed; then,
     after one review per agency has come in, a second one before the dispatch (what every later sweep of
     the day costs while messages wait: it queues nothing new, re-renders the reminders and digests whose
     items changed, and cancels those whose items were all resolved);
  5. the dispatch of what the sweep queued: `dispatch_now()` for every cycle, to a local webhook receiver
     (bench/_receiver.py, its own process) that counts idempotency keys: each message must arrive once.

It also checks that the one-agency steps do not read other agencies' rows: every SELECT/UPDATE that status,
the gate check and one agency's dispatch issue is re-run under EXPLAIN ANALYZE (in a rolled-back
transaction, right after the step) and the rows its scans touch are added up. That number must stay flat
as N grows. The second national sweep's statements are replayed too: theirs grow with N, not with N².

A warm-up round on 3 agencies runs first and is not reported. The machine has 2 cores: other work on it
moves single figures by ±20 %; the per-agency medians and the rows read are the steadier signals.

The clock stands at Tuesday 28 October 2025 09:00 WIB: locus, socialization and self-assessment are
closed, document review is open with its deadline (Friday 31 October 16:00) three working days away, so
the H-3 reminder is due today for every assessor with a version awaiting review, plus the coordinators'
daily digest. Assessors and coordinators are the ones reminded: in document review the gate names the
assessor for every version awaiting review (OPD admins are reminded in self-assessment and revision, and
their reminders of September are in the history). The history before that (digests every working day,
self-assessment reminders, H-7 of document review) is in the store as sent messages and ledger rows, as a
real year would have left it.

Run:  .venv/bin/python bench/national.py [--agencies 40,150,600 | --quick] [--database-url URL]
      [--profile] [--seed 7]
URL default: SPBE_TEST_POSTGRES_URL, else postgresql+psycopg://postgres@127.0.0.1:5432/test (the server's
database to connect to while creating and dropping a fresh one per N).
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import hashlib
import io
import json
import os
import pstats
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

WIB = ZoneInfo("Asia/Jakarta")
NOW = datetime(2025, 10, 28, 9, 0, tzinfo=WIB)  # H-3 of document review, inside sending hours
CONFIG = ROOT / "config" / "pekalongan-2025.toml"
DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
PROBE = 20  # the agency whose one-agency steps are timed: agency-020-2025, identical data at every N
RUNS = 5
BATCH_AGENCIES = 50  # agencies generated and inserted per transaction

CLOSED = ("locus", "socialization", "self-assessment")
OPEN = "document-review"

OPD_KINDS = [
    ("DISKOMINFO", "Dinas Komunikasi dan Informatika"),
    ("INSPEKTORAT", "Inspektorat Daerah"),
    ("BAPPEDA", "Badan Perencanaan Pembangunan Daerah"),
    ("BPKAD", "Badan Pengelolaan Keuangan dan Aset Daerah"),
    ("BKPSDM", "Badan Kepegawaian dan Pengembangan Sumber Daya Manusia"),
    ("BAG-ORG", "Bagian Organisasi Sekretariat Daerah"),
    ("BAG-HUKUM", "Bagian Hukum Sekretariat Daerah"),
    ("DISDUKCAPIL", "Dinas Kependudukan dan Pencatatan Sipil"),
    ("DPMPTSP", "Dinas Penanaman Modal dan Pelayanan Terpadu Satu Pintu"),
    ("DINKES", "Dinas Kesehatan"),
    ("DINDIK", "Dinas Pendidikan"),
    ("BAG-PBJ", "Bagian Pengadaan Barang dan Jasa Sekretariat Daerah"),
]
# The real roster's owner codes, mapped onto the synthetic agencies' OPD kinds.
OWNER_ALIASES = {"DINKOMINFO": "DISKOMINFO", "BAPPERIDA": "BAPPEDA"}
FIRST = ["Agus", "Budi", "Citra", "Dewi", "Eko", "Fajar", "Gita", "Hadi", "Indah", "Joko", "Kartika", "Lina"]
LAST = ["Santoso", "Wibowo", "Rahayu", "Lestari", "Prasetyo", "Setiawan", "Pratama", "Purwanto", "Kusuma"]


# --- the store: a fresh database per N, filled in bulk ------------------------------------------------


def fresh_database(base: str):
    """A new database on the server, dropped afterwards (the same helper the PostgreSQL tests use)."""
    from spbe.store.db import scratch_postgres_database

    return scratch_postgres_database(base, prefix="spbe_bench")


@dataclass
class Agency:
    code: str
    opds: list[dict[str, Any]]  # code, name, admin_key, head_key
    people: list[dict[str, Any]]  # key, name, role, opd_code, email, phone, telegram, channels
    owners: dict[int, str]
    assessors: dict[int, str] = field(default_factory=dict)

    def keys(self, role: str) -> list[str]:
        return [p["key"] for p in self.people if p["role"] == role]


def local(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=WIB).astimezone(UTC)


def assign_assessors(agency: Agency, rng: random.Random) -> None:
    """Each indicator to the least-loaded assessor from another OPD (no conflict of interest)."""
    opd_of = {p["key"]: p["opd_code"] for p in agency.people if p["role"] == "assessor"}
    load = Counter({k: 0 for k in opd_of})
    for number in sorted(agency.owners):
        eligible = [k for k in opd_of if opd_of[k] != agency.owners[number]]
        best = min(load[k] for k in eligible)
        choice = rng.choice([k for k in eligible if load[k] == best])
        agency.assessors[number] = choice
        load[choice] += 1


def synthetic_agency(index: int, rng: random.Random, real_owners: dict[int, str]) -> Agency:
    code = f"agency-{index:03d}-2025"
    count = rng.randint(5, 10)
    kinds = OPD_KINDS[:5] + rng.sample(OPD_KINDS[5:], count - 5)
    domain = f"agency-{index:03d}.example"
    opds, people = [], []

    def person(key: str, role: str, opd: str | None) -> dict[str, Any]:
        return {
            "key": key,
            "name": f"{rng.choice(FIRST)} {rng.choice(LAST)}",
            "role": role,
            "opd_code": opd,
            "email": f"{key}@{domain}",
            "phone": f"+62812{index:03d}{rng.randint(10000, 99999)}",
            "telegram": None,
            "channels": [],
        }

    for opd_code, name in kinds:
        low = opd_code.lower()
        opds.append({"code": opd_code, "name": name, "admin_key": f"adm-{low}", "head_key": f"head-{low}"})
        people += [person(f"adm-{low}", "admin", opd_code), person(f"head-{low}", "head", opd_code)]
    people.append(person("koordinator", "coordinator", "DISKOMINFO"))
    if rng.random() < 0.5:
        people.append(person("koordinator-2", "coordinator", "DISKOMINFO"))
    homes = ["INSPEKTORAT", "DISKOMINFO"] + [rng.choice(kinds)[0] for _ in range(rng.randint(1, 4))]
    people += [person(f"asr-{k + 1:02d}", "assessor", opd) for k, opd in enumerate(homes)]
    people += [person("sekda", "leadership", None), person("walikota", "leadership", None)]
    present = {c for c, _ in kinds}
    owners = {}
    for number, owner in real_owners.items():
        owner = OWNER_ALIASES.get(owner, owner)
        if owner not in present or rng.random() < 0.1:
            owner = "DISKOMINFO" if rng.random() < 0.7 else rng.choice(sorted(present))
        owners[number] = owner
    agency = Agency(code, opds, people, owners)
    assign_assessors(agency, rng)
    return agency


def real_agency(code: str, roster, rng: random.Random) -> Agency:
    opds = [{"code": o.code, "name": o.name, "admin_key": o.admin_id, "head_key": o.head_id} for o in roster.opds]
    people = [{"key": p.id, "role": p.role, "opd_code": p.opd} for p in roster.people]
    owners = {n: o for n, o in roster.owners.items() if o}
    agency = Agency(code, opds, people, owners)
    assign_assessors(agency, rng)
    return agency


@dataclass
class Template:
    """What every agency copies from the real Pekalongan cycle."""

    cycle: dict[str, Any]
    phases: list[dict[str, Any]]
    indicators: list[dict[str, Any]]
    rule_days: dict[str, dict[str, date]]  # phase → rule → local day it is due
    working_days: list[date]  # 1 Sep .. 27 Oct: the days a digest went out


def history_rows(agency: Agency, cycle_id: int, rng: random.Random, tpl: Template) -> dict[str, list]:
    """Attendance, submissions (two versions), reviews, sent messages with their ledger rows, audit events."""
    code = agency.code
    admins = {o["code"]: o["admin_key"] for o in agency.opds}
    coordinators = agency.keys("coordinator")
    rows: dict[str, list] = {k: [] for k in ("attendance", "submission", "review", "audit", "outbox", "ledger")}
    progress = rng.uniform(0.35, 0.9)  # share of second versions already accepted: agencies differ
    site = f"https://spbe.{code.removesuffix('-2025')}.example/dukung"

    def audit(at: datetime, actor: str, action: str, subject: str | None, detail: dict) -> None:
        rows["audit"].append(
            {"cycle_id": cycle_id, "at": at, "actor": actor, "action": action, "subject": subject, "detail": detail}
        )

    for opd in agency.opds:
        waived = rng.random() < 0.1
        rows["attendance"].append(
            {
                "cycle_id": cycle_id,
                "opd_code": opd["code"],
                "recorded_at": local(date(2025, 8, 12), 11),
                "recorded_by": "koordinator" if waived else opd["admin_key"],
                "waived": waived,
                "reason": "Dinas luar kota; materi dikirim" if waived else None,
            }
        )
    pending_assessors = set()
    for number in sorted(agency.owners):
        owner, assessor = agency.owners[number], agency.assessors[number]
        level = rng.choice((1, 2, 2, 3, 3, 4))
        late = rng.random() < 0.05
        sub1 = local(date(2025, 10, 1), 10) if late else local(date(2025, 9, rng.randint(2, 29)), rng.randint(8, 15))
        rev1 = sub1 + timedelta(days=rng.randint(3, 8), hours=rng.randint(0, 5))
        sub2 = rev1 + timedelta(days=rng.randint(1, 8), hours=rng.randint(0, 5))
        accepted = rng.random() < progress
        rev2 = sub2 + timedelta(days=rng.randint(1, 3))
        if rev2 >= NOW:
            accepted = False
        versions = [
            (1, level, sub1, late, [f"{site}/ind-{number:02d}/v1-{k}.pdf" for k in range(rng.randint(1, 3))]),
            (
                2,
                min(5, level + rng.choice((0, 1, 1))),
                sub2,
                False,
                [f"{site}/ind-{number:02d}/v2-{k}.pdf" for k in range(rng.randint(2, 4))],
            ),
        ]
        for version, lvl, at, was_late, evidence in versions:
            index = len(rows["submission"])
            rows["submission"].append(
                {
                    "cycle_id": cycle_id,
                    "indicator_number": number,
                    "opd_code": owner,
                    "version": version,
                    "level": lvl,
                    "explanation": "Dokumen pendukung terlampir; lihat tautan.",
                    "evidence": evidence,
                    "note": None if version == 1 else "Perbaikan sesuai catatan asesor.",
                    "submitted_at": at,
                    "submitted_by": admins[owner],
                    "late": was_late,
                    "source": "cli",
                    "fingerprint": hashlib.sha256(f"{code}/{number}/{version}".encode()).hexdigest(),
                }
            )
            audit(
                at,
                admins[owner],
                "submission.created",
                f"indicator:{number}",
                {"opd": owner, "version": version, "level": lvl, "evidence": len(evidence), "late": was_late},
            )
            if version == 1 or accepted:
                verdict = "revise" if version == 1 else "accept"
                when = rev1 if version == 1 else rev2
                rows["review"].append(
                    {
                        "cycle_id": cycle_id,
                        "submission_index": index,  # replaced by the id once submissions are inserted
                        "indicator_number": number,
                        "assessor_key": assessor,
                        "level": max(1, lvl - rng.choice((0, 0, 1))) if verdict == "accept" else None,
                        "verdict": verdict,
                        "note": "Lengkapi notulen reviu dan bukti evaluasi berkala." if verdict == "revise" else None,
                        "reviewed_at": when,
                        "source": "cli",
                    }
                )
                audit(
                    when, assessor, "review.recorded", f"indicator:{number}", {"version": version, "verdict": verdict}
                )
        if not accepted:
            pending_assessors.add(assessor)

    def message(kind, recipient, phase, rule, version, day, items, period="", subject="Pengingat") -> None:
        sent = local(day, 8, rng.randint(0, 9))
        key = f"{code}/{phase}/{rule}/v{version}/{recipient}" + (f"/{period}" if period else "")
        if kind == "notice":
            key, rule, version = f"{code}/notice/{phase}/{recipient}", None, None
        rows["outbox"].append(
            {
                "cycle_id": cycle_id,
                "key": key,
                "kind": kind,
                "recipient": recipient,
                "phase": None if phase == "*" else phase,
                "rule": rule,
                "deadline_version": version,
                "subject": f"[SPBE 2025] {subject}",
                "body": "Yth. Bapak/Ibu,\n\n" + "Daftar butir tertunda.\n" * 12,
                "state": "sent",
                "attempts": 1,
                "not_before": local(day, 8),
                "channel": "webhook",
                "created_at": local(day, 8),
                "sent_at": sent,
                "updated_at": sent,
            }
        )
        if kind != "notice":
            rows["ledger"].append(
                {
                    "cycle_id": cycle_id,
                    "recipient": recipient,
                    "phase": phase,
                    "rule": rule,
                    "deadline_version": version,
                    "period": period,
                    "kind": kind,
                    "due_at": local(day, 8),
                    "recorded_at": local(day, 8),
                    "items": items,
                }
            )

    for day in tpl.working_days:  # the coordinators' daily digest, and the sweep/dispatch trail of that day
        for key in coordinators:
            message("digest", key, "*", "harian", 0, day, [], period=day.isoformat(), subject="Ringkasan harian")
        audit(local(day, 8), "system:reminders", "reminders.swept", None, {"queued": len(coordinators)})
        audit(local(day, 8, 5), "system:dispatcher", "outbox.delivered", None, {"sent": len(coordinators)})
    owing = sorted({o for o in agency.owners.values()})
    for rule, chance in (("H-7", 0.95), ("H-3", 0.7), ("H-1", 0.35), ("H+1", 0.05)):
        for opd in owing:
            if rng.random() < chance:
                items = [f"missing_submission:{n}:{opd}:" for n, o in agency.owners.items() if o == opd][:10]
                message(
                    "reminder", admins[opd], "self-assessment", rule, 1, tpl.rule_days["self-assessment"][rule], items
                )
    for key in agency.keys("assessor"):
        message("notice", key, OPEN, None, None, date(2025, 10, 1), [], subject="Penilaian dokumen")
        if key in pending_assessors or rng.random() < 0.5:
            items = [f"awaiting_review:{n}::{key}" for n, a in agency.assessors.items() if a == key]
            message("reminder", key, OPEN, "H-7", 1, tpl.rule_days[OPEN]["H-7"], items)
    return rows


def structure_rows(agency: Agency, cycle_id: int, tpl: Template) -> dict[str, list]:
    """Phases, indicators, OPDs, people and the approved assignment of a synthetic agency."""
    phases = []
    for p in tpl.phases:
        state = "closed" if p["name"] in CLOSED else "open" if p["name"] == OPEN else "pending"
        closed_by = None
        if state == "closed":
            closed_by = "system:timekeeper" if p["close_mode"] == "auto" else "koordinator"
        phases.append(
            p
            | {
                "cycle_id": cycle_id,
                "state": state,
                "opened_at": p["opens_at"] if state != "pending" else None,
                "closed_at": p["deadline_at"] if state == "closed" else None,
                "closed_by": closed_by,
            }
        )
    approved = local(date(2025, 7, 28), 10)
    return {
        "phase": phases,
        "indicator": [i | {"cycle_id": cycle_id} for i in tpl.indicators],
        "opd": [o | {"cycle_id": cycle_id} for o in agency.opds],
        "person": [p | {"cycle_id": cycle_id} for p in agency.people],
        "assignment": [
            {
                "cycle_id": cycle_id,
                "indicator_number": n,
                "owner_opd": agency.owners[n],
                "assessor_key": agency.assessors[n],
                "source": "auto",
                "approved_at": approved,
                "approved_by": "koordinator",
            }
            for n in sorted(agency.owners)
        ],
    }


def build_store(url: str, agencies: int, seed: int) -> tuple[Any, dict[str, int]]:
    """The real Pekalongan cycle through `load_cycle`, then agencies 001.. in bulk (Core executemany)."""
    from sqlalchemy import insert, select, update
    from sqlalchemy import text as sql

    from spbe import clock
    from spbe.calendar import WorkCalendar
    from spbe.domain.reminders import rule_due_at
    from spbe.services.cycles import load_config_files, load_cycle, rules_for
    from spbe.store import models as m
    from spbe.store.db import get_engine, session_scope, upgrade
    from spbe.store.tables_reminders import OutboxMessage, ReminderLedger

    engine = get_engine(url)
    upgrade(engine)
    config, roster = load_config_files(CONFIG)
    with clock.use_clock(datetime(2025, 6, 2, 8, 0, tzinfo=WIB)), session_scope(engine) as session:
        real = load_cycle(session, config=config, roster=roster, actor="bench").cycle
    tables = {
        "phase": m.Phase.__table__,
        "indicator": m.Indicator.__table__,
        "opd": m.Opd.__table__,
        "person": m.Person.__table__,
        "assignment": m.Assignment.__table__,
        "attendance": m.Attendance.__table__,
        "submission": m.Submission.__table__,
        "review": m.Review.__table__,
        "audit": m.AuditEvent.__table__,
        "outbox": OutboxMessage.__table__,
        "ledger": ReminderLedger.__table__,
    }
    counts: Counter = Counter()
    with engine.connect() as conn:
        cycle_row = dict(conn.execute(select(m.Cycle.__table__).where(m.Cycle.id == real.id)).one()._mapping)
        phase_cols = (
            "name",
            "seq",
            "title",
            "opens_at",
            "deadline_at",
            "deadline_version",
            "close_mode",
            "overlap",
            "extra",
        )
        phases = [
            {c: r._mapping[c] for c in phase_cols}
            for r in conn.execute(select(m.Phase.__table__).where(m.Phase.cycle_id == real.id).order_by(m.Phase.seq))
        ]
        indicators = [
            {c: r._mapping[c] for c in ("number", "domain", "aspect", "name", "weight")}
            for r in conn.execute(select(m.Indicator.__table__).where(m.Indicator.cycle_id == real.id))
        ]
    rules, window = rules_for(real)
    calendar: WorkCalendar = window.calendar
    deadlines = {p["name"]: p["deadline_at"] for p in phases}
    rule_days = {
        name: {f"H{o:+d}": rule_due_at(deadlines[name], o, window).astimezone(WIB).date() for o in rules.offsets}
        for name in ("self-assessment", OPEN)
    }
    days = [date(2025, 9, 1) + timedelta(days=k) for k in range((NOW.date() - date(2025, 9, 1)).days)]
    tpl = Template(cycle_row, phases, indicators, rule_days, [d for d in days if calendar.is_working_day(d)])

    def insert_all(conn, batch: dict[str, list]) -> None:
        subs = batch.pop("submission", [])
        if subs:
            ids = (
                conn.execute(
                    insert(tables["submission"]).returning(tables["submission"].c.id, sort_by_parameter_order=True),
                    subs,
                )
                .scalars()
                .all()
            )
            for r in batch["review"]:
                r["submission_id"] = ids[r.pop("submission_index")]
            counts["submission"] += len(subs)
        out = batch.pop("outbox", [])
        if out:
            ids = (
                conn.execute(
                    insert(tables["outbox"]).returning(tables["outbox"].c.id, sort_by_parameter_order=True), out
                )
                .scalars()
                .all()
            )
            by_key = {(r["cycle_id"], r["key"]): i for r, i in zip(out, ids, strict=True)}
            for led in batch["ledger"]:
                tail = f"/{led['period']}" if led["period"] else ""
                code = led.pop("code")
                key = f"{code}/{led['phase']}/{led['rule']}/v{led['deadline_version']}/{led['recipient']}{tail}"
                led["outbox_id"] = by_key[(led["cycle_id"], key)]
            counts["outbox"] += len(out)
        for name, rows in batch.items():
            if rows:
                conn.execute(insert(tables[name]), rows)
                counts[name] += len(rows)

    def merge(into: dict[str, list], rows: dict[str, list], code: str) -> None:
        offset = len(into.setdefault("submission", []))
        for r in rows.get("review", []):
            r["submission_index"] += offset
        for r in rows.get("ledger", []):
            r["code"] = code
        for name, items in rows.items():
            into.setdefault(name, []).extend(items)

    real_rng = random.Random(seed)
    first = real_agency(real.code, roster, real_rng)
    with engine.begin() as conn:
        state = {
            p["name"]: ("closed" if p["name"] in CLOSED else "open" if p["name"] == OPEN else "pending") for p in phases
        }
        for p in phases:
            conn.execute(
                update(tables["phase"])
                .where(tables["phase"].c.cycle_id == real.id, tables["phase"].c.name == p["name"])
                .values(
                    state=state[p["name"]],
                    opened_at=p["opens_at"] if state[p["name"]] != "pending" else None,
                    closed_at=p["deadline_at"] if state[p["name"]] == "closed" else None,
                )
            )
        for number, assessor in first.assessors.items():
            conn.execute(
                update(tables["assignment"])
                .where(tables["assignment"].c.cycle_id == real.id, tables["assignment"].c.indicator_number == number)
                .values(assessor_key=assessor, approved_at=local(date(2025, 7, 28), 10), approved_by="koordinator")
            )
        batch: dict[str, list] = {}
        merge(batch, history_rows(first, real.id, real_rng, tpl), first.code)
        insert_all(conn, batch)
    counts["cycle"] += 1

    real_owners = dict(first.owners)
    cycle_cols = {k: v for k, v in cycle_row.items() if k not in ("id", "code", "city")}
    for start in range(1, agencies, BATCH_AGENCIES):
        numbers = range(start, min(start + BATCH_AGENCIES, agencies))
        made = []
        for index in numbers:
            rng = random.Random(seed * 100_003 + index)
            made.append((synthetic_agency(index, rng, real_owners), rng))
        with engine.begin() as conn:
            ids = (
                conn.execute(
                    insert(m.Cycle.__table__).returning(m.Cycle.__table__.c.id, sort_by_parameter_order=True),
                    [
                        cycle_cols | {"code": a.code, "city": f"Pemerintah Daerah {a.code[7:10]}", "history": {}}
                        for a, _ in made
                    ],
                )
                .scalars()
                .all()
            )
            batch = {}
            for (agency, rng), cycle_id in zip(made, ids, strict=True):
                merge(batch, structure_rows(agency, cycle_id, tpl), agency.code)
                merge(batch, history_rows(agency, cycle_id, rng, tpl), agency.code)
            insert_all(conn, batch)
        counts["cycle"] += len(made)
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(sql("ANALYZE"))  # a store in service has planner statistics; a freshly bulk-loaded one not yet
    return engine, dict(counts)


# --- looking at the queries: do one agency's steps read other agencies' rows? ------------------------


class StatementLog:
    """Collects the SELECT/UPDATE statements an engine runs while `active`, to replay under EXPLAIN."""

    def __init__(self, engine) -> None:
        from sqlalchemy import event

        self.engine, self.active, self.statements = engine, False, []
        event.listen(engine, "before_cursor_execute", self._seen)

    def _seen(self, conn, cursor, statement, parameters, context, executemany) -> None:
        if not self.active:
            return
        verb = statement.lstrip().split(None, 1)[0].upper()
        if verb in ("SELECT", "UPDATE", "WITH"):
            params = parameters[0] if executemany and parameters else parameters
            self.statements.append((statement, params))

    @contextmanager
    def watching(self) -> Iterator[None]:
        self.statements, self.active = [], True
        try:
            yield
        finally:
            self.active = False

    def close(self) -> None:
        from sqlalchemy import event

        event.remove(self.engine, "before_cursor_execute", self._seen)

    def examine(self) -> dict[str, Any]:
        """Rows read by the scans of every statement seen (EXPLAIN ANALYZE, rolled back), and the worst one."""
        total, worst, seq, db_ms = 0, (0, ""), set(), 0.0
        with self.engine.connect() as conn:
            for statement, params in self.statements:
                if "alembic_version" in statement or "pg_catalog" in statement:
                    continue
                trans = conn.begin()
                try:
                    plan = conn.exec_driver_sql(
                        "EXPLAIN (ANALYZE, TIMING OFF, FORMAT JSON) " + statement, params
                    ).scalar()
                finally:
                    trans.rollback()
                plan = json.loads(plan) if isinstance(plan, str) else plan
                db_ms += plan[0].get("Execution Time", 0.0)
                read = _scanned(plan[0]["Plan"], seq)
                total += read
                if read > worst[0]:
                    worst = (read, " ".join(statement.split())[:110])
        return {
            "statements": len(self.statements),
            "rows_read": total,
            "db_ms": db_ms,
            "worst": worst,
            "seq_scans": sorted(seq),
        }


def _scanned(node: dict[str, Any], seq: set[str]) -> int:
    read = 0
    if "Scan" in node["Node Type"] and "Relation Name" in node:
        loops = node.get("Actual Loops", 1)
        read = int((node.get("Actual Rows", 0) + node.get("Rows Removed by Filter", 0)) * loops)
        if node["Node Type"] == "Seq Scan":
            seq.add(f"{node['Relation Name']}({read})")
    return read + sum(_scanned(child, seq) for child in node.get("Plans", []))


# --- the measurements ---------------------------------------------------------------------------------


@dataclass
class Figures:
    agencies: int
    build_s: float = 0.0
    rows: dict[str, int] = field(default_factory=dict)
    status_process_ms: float = 0.0
    status_ms: float = 0.0
    gate_ms: float = 0.0
    sweep_s: float = 0.0
    sweep_each: list[float] = field(default_factory=list)  # seconds per agency, in cycle order
    resweep_s: float = 0.0
    reviewed: int = 0  # reviews that came in between the two sweeps
    cancelled: int = 0  # by the second sweep: reminders whose items were all resolved
    refreshed: int = 0  # by the second sweep: re-rendered with the items still pending
    waiting: int = 0  # what the dispatch had to deliver
    resweep_each: list[float] = field(default_factory=list)
    queued: int = 0
    dispatch_s: float = 0.0
    dispatch_each: list[float] = field(default_factory=list)
    sent: int = 0
    received: dict[str, int] = field(default_factory=dict)
    dispatch_parts: dict[str, float] = field(default_factory=dict)
    bare_rate: float = 0.0  # msg/s of a bare httpx loop posting the same messages, same receiver, same run
    examined: dict[str, dict[str, Any]] = field(default_factory=dict)
    profiles: dict[str, str] = field(default_factory=dict)

    @property
    def sweep_ms_per_agency(self) -> float:
        """The median agency: the first sweep's one-off costs (template compilation, imports) left out."""
        return 1000 * statistics.median(self.sweep_each) if self.sweep_each else 0.0

    @property
    def delivered_once(self) -> bool:
        got = self.received
        return got.get("unique") == got.get("total") == self.sent == self.waiting and not got.get("repeated")

    @property
    def resweep_ms_per_agency(self) -> float:
        return 1000 * statistics.median(self.resweep_each) if self.resweep_each else 0.0

    @property
    def dispatch_ms_per_agency(self) -> float:
        return 1000 * statistics.median(self.dispatch_each) if self.dispatch_each else 0.0

    @property
    def rate(self) -> float:
        return self.sent / self.dispatch_s if self.dispatch_s else 0.0


def probe_code(agencies: int) -> str:
    return f"agency-{min(PROBE, agencies - 1):03d}-2025"


def child_env(url: str, code: str, data_dir: str) -> dict[str, str]:
    return {
        **os.environ,
        "SPBE_DATABASE_URL": url,
        "SPBE_CYCLE": code,
        "SPBE_NOW": NOW.isoformat(),
        "SPBE_DATA_DIR": data_dir,
        "SPBE_ACTOR": "koordinator",  # `spbe status` is for people in the roster
    }


def time_status_process(url: str, code: str, data_dir: str) -> float:
    spbe = Path(sys.executable).parent / "spbe"
    times = []
    for _ in range(RUNS):
        start = time.perf_counter()
        proc = subprocess.run(
            [str(spbe), "status", "--json"],
            capture_output=True,
            text=True,
            env=child_env(url, code, data_dir),
            timeout=120,
        )
        times.append(time.perf_counter() - start)
        if proc.returncode != 0:
            raise SystemExit(f"spbe status failed ({proc.returncode}): {proc.stderr.strip()}")
        data = json.loads(proc.stdout)
        assert data["cycle"] == code and OPEN in data["progress"], data
    return 1000 * statistics.median(times)


def time_status_inprocess(url: str, code: str, data_dir: str, log: StatementLog) -> tuple[float, dict]:
    from spbe import clock
    from spbe.services.status import cycle_status
    from spbe.settings import get_settings

    os.environ.update({k: v for k, v in child_env(url, code, data_dir).items() if k.startswith("SPBE_")})
    get_settings.cache_clear()
    times = []
    with clock.use_clock(NOW):
        with log.watching():
            data = cycle_status()  # also warms imports, the framework and the config cache
        assert data["cycle"] == code and data["progress"][OPEN]["outstanding"] > 0, data
        for _ in range(RUNS):
            start = time.perf_counter()
            cycle_status()
            times.append(time.perf_counter() - start)
    return 1000 * statistics.median(times), log.examine()


def time_gate(engine, code: str, log: StatementLog) -> tuple[float, dict]:
    from sqlmodel import Session, select

    from spbe.services.people import TIMEKEEPER
    from spbe.services.phases import check_gate
    from spbe.store import models as m

    times = []
    with Session(engine) as session:
        for run in range(RUNS + 1):
            cycle = session.exec(select(m.Cycle).where(m.Cycle.code == code)).one()
            with log.watching() if run == 0 else _nothing():
                start = time.perf_counter()
                change = check_gate(session, cycle=cycle, name=OPEN, now=NOW, actor=TIMEKEEPER)
                spent = time.perf_counter() - start
            assert not change.changed and change.gate is not None and change.gate.outstanding, change.message
            session.rollback()
            if run:  # the first run warms the session's caches
                times.append(spent)
    return 1000 * statistics.median(times), log.examine()


@contextmanager
def _nothing() -> Iterator[None]:
    yield


def all_cycles(engine) -> list[tuple[int, str]]:
    from sqlmodel import Session, select

    from spbe.store import models as m

    with Session(engine) as session:
        return [(c.id, c.code) for c in session.exec(select(m.Cycle).order_by(m.Cycle.id))]


def national_sweep(engine, probe: str | None, log: StatementLog, profile: bool, each: list[float]):
    """One set-based sweep of every cycle (`sweep_many`: each table read once for all agencies, one write
    per kind), in one transaction. `each` gets the per-agency share; with `probe`, the whole sweep's
    statements are replayed (their rows read must grow with N, not with N²)."""
    from sqlmodel import select

    from spbe import clock
    from spbe.services.reminders import sweep_many
    from spbe.store import models as m
    from spbe.store.db import session_scope

    counts, examined = Counter(), {}
    profiler = cProfile.Profile() if profile else None
    with clock.use_clock(NOW):
        watch = log.watching() if probe else _nothing()
        start = time.perf_counter()
        if profiler:
            profiler.enable()
        with watch, session_scope(engine) as session:
            cycles = list(session.exec(select(m.Cycle).order_by(m.Cycle.id)))
            results = sweep_many(session, cycles, now=NOW)
        if profiler:
            profiler.disable()
        spent = time.perf_counter() - start
        each.extend([spent / max(len(results), 1)] * len(results))
        for result in results:
            counts.update(queued=len(result.queued), cancelled=len(result.cancelled), refreshed=len(result.refreshed))
        if probe:
            examined = log.examine()  # outside the timed part
    return spent, counts, examined, _top(profiler)


def review_between_sweeps(engine) -> int:
    """In every agency an assessor accepts one waiting version (row and audit event, as `spbe review` writes
    them), so the next sweep must re-render or cancel that assessor's reminder and refresh the digest."""
    from sqlalchemy import insert
    from sqlalchemy import text as sql

    from spbe.store import models as m

    pick = sql(
        """SELECT DISTINCT ON (s.cycle_id) s.id, s.cycle_id, s.indicator_number, s.level, a.assessor_key
           FROM submission s JOIN assignment a
             ON a.cycle_id = s.cycle_id AND a.indicator_number = s.indicator_number
           WHERE NOT EXISTS (SELECT 1 FROM review r WHERE r.submission_id = s.id)
           ORDER BY s.cycle_id, s.indicator_number"""
    )
    at = NOW.astimezone(UTC) - timedelta(minutes=10)
    with engine.begin() as conn:
        rows = conn.execute(pick).all()
        reviews = [
            {
                "cycle_id": r.cycle_id,
                "submission_id": r.id,
                "indicator_number": r.indicator_number,
                "assessor_key": r.assessor_key,
                "level": r.level,
                "verdict": "accept",
                "reviewed_at": at,
                "source": "cli",
            }
            for r in rows
        ]
        events = [
            {
                "cycle_id": r.cycle_id,
                "at": at,
                "actor": r.assessor_key,
                "action": "review.recorded",
                "subject": f"indicator:{r.indicator_number}",
                "detail": {"version": 2, "verdict": "accept"},
            }
            for r in rows
        ]
        if rows:
            conn.execute(insert(m.Review.__table__), reviews)
            conn.execute(insert(m.AuditEvent.__table__), events)
    return len(rows)


def waiting_messages(engine) -> int:
    from sqlalchemy import func, select

    from spbe.store.tables_reminders import OPEN_STATES, OutboxMessage

    table = OutboxMessage.__table__  # type: ignore[attr-defined]
    with engine.connect() as conn:
        return conn.execute(select(func.count()).where(table.c.state.in_(OPEN_STATES))).scalar_one()


def national_dispatch(engine, probe: str, log: StatementLog, receiver: str, profile: bool, each: list[float]):
    from sqlmodel import Session

    from spbe import clock
    from spbe.services import delivery_settings as ds
    from spbe.services import dispatch as d
    from spbe.store import models as m

    parts: Counter = Counter()
    originals = {name: getattr(d, name) for name in ("claim", "claim_many", "_record", "record_groups", "reclaim")}

    def timed(name: str, fn: Callable) -> Callable:
        def wrapper(*args, **kwargs):
            start = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                parts[name] += time.perf_counter() - start

        return wrapper

    for name, fn in originals.items():
        setattr(d, name, timed(name.strip("_"), fn))
    settings_for = timed("settings_for", ds.settings_for)
    sent, spent, examined, problems = 0, 0.0, {}, []
    profiler = cProfile.Profile() if profile else None
    cycles = all_cycles(engine)
    probe_id = next(cid for cid, code in cycles if code == probe)

    def settings_of(cycle_id: int):
        with Session(engine) as session:
            return settings_for(session.get(m.Cycle, cycle_id))

    def tally(reports) -> None:
        nonlocal sent
        for report in reports:
            sent += len(report.sent)
            if report.retried or report.dead or report.outside_window:
                problems.append((report.cycle_id, len(report.retried), len(report.dead), report.outside_window))

    try:
        with clock.use_clock(NOW):
            # The probe agency alone first, its statements watched (they must not read other agencies' rows);
            # then every other agency in one national dispatch (`dispatch_many`: one loop, one pooled client,
            # several cycles' claims and deliveries overlapping).
            start = time.perf_counter()
            with log.watching():
                probe_report = d.dispatch_now(cycle_id=probe_id, settings=settings_of(probe_id), engine=engine)
            examined = log.examine()
            probe_s = time.perf_counter() - start
            tally([probe_report])
            start = time.perf_counter()
            if profiler:
                profiler.enable()
            rest = [(cid, settings_of(cid)) for cid, _code in cycles if cid != probe_id]
            reports = asyncio.run(d.dispatch_many(rest, engine=engine))
            if profiler:
                profiler.disable()
            rest_s = time.perf_counter() - start
            tally(reports)
            spent = probe_s + rest_s
            each.extend([spent / len(cycles)] * len(cycles))
    finally:
        for name, fn in originals.items():
            setattr(d, name, fn)
    import httpx
    from _baseline import bare_loop, webhook_payloads  # bench/, the script's own folder

    received = httpx.get(receiver + "/stats").json()
    if problems:
        print(f"  ! dispatch problems (cycle, retried, dead, outside window): {problems[:5]}", file=sys.stderr)
    # The baseline, in the same run: what was just delivered, posted again by a bare httpx loop with the
    # dispatcher's concurrency, to the same receiver (its counts reset before and after).
    delivered = {entry["id"] for report in [probe_report, *reports] for entry in report.sent}
    items = webhook_payloads(engine, row_ids=delivered)
    httpx.post(receiver + "/reset")
    bare_s = asyncio.run(bare_loop(receiver + "/spbe", items, probe_settings_concurrency(engine, probe_id)))
    httpx.post(receiver + "/reset")
    return spent, sent, received, dict(parts), examined, _top(profiler), len(items) / bare_s if bare_s else 0.0


def probe_settings_concurrency(engine, cycle_id: int) -> int:
    from sqlmodel import Session

    from spbe.services.delivery_settings import settings_for
    from spbe.store import models as m

    with Session(engine) as session:
        return settings_for(session.get(m.Cycle, cycle_id)).concurrency


def _top(profiler: cProfile.Profile | None, lines: int = 14) -> str:
    """The engine's own functions by cumulative time, then the heaviest functions by their own time."""
    if profiler is None:
        return ""
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats("cumulative").print_stats(r"/spbe/", lines)
    stats.sort_stats("tottime").print_stats(8)
    text = out.getvalue()
    keep = [ln for ln in text.splitlines() if ln.strip() and not ln.lstrip().startswith(("Ordered by", "List reduced"))]
    return "\n".join(ln for ln in keep if "function calls" not in ln)


@contextmanager
def receiver() -> Iterator[str]:
    proc = subprocess.Popen([sys.executable, str(ROOT / "bench" / "_receiver.py")], stdout=subprocess.PIPE, text=True)
    try:
        port = proc.stdout.readline().strip()  # type: ignore[union-attr]
        if not port.isdigit():
            raise SystemExit("the webhook receiver did not start")
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def measure(
    base_url: str, agencies: int, seed: int, receiver_url: str, profile: bool, dispatch: bool = True
) -> Figures:
    import httpx

    fig = Figures(agencies)
    probe = probe_code(agencies)
    data_dir = tempfile.mkdtemp(prefix="spbe-national-")
    with fresh_database(base_url) as url:
        start = time.perf_counter()
        engine, fig.rows = build_store(url, agencies, seed)
        fig.build_s = time.perf_counter() - start
        print(f"  N={agencies}: built in {fig.build_s:.1f} s ({sum(fig.rows.values()):,} rows)", flush=True)
        log = StatementLog(engine)
        fig.status_process_ms = time_status_process(url, probe, data_dir)
        fig.status_ms, fig.examined["status"] = time_status_inprocess(url, probe, data_dir, log)
        fig.gate_ms, fig.examined["gate"] = time_gate(engine, probe, log)
        if profile:
            from spbe.services.status import cycle_status

            profiler = cProfile.Profile()
            from spbe import clock

            with clock.use_clock(NOW):
                profiler.runcall(cycle_status)
            fig.profiles["status"] = _top(profiler)
        print(f"  N={agencies}: status and gate timed; sweeping {agencies} agencies", flush=True)
        fig.sweep_s, first, _, fig.profiles["sweep"] = national_sweep(engine, None, log, profile, fig.sweep_each)
        fig.queued = first["queued"]
        # The timekeeper sweeps again before every dispatch. While messages wait, each later sweep re-reads them
        # and re-checks them against the cycle: here one review per agency has come in meanwhile. Its
        # statements are the ones replayed: the state they see is the state they left.
        fig.reviewed = review_between_sweeps(engine)
        fig.resweep_s, second, fig.examined["re-sweep"], fig.profiles["re-sweep"] = national_sweep(
            engine, probe, log, profile, fig.resweep_each
        )
        fig.cancelled, fig.refreshed = second["cancelled"], second["refreshed"]
        if second["queued"]:
            print(f"  ! the second sweep queued {second['queued']} more messages", file=sys.stderr)
        fig.waiting = waiting_messages(engine)
        if not dispatch:
            return fig
        httpx.post(receiver_url + "/reset")
        os.environ.update(
            {"SPBE_FORCE_CHANNEL": "webhook", "SPBE_WEBHOOK_URL": receiver_url + "/spbe", "SPBE_DATA_DIR": data_dir}
        )
        from spbe.settings import get_settings

        get_settings.cache_clear()
        print(f"  N={agencies}: {fig.queued} queued; dispatching", flush=True)
        (
            fig.dispatch_s,
            fig.sent,
            fig.received,
            fig.dispatch_parts,
            fig.examined["dispatch"],
            fig.profiles["dispatch"],
            fig.bare_rate,
        ) = national_dispatch(engine, probe, log, receiver_url, profile, fig.dispatch_each)
        log.close()
        if not fig.delivered_once:
            print(
                f"  ! delivery mismatch: waiting {fig.waiting}, sent {fig.sent}, received {fig.received}",
                file=sys.stderr,
            )
    return fig


# --- the report ---------------------------------------------------------------------------------------


def ratio(a: float, b: float) -> str:
    return f"{b / a:.2f}×" if a else "-"


def report(figs: list[Figures]) -> None:
    print()
    print(
        f"national: {', '.join(str(f.agencies) for f in figs)} agencies × 47 indicators, two versions each, "
        f"PostgreSQL; clock {NOW.isoformat()} (document review open, H-3);"
        f" one-agency steps on {probe_code(999)} (the last agency when N ≤ 20)"
    )
    columns: list[tuple[str, Callable[[Figures], float], str]] = [
        ("build s", lambda f: f.build_s, "{:.1f}"),
        ("status proc ms", lambda f: f.status_process_ms, "{:.0f}"),
        ("status ms", lambda f: f.status_ms, "{:.1f}"),
        ("gate ms", lambda f: f.gate_ms, "{:.1f}"),
        ("sweep s", lambda f: f.sweep_s, "{:.1f}"),
        ("sweep ms/agency", lambda f: f.sweep_ms_per_agency, "{:.1f}"),
        ("queued", lambda f: f.queued, "{:.0f}"),
        ("re-sweep ms/agency", lambda f: f.resweep_ms_per_agency, "{:.1f}"),
        ("refreshed", lambda f: f.refreshed, "{:.0f}"),
        ("cancelled", lambda f: f.cancelled, "{:.0f}"),
        ("dispatch s", lambda f: f.dispatch_s, "{:.1f}"),
        ("dispatch ms/agency", lambda f: f.dispatch_ms_per_agency, "{:.1f}"),
        ("msg/s", lambda f: f.rate, "{:.0f}"),
        ("bare msg/s", lambda f: f.bare_rate, "{:.0f}"),
        ("ratio", lambda f: f.rate / f.bare_rate if f.bare_rate else 0.0, "{:.2f}"),
    ]
    head = ["N", *(c[0] for c in columns), "received once"]
    rows = []
    for f in figs:
        got = f.received
        delivered = f"{got.get('unique', 0)}/{f.waiting}" + ("" if f.delivered_once else f" ! {got}")
        rows.append([str(f.agencies), *(fmt.format(get(f)) for _, get, fmt in columns), delivered])
    widths = [max(len(x) for x in col) for col in zip(head, *rows, strict=True)]
    for row in (head, *rows):
        print("  " + "  ".join(x.rjust(w) for x, w in zip(row, widths, strict=True)))
    print("  (ms/agency: the median agency; the totals also carry the first agency's one-off costs)")

    a, b = figs[0], figs[-1]
    if len(figs) > 1:
        print(f"\ngrowth {a.agencies}→{b.agencies} (agencies ×{b.agencies / a.agencies:.1f}):")
        print("  " + "; ".join(f"{name} {ratio(get(a), get(b))}" for name, get, _ in columns))

    print("\none agency's statements replayed under EXPLAIN ANALYZE: rows their scans read, and database time")
    growing = []
    for step in ("status", "gate", "re-sweep", "dispatch"):
        cells = []
        for f in figs:
            e = f.examined.get(step) or {}
            cells.append(f"N={f.agencies}: {e.get('rows_read', 0):,} rows {e.get('db_ms', 0):.1f} ms")
        print(f"  {step:<9} ({(b.examined.get(step) or {}).get('statements', 0)} statements) " + "; ".join(cells))
        ea, eb = a.examined.get(step) or {}, b.examined.get(step) or {}
        if eb.get("worst") and eb["worst"][0]:
            print(f"            largest at N={b.agencies}: {eb['worst'][0]:,} rows: {eb['worst'][1]}")
        if eb.get("seq_scans"):
            print(f"            sequential scans at N={b.agencies}: {', '.join(eb['seq_scans'])}")
        national = step == "re-sweep"  # the whole national sweep's statements: they read every agency's rows
        if not national and len(figs) > 1 and eb.get("rows_read", 0) > 2 * max(ea.get("rows_read", 0), 1):
            growing.append(f"{step} ×{eb['rows_read'] / max(ea.get('rows_read', 1), 1):.1f}")

    print("\ndispatch time by part (claims and results run in worker threads, overlapping delivery):")
    for f in figs:
        parts = ", ".join(f"{k} {v:.1f} s" for k, v in sorted(f.dispatch_parts.items()))
        print(f"  N={f.agencies}: {parts}; total {f.dispatch_s:.1f} s for {f.sent} messages")

    if len(figs) > 1:
        flat = [name for name, get, _ in columns[1:4] if get(b) < 1.5 * get(a)]
        per = {
            "sweep per agency": b.sweep_ms_per_agency / max(a.sweep_ms_per_agency, 1e-9),
            "re-sweep per agency": b.resweep_ms_per_agency / max(a.resweep_ms_per_agency, 1e-9),
            "dispatch per agency": b.dispatch_ms_per_agency / max(a.dispatch_ms_per_agency, 1e-9),
        }
        linear = [f"{k} ×{v:.2f}" for k, v in per.items() if v < 1.5]
        superlinear = [f"{k} ×{v:.2f}" for k, v in per.items() if v >= 1.5]
        print(
            f"\nreading: flat: {', '.join(flat) or 'nothing'}; linear in N (flat per agency): "
            f"{', '.join(linear) or 'nothing'}; superlinear: {', '.join(superlinear) or 'nothing'}; "
            f"one agency's reads growing with N: {', '.join(growing) or 'none'}"
        )
    for f in figs:
        for step, text in f.profiles.items():
            if text:
                print(f"\ncProfile, {step}, N={f.agencies} (cumulative):\n{text}")


def as_json(f: Figures) -> dict[str, Any]:
    return {
        "agencies": f.agencies,
        "status_process_ms": round(f.status_process_ms),
        "status_ms": round(f.status_ms, 1),
        "gate_ms": round(f.gate_ms, 1),
        "sweep_s": round(f.sweep_s, 2),
        "sweep_ms_per_agency": round(f.sweep_ms_per_agency, 1),
        "resweep_s": round(f.resweep_s, 2),
        "queued": f.queued,
        "dispatch_s": round(f.dispatch_s, 2),
        "msg_per_s": round(f.rate),
        "bare_msg_per_s": round(f.bare_rate),
        "dispatch_ratio": round(f.rate / f.bare_rate, 3) if f.bare_rate else None,
        "delivered_once": f.delivered_once,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--agencies", default="40,150,600", help="comma-separated numbers of agencies")
    parser.add_argument("--quick", action="store_true", help="40 and 150 agencies only")
    parser.add_argument("--database-url", default=None, help="PostgreSQL server (a fresh database is made per N)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--profile", action="store_true", help="run status, sweep and dispatch under cProfile")
    parser.add_argument("--no-dispatch", action="store_true", help="stop after the two sweeps")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON (after the report)")
    args = parser.parse_args()
    sizes = [40, 150] if args.quick else [int(x) for x in args.agencies.split(",") if x.strip()]
    if min(sizes) < 1:
        raise SystemExit("--agencies: every number must be at least 1")
    base = args.database_url or os.environ.get("SPBE_TEST_POSTGRES_URL") or DEFAULT_URL
    if not base.startswith(("postgres", "postgresql")):
        raise SystemExit("bench/national.py measures PostgreSQL: pass a postgresql+psycopg:// URL")
    for key in ("SPBE_FORCE_CHANNEL", "SPBE_WEBHOOK_URL", "SPBE_CYCLE", "SPBE_NOW"):
        os.environ.pop(key, None)
    figs = []
    started = time.perf_counter()
    with receiver() as receiver_url:
        print("  warm-up round on 3 agencies (imports, template compilation, TLS context: not reported)", flush=True)
        measure(base, 3, args.seed, receiver_url, False)
        for n in sizes:
            figs.append(measure(base, n, args.seed, receiver_url, args.profile, not args.no_dispatch))
    report(figs)
    if args.json:
        print(json.dumps([as_json(f) for f in figs], indent=2))
    print(f"\n(total run {time.perf_counter() - started:.0f} s)")


if __name__ == "__main__":
    main()
