"""The demo year: one of Kota Pekalongan's cycles on a simulated clock, from the day before its first phase
opens to 31 December: 2025 (PermenPANRB 59/2020, a claimed level per indicator) or 2026 (PermenPANRB 8/2026,
Pemdi: evidence item by item, then the ministry's stages when the cycle file has them).

Nothing here is a shortcut around the product: a local Prefect server records every run; the
timekeeper's own job derivation decides when phases open and gates are checked; simulated people send
their input as filled templates that are imported; reminders go out through the real dispatcher to
the file channel and a local webhook receiver; coordinators approve; the report is built and sent.
Under Pemdi the steps the CLI takes without a flow run are taken the same way, through the same services:
an evidence file stored (`spbe submit --item --evidence FILE`), an external value (`spbe external`), the
ministry export (`spbe export ministry`), an interviu outcome (`spbe review --item --stage interviu`) and
the ministry's result (`spbe history import`).
The one liberty: the demo's timekeeper ticks reminders once a working day (08:02 WIB) where
`spbe serve` ticks every few minutes, so the year takes a couple of minutes, not seven months.
"""

from __future__ import annotations

import csv
import heapq
import itertools
import os
import secrets
import shutil
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from datetime import time as dtime
from pathlib import Path
from zoneinfo import ZoneInfo

from spbe import clock
from spbe.demo import item_participants
from spbe.demo.participants import PLANNERS, Act, Cast, acts_for

CYCLES = ("pekalongan-2025", "pekalongan-2026")  # the cycle files (config/NAME.toml) the demo can run
START = "2025-06-01T00:00:00+07:00"  # the 2025 year's first moment (the day before locus opens)


@dataclass(order=True)
class Event:
    at: datetime
    seq: int
    kind: str = field(compare=False)  # open | check | remind | batch
    phase: str | None = field(default=None, compare=False)
    acts: list[Act] = field(default_factory=list, compare=False)


@dataclass
class DemoResult:
    seconds: float
    server_seconds: float
    flow_runs: int
    flow_seconds: float
    by_kind: dict[str, tuple[int, float]]
    summary: dict
    ui_url: str | None
    report_dir: Path | None
    messages: int
    duplicates: int


class Year:
    """Walks the simulated clock through the queue of events, one real flow run per action."""

    def __init__(
        self,
        *,
        seed: int,
        data_dir: Path,
        evidence_base: str,
        say: Callable[[str], None],
        progress: Callable[[dict], None],
        reminder_days: str = "working",
        only: frozenset[int] | None = None,
    ) -> None:
        """`reminder_days`: "working" ticks reminders every working day, as the demo does; "due" only on the days a
        reminder rule falls due (H-7 ... H+n of each deadline, and each opening). `only`: the indicators whose
        owners answer (None: all). Both make a smaller year for a test."""
        from sqlmodel import Session

        from spbe.calendar import WorkCalendar
        from spbe.services.cycles import current_cycle, cycle_config_for
        from spbe.store.db import get_engine

        self.engine = get_engine()
        with Session(self.engine) as session:
            self.cycle = current_cycle(session)
        config = cycle_config_for(self.cycle.config_path)
        self.calendar: WorkCalendar = config.calendar
        self.tz = ZoneInfo(self.cycle.timezone)
        self.start, self.end = self.span()
        self.clock = clock.SimulatedClock(self.start)
        self.by_items = self.snapshot().by_items
        self.planners = item_participants.PLANNERS if self.by_items else PLANNERS
        self.exported: object | None = None  # the ministry export's result, once written
        self.cast = Cast(
            seed=seed, evidence_base=f"{evidence_base}/evidence", tz=self.tz, calendar=self.calendar, only=only
        )
        self.data_dir = data_dir
        self.say = say
        self.progress = progress
        self.queue: list[Event] = []
        self.seq = itertools.count()
        self.scheduled: set[str] = set()
        self.refusals: set[str] = set()
        self.reminder_days = reminder_days
        self.checks: dict[str, tuple] = {}  # phase → what its last gate check said (state, done, total)
        self.timings: dict[str, list[float]] = defaultdict(list)
        # Reminder ticks are summed per week and said in one line when the week is over (one line a working
        # day buried the twenty events that matter): the week's key, its days, what was queued, what was sent.
        self.reminder_week: tuple[str, list[datetime], Counter, int] | None = None
        self.files = data_dir / "inbox"
        self.files.mkdir(parents=True, exist_ok=True)

    def span(self) -> tuple[datetime, datetime]:
        """From midnight of the day before the first phase opens to 31 December, 18.00 local time."""
        first = min(p.opens_at for p in self.phases()).astimezone(self.tz).date()
        start = datetime.combine(first - timedelta(days=1), dtime(0, 0), self.tz)
        return start, datetime(self.cycle.year, 12, 31, 18, 0, tzinfo=self.tz)

    # --- the queue ----------------------------------------------------------------------------------
    def push(self, at: datetime, kind: str, phase: str | None = None, acts: list[Act] | None = None) -> None:
        heapq.heappush(self.queue, Event(at, next(self.seq), kind, phase, acts or []))

    def local(self, day: date, hour: int, minute: int = 0) -> datetime:
        return datetime.combine(day, dtime(hour, minute), self.tz)

    def schedule_reminder_ticks(self) -> None:
        days = self.calendar.working_days(self.start.date(), self.end.date())
        if self.reminder_days == "due":
            days = sorted(set(days) & self.due_days())
        for day in days:
            self.push(self.local(day, 8, 2), "remind")

    def due_days(self) -> set[date]:
        from spbe.services.cycles import rules_for

        rules, _ = rules_for(self.cycle)
        offsets = {*rules.offsets, *([rules.escalate_from] if rules.escalate_from else [])}
        out: set[date] = set()
        for p in self.phases():
            deadline = p.deadline_at.astimezone(self.tz).date()
            out |= {self.calendar.add_working_days(deadline, n) for n in offsets}
            out.add(self.calendar.add_working_days(p.opens_at.astimezone(self.tz).date(), 0))
        return out

    def sync_timekeeper(self) -> None:
        """The timekeeper's own derivation decides when phases open and gates are checked."""
        from spbe.services.cycles import rules_for
        from spbe.timekeeper import PhaseTimes, derive_jobs

        phases = [
            PhaseTimes(p.name, p.state, p.opens_at, p.deadline_at, p.deadline_version, p.overlap)
            for p in self.phases()
        ]
        rules, _ = rules_for(self.cycle)
        for job in derive_jobs(phases, rules=rules, now=self.clock(), zone=self.cycle.timezone):
            if job.kind not in ("open", "check"):
                continue  # reminder ticks: once a working day, see schedule_reminder_ticks
            at = job.run_at or self.next_daily(job.cron, job.start)  # a re-check past the deadline repeats daily
            key = job.id if job.run_at else f"{job.id}:{at.date()}"
            if key not in self.scheduled:
                self.scheduled.add(key)
                self.push(at, job.kind, job.phase)

    def next_daily(self, cron: dict[str, str], start: datetime | None) -> datetime:
        """The next moment of a daily job (the cron's hour and minute) on a working day after now and its start."""
        day = max(self.clock(), start or self.clock()).astimezone(self.tz).date()
        while True:
            at = self.local(day, int(cron["hour"]), int(cron["minute"]))
            if at > self.clock() and (start is None or at >= start) and self.calendar.is_working_day(day):
                return at
            day += timedelta(days=1)

    def phases(self) -> list:
        """The cycle's phase rows, as they stand: what the timekeeper's derivation and a reminder tick need,
        without a snapshot's every answer and review (60 ms a tick)."""
        from sqlmodel import Session, select

        from spbe.store import models as m

        with Session(self.engine) as session:
            return list(session.exec(select(m.Phase).where(m.Phase.cycle_id == self.cycle.id).order_by(m.Phase.seq)))

    def snapshot(self):
        from sqlmodel import Session

        from spbe.services.snapshot import take_snapshot

        with Session(self.engine) as session:
            return take_snapshot(session, self.cycle)

    # --- running ------------------------------------------------------------------------------------
    def timed(self, kind: str, fn: Callable[[], dict]) -> dict | None:
        from spbe.errors import SpbeError

        started = time.perf_counter()
        try:
            return fn()
        except SpbeError as exc:
            lines = str(exc).splitlines()
            if lines[0] not in self.refusals:  # said once; the timekeeper simply tries again later
                self.refusals.add(lines[0])
                more = "".join(f"\n    {line.strip()}" for line in lines[1:4])
                self.say(f"{self.stamp()}  {kind} ditolak: {lines[0]}{more}")
            return None
        finally:
            self.timings[kind].append(time.perf_counter() - started)

    def run(self) -> None:
        self.schedule_reminder_ticks()
        self.sync_timekeeper()
        with clock.use_clock(self.clock):
            while self.queue:
                event = heapq.heappop(self.queue)
                if event.at > self.end:
                    break
                self.clock.advance_to(max(event.at, self.clock()))
                if event.kind != "remind":
                    self.say_reminder_week(before=event.at)
                getattr(self, f"on_{event.kind}")(event)
                if event.kind != "remind":  # a tick moves no bar: no phase state, no answer changes
                    self.progress(self.status())
        self.say_reminder_week()

    def status(self) -> dict:
        from spbe.services.status import cycle_status

        return cycle_status()

    def stamp(self) -> str:
        from spbe.messages import tanggal

        now = self.clock().astimezone(self.tz)
        return f"{tanggal(now, self.tz)} {now:%H.%M}"

    def on_open(self, event: Event) -> None:
        from spbe.timekeeper import default_action

        result = self.timed("open", lambda: default_action("open", event.phase))
        if result is None:  # refused: the previous phase is not closed; the open job returns when it is
            self.scheduled.discard(f"open:{event.phase}")
            return
        if result.get("changed"):
            self.say(f"{self.stamp()}  tahap {event.phase} dibuka: {result['notices_queued']} pemberitahuan")
            if event.phase == "final-report":
                self.say(f"{self.stamp()}  laporan akhir disusun dan diantrekan untuk pimpinan")
            snap = self.snapshot()
            for act_group in self.batches(acts_for(snap, snap.phases[event.phase], self.cast, self.planners)):
                self.push(act_group[0].at, "batch", event.phase, act_group)
        self.sync_timekeeper()

    def on_check(self, event: Event) -> None:
        from spbe.timekeeper import default_action

        result = self.timed("check", lambda: default_action("check", event.phase))
        if result is None:
            return
        gate = result["gate"]
        # a re-check that changed nothing and found what the last one said is not an event (one line a day
        # for a phase held open, or a phase already closed, buried the ones that matter)
        said = (result.get("after"), gate["done"], gate["total"])
        if result.get("changed") or (self.checks.get(event.phase) != said and said[0] != "closed"):
            self.say(f"{self.stamp()}  gerbang {event.phase}: {result['message']} ({gate['done']}/{gate['total']})")
        self.checks[event.phase] = said
        self.sync_timekeeper()  # unmet after the deadline: the timekeeper's daily re-check job comes next

    def on_remind(self, event: Event) -> None:
        from spbe.timekeeper import run_remind

        active = [p for p in self.phases() if p.state in ("open", "awaiting_approval")]
        if not active:
            return
        result = self.timed("remind", lambda: run_remind(use_prefect=True))
        if not result:
            return
        queued = Counter(q.get("kind", "reminder") for q in result["sweep"].get("queued", []))
        sent = len((result.get("dispatch") or {}).get("sent", []))
        day = self.clock().astimezone(self.tz)
        week = "{}-W{:02d}".format(*day.date().isocalendar()[:2])
        if self.reminder_week is not None and self.reminder_week[0] != week:
            self.say_reminder_week()
        if self.reminder_week is None:
            self.reminder_week = (week, [], Counter(), 0)
        key, days, total, sent_before = self.reminder_week
        days.append(day)
        total.update(queued)
        self.reminder_week = (key, days, total, sent_before + sent)

    def say_reminder_week(self, before: datetime | None = None) -> None:
        """The week's reminder ticks in one line (before another event of a later week, or at the end)."""
        if self.reminder_week is None:
            return
        key, days, queued, sent = self.reminder_week
        if before is not None and "{}-W{:02d}".format(*before.astimezone(self.tz).date().isocalendar()[:2]) == key:
            return
        self.reminder_week = None
        if not queued and not sent:
            return
        what = ", ".join(f"{n} {k}" for k, n in sorted(queued.items())) or "tidak ada pengingat baru"
        span = f"{days[0]:%d/%m}–{days[-1]:%d/%m/%Y}" if len(days) > 1 else f"{days[0]:%d/%m/%Y}"
        self.say(f"minggu {span}  pengingat ({len(days)} hari kerja): {what} diantrekan; {sent} pesan terkirim")

    def on_batch(self, event: Event) -> None:
        kinds = {a.kind for a in event.acts}
        if kinds <= {"submit", "review"}:
            self.import_batch(event.acts)
        if kinds & {"attend", "waive"}:
            self.attend(event.acts)
        if kinds == {"interview"}:
            self.record_interviews(event.acts)
        for act in event.acts:
            if act.kind in ("approve_assignment", "close_phase", "external", "export", "result"):
                getattr(self, act.kind)(act)

    def batches(self, acts: list[Act]) -> list[list[Act]]:
        """One file per person per day: how input really arrives."""
        groups: dict[tuple, list[Act]] = defaultdict(list)
        for act in acts:
            local_day = act.at.astimezone(self.tz).date()
            per_day = act.kind in ("submit", "review", "interview")
            groups[(act.actor, act.kind, local_day) if per_day else (act.actor, act.kind, act.at)].append(act)
        # the coordinator records the briefing's attendance sheet in one go
        sheets: dict[date, list[Act]] = defaultdict(list)
        for key in [k for k in groups if k[1] == "attend"]:
            for act in groups.pop(key):
                sheets[act.at.astimezone(self.tz).date()].append(act)
        for day, acts_of_day in sheets.items():
            if len(acts_of_day) > 3:
                groups[("koordinator", "attend", day)] = [
                    Act(a.at, a.kind, "koordinator", opd=a.opd, phase=a.phase) for a in acts_of_day
                ]
            else:
                for a in acts_of_day:
                    groups[(a.actor, "attend", a.at)].append(a)
        return sorted(groups.values(), key=lambda g: g[0].at)

    # --- people's input -----------------------------------------------------------------------------
    def import_batch(self, acts: list[Act]) -> None:
        from flows.intake import import_input
        from flows.registry import run_flow, run_tags
        from spbe.intake.templates import issue_template
        from spbe.store.db import session_scope

        first = acts[0]
        kind = "opd" if first.kind == "submit" else "assessor"
        subject = first.opd if kind == "opd" else first.actor
        stamp = self.clock().astimezone(self.tz).strftime("%Y%m%d-%H%M")
        path = self.files / f"{stamp}-{subject}-{kind}.csv"
        with session_scope(self.engine) as session:
            issue_template(session, cycle=self.cycle, kind=kind, subject=subject, out=path, actor="koordinator")
        with path.open(encoding="utf-8-sig", newline="") as fh:
            delimiter = ";" if ";" in fh.readline() else ","
            fh.seek(0)
            rows = list(csv.DictReader(fh, delimiter=delimiter))
        rows = self.fill_items(kind, rows, acts) if self.by_items else self.fill_levels(kind, rows, acts)
        with path.open("w", encoding="utf-8", newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=list(rows[0]), delimiter=delimiter)
            writer.writeheader()
            writer.writerows(rows)
        result = self.timed(
            "import",
            lambda: run_flow(import_input, tags=run_tags(first.phase or "intake"), path=str(path), actor=first.actor),
        )
        if result and result.get("late"):
            self.say(f"{self.stamp()}  {subject}: {len(result['late'])} isian terlambat diterima dan ditandai")

    def fill_levels(self, kind: str, rows: list[dict], acts: list[Act]) -> list[dict]:
        """59/2020: the template's indicator rows, the acted-on ones filled in (the others left as issued)."""
        by_number = {a.indicator: a for a in acts}
        for row in rows:
            act = by_number.get(int(row["indicator"]))
            if act is None:
                continue
            if kind == "opd":
                row.update(
                    level=str(act.level),
                    evidence=" ".join(act.evidence),
                    explanation=f"Kondisi {self.cycle.year}: lihat data dukung",
                )
            else:
                row.update(level=str(act.level or ""), verdict=act.verdict or "", note=act.note or "")
        return rows

    def fill_items(self, kind: str, rows: list[dict], acts: list[Act]) -> list[dict]:
        """Pemdi: only the rows of the items acted on (an assessor's row needs a verdict); an OPD's files are
        stored first and named by their `file:sha256:` reference, as `spbe submit --item --evidence FILE` does."""
        by_code = {a.item: a for a in acts}
        out = []
        for row in rows:
            act = by_code.get(row["code"])
            if act is None:
                continue
            if kind == "opd":
                if act.level is not None:
                    row["aim"] = str(act.level)
                row.update(evidence=" ".join(self.upload(act, e) for e in act.evidence), note=act.note or "")
            else:
                row.update(verdict=act.verdict or "", kind=act.reason or "", note=act.note or "")
            out.append(row)
        return out

    def upload(self, act: Act, entry: str) -> str:
        """A simulated OPD's file into the evidence store (its reference back); a link stays a link."""
        if not entry.startswith("upload:"):
            return entry
        from spbe.services.evidence_store import add_evidence_file, evidence_root
        from spbe.settings import get_settings
        from spbe.store.db import session_scope

        name = entry.removeprefix("upload:")
        data = f"%PDF-1.4\n% {self.cycle.city} {self.cycle.year}: bukti {name}\n%%EOF\n".encode()
        root = evidence_root(get_settings().data_dir)

        def store() -> dict:
            with session_scope(self.engine) as session:
                row = add_evidence_file(
                    session, cycle=self.cycle, data=data, name=name, opd=act.opd, actor=act.actor, root=root
                )
                return {"ref": f"file:sha256:{row.sha256}"}

        stored = self.timed("upload", store)
        return stored["ref"] if stored else entry

    def service(self, kind: str, act: Act, fn: Callable) -> dict | None:
        """A step the CLI takes through a service rather than a flow run: in one transaction, as the actor."""
        from spbe.store.db import session_scope

        def call() -> dict:
            with session_scope(self.engine) as session:
                from spbe.services.cycles import current_cycle

                return {"result": fn(session, current_cycle(session))}

        done = self.timed(kind, call)
        return done["result"] if done else None

    def external(self, act: Act) -> None:
        from spbe.services.item_setup import record_external

        value, published = act.evidence
        result = self.service(
            "external",
            act,
            lambda session, cycle: record_external(
                session, cycle=cycle, actor=act.actor, indicator=act.indicator, source_value=value,
                source_date=published, note=act.note,
            ),
        )
        if result is not None:
            self.say(f"{self.stamp()}  nilai eksternal I{act.indicator}: {result.source_index} {value} dicatat")

    def export(self, act: Act) -> None:
        from spbe.services.ministry_export import export_ministry

        out = self.data_dir / "unggah-kementerian"
        result = self.service(
            "export",
            act,
            lambda session, cycle: export_ministry(
                session, cycle=cycle, actor=act.actor, out=out, data_dir=self.data_dir, now=self.clock()
            ),
        )
        if result is not None:
            self.exported = result
            self.say(
                f"{self.stamp()}  ekspor untuk aplikasi kementerian: {result.items} butir diterima "
                f"({result.files} berkas, {result.links} tautan) di {out.name}/"
            )

    def record_interviews(self, acts: list[Act]) -> None:
        from spbe.services.items import review_item

        def record(session, cycle) -> int:
            for act in acts:
                review_item(
                    session, cycle=cycle, actor=act.actor, code=act.item or "", verdict=act.verdict or "",
                    kind=act.reason, note=act.note, stage="interviu",
                )
            return len(acts)

        done = self.service("interview", acts[0], record)
        if done:
            disputed = sum(1 for a in acts if a.verdict == "revisi")
            self.say(f"{self.stamp()}  hasil interviu {done} butir dicatat ({disputed} disanggah)")

    def result(self, act: Act) -> None:
        """The ministry's result (simulated: the index the accepted items give) recorded as `spbe history import`."""
        import json

        from spbe.services.history import import_results

        index = item_score(self.snapshot(), self.cycle).index
        path = self.files / f"hasil-{self.cycle.year}.json"
        path.write_text(
            json.dumps({"tahun": self.cycle.year, "kerangka": self.cycle.framework_id, "instansi": self.cycle.city,
                        "indeks": str(index)}),
            encoding="utf-8",
        )
        done = self.service(
            "result", act, lambda session, cycle: import_results(session, cycle=cycle, actor=act.actor, path=path)
        )
        if done is not None:
            self.say(f"{self.stamp()}  hasil resmi kementerian (simulasi) dicatat: indeks {index}")

    def attend(self, acts: list[Act]) -> None:
        """The briefing's attendance sheet goes in as one run; later acknowledgements and waivers one by one."""
        from flows.registry import run_flow, run_tags
        from flows.socialization import record_attendance

        first = acts[0]
        params = {"opds": [a.opd for a in acts], "actor": first.actor}
        if first.kind == "waive":
            params.update(waive=True, reason=first.note)
        result = self.timed("attend", lambda: run_flow(record_attendance, tags=run_tags("socialization"), **params))
        if result and len(acts) > 1:
            self.say(f"{self.stamp()}  daftar hadir sosialisasi: {len(result['recorded'])} perangkat daerah")

    def approve_assignment(self, act: Act) -> None:
        from flows.locus import assign_assessors
        from flows.registry import run_flow, run_tags

        result = self.timed(
            "approve", lambda: run_flow(assign_assessors, tags=run_tags("locus"), actor=act.actor, approve=True)
        )
        if result:
            self.say(f"{self.stamp()}  SK tim asesor: {result['message']}")

    def close_phase(self, act: Act) -> None:
        from flows.registry import run_action

        phase = self.snapshot().phases[act.phase]
        if phase.state != "awaiting_approval":
            # not ready yet (e.g. the report still on its way): ask again the next working day
            day = self.calendar.add_working_days(self.clock().astimezone(self.tz).date(), 1)
            self.push(self.local(day, 9, 30), "batch", act.phase, [act])
            return
        result = self.timed("close", lambda: run_action("close", act.phase, actor=act.actor))
        if result:
            self.say(f"{self.stamp()}  {result['message']} (persetujuan koordinator)")
        self.sync_timekeeper()


# --- setting up and finishing ------------------------------------------------------------------------


EVIDENCE_HOST = "bukti.pekalongankota.test"  # answered by [evidence] hosts, never by DNS (".test" is reserved)


def prepare(data_dir: Path, receiver_url: str, cycle: str = CYCLES[0]) -> Path:
    """A fresh store for a repeatable year of `cycle` (config/CYCLE.toml); the Prefect home is kept (its
    database migrates once)."""
    from spbe.errors import InputError
    from spbe.paths import config_dir

    if cycle not in CYCLES:
        raise InputError(f"--cycle {cycle}: siklus demo yang tersedia: {', '.join(CYCLES)}")
    leftovers = ("spbe.db", "spbe.db-wal", "spbe.db-shm", "outbox.log", "webhook.jsonl", "inbox", "reports")
    for name in (*leftovers, "evidence", "unggah-kementerian"):
        target = data_dir / name
        if target.is_dir():
            shutil.rmtree(target)
        else:
            target.unlink(missing_ok=True)
    data_dir.mkdir(parents=True, exist_ok=True)
    source = config_dir() / f"{cycle}.toml"
    text = source.read_text(encoding="utf-8")
    roster = (source.parent / "roster/pekalongan").as_posix()
    text = text.replace('roster = "roster/pekalongan"', f'roster = "{roster}"')
    text = text.replace("allow_networks = []", 'allow_networks = ["127.0.0.1/32"]  # the demo\'s evidence server')
    # Evidence links name a document server as OPDs would; the checker answers that name from its own
    # table and looks nothing up: the demo sends no packet outside 127.0.0.1.
    text = text.replace("hosts = {}", f'hosts = {{ "{EVIDENCE_HOST}" = "127.0.0.1" }}').replace(
        "dns = true", "dns = false"
    )
    cycle_file = data_dir / f"{cycle}-demo.toml"
    cycle_file.write_text(text, encoding="utf-8")
    from spbe.settings import get_settings

    secret = get_settings().template_secret or secrets.token_hex(16)
    # the demo's own store and identity, for this process and anything it starts (read back through settings)
    os.environ.update(
        {
            "SPBE_DATA_DIR": str(data_dir),
            "SPBE_DATABASE_URL": f"sqlite:///{data_dir / 'spbe.db'}",
            "SPBE_CYCLE_CONFIG": str(cycle_file),
            "SPBE_ACTOR": "koordinator",
            "SPBE_WEBHOOK_URL": f"{receiver_url}/spbe",
            "SPBE_TEMPLATE_SECRET": secret,
        }
    )
    os.environ.pop("SPBE_NOW", None)
    from spbe.store.db import dispose_engines

    get_settings.cache_clear()
    dispose_engines()
    return cycle_file


def init_store(cycle_file: Path) -> None:
    from spbe.services.cycles import load_config_files, load_cycle
    from spbe.store.db import get_engine, session_scope, upgrade

    config, roster = load_config_files(cycle_file)
    engine = get_engine()
    upgrade(engine)
    with session_scope(engine) as session:
        load_cycle(session, config=config, roster=roster, actor="koordinator")


def item_score(snap, cycle):
    """The Pemdi index the store's item statuses and external values give (spbe score's reading)."""
    from spbe.items.index import score_items
    from spbe.services.cycles import framework_of
    from spbe.services.items import external_readings, item_statuses

    return score_items(framework_of(cycle), states=item_statuses(snap), readings=external_readings(snap))


def final_summary(year: Year) -> dict:
    """What the year came to: the index, the target and the planner's answer, the report's folder."""
    summary = item_summary(year) if year.by_items else level_summary(year)
    phases = {p.name: p.state for p in year.snapshot().phases.values()}
    return summary | {"report_dir": latest_report_dir(year), "phases": phases}


def latest_report_dir(year: Year) -> str | None:
    from sqlmodel import Session, col, select

    from spbe.store import models as m

    with Session(year.engine) as session:
        report = session.exec(
            select(m.Report).where(m.Report.cycle_id == year.cycle.id).order_by(col(m.Report.id).desc())
        ).first()
    return report.out_dir if report else None


def level_summary(year: Year) -> dict:
    from decimal import Decimal

    from spbe.planner import default_target, plan
    from spbe.report.model import shortfall, target_note_id
    from spbe.services.cycles import framework_of
    from spbe.services.levels import current_levels

    snap = year.snapshot()
    framework = framework_of(year.cycle)
    levels = current_levels(snap, "validated")
    target_index = Decimal(year.cycle.target_index)
    target, warning = default_target(framework, target_index, year.cycle.target_predicate)
    note = target_note_id(framework, target_index, year.cycle.target_predicate, target) if warning else None
    result = plan(framework, levels.levels, target)
    owners = {i.number: i.owner_opd for i in snap.indicators}
    before = result.index_before
    return {
        "index": str(before),
        "predicate": result.predicate_before,
        "bound_note": result.note_before,
        "target": str(target),
        "target_note": note,
        "gap": str(shortfall(target, result.exact_before)),
        "plan": result,
        "owners": owners,
        "levels_note": levels.note(),
    }


def item_summary(year: Year) -> dict:
    """Pemdi: the index from the accepted items, the items per status, the item to-do list per OPD."""
    from decimal import Decimal

    from spbe.report.item_planning import item_plan
    from spbe.report.model import shortfall
    from spbe.services.cycles import framework_of
    from spbe.services.status import cycle_scale_caveat

    snap = year.snapshot()
    framework = framework_of(year.cycle)
    score = item_score(snap, year.cycle)
    plan, todos, warning = item_plan(
        framework, snap, target_index=Decimal(year.cycle.target_index), target_predicate=year.cycle.target_predicate
    )
    statuses = Counter(i.shown_status if i.auto_rejected else i.entered.status.value for i in snap.items)
    caveat = cycle_scale_caveat(year.cycle, framework)
    return {
        "index": str(score.index),
        "predicate": score.predicate,
        "target": str(plan.target),
        "target_note": warning,
        "gap": str(shortfall(plan.target, plan.index_before)),
        "rule": plan.rule,
        "waiting_externals": score.waiting_externals,
        "statuses": dict(statuses),
        "plan": plan,
        "todos": todos,
        "scale_note": caveat["note"] if caveat else None,
        "export": year.exported,
    }


def play_year(
    *,
    seed: int,
    data_dir: Path,
    receiver,
    cycle_file: Path,
    say: Callable[[str], None],
    progress: Callable[[dict], None],
    reminder_days: str = "working",
    only: frozenset[int] | None = None,
) -> tuple[Year, dict]:
    """Load the prepared cycle and walk its year on the Prefect server already configured; the summary after."""
    init_store(cycle_file)
    year = Year(
        seed=seed,
        data_dir=data_dir,
        evidence_base=receiver.base_url.replace("127.0.0.1", EVIDENCE_HOST, 1),
        say=say,
        progress=progress,
        reminder_days=reminder_days,
        only=only,
    )
    year.run()
    return year, final_summary(year)


def run_demo(*, seed: int, data_dir: Path, interactive: bool | None = None, cycle: str = CYCLES[0]) -> DemoResult:
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn

    from spbe.demo.receiver import DemoReceiver
    from spbe.domain.phases import state_text
    from spbe.prefect_server import healthy, start_local_server

    console = Console() if sys.stdout.isatty() else Console(width=120)
    started = time.perf_counter()
    data_dir.mkdir(parents=True, exist_ok=True)
    receiver = DemoReceiver(data_dir / "webhook.jsonl").start()
    try:
        cycle_file = prepare(data_dir, receiver.base_url, cycle)
    except BaseException:
        receiver.stop()
        raise
    server = None
    server_started = time.perf_counter()
    from spbe.prefect_env import use_server
    from spbe.settings import get_settings

    api = get_settings().prefect_api_url
    if api and healthy(api):
        console.print(f"Server Prefect: {api} (sudah berjalan)")
    else:
        console.print("Menyalakan server Prefect lokal (SQLite)…")
        server = start_local_server(home=data_dir / "prefect")
        use_server(server.api_url, server.ui_url)
        api = server.api_url
    server_seconds = time.perf_counter() - server_started
    ui = api.removesuffix("/api")
    console.print(f"Prefect UI: {ui}  (server siap dalam {_num(server_seconds, 1)} detik)")

    progress = Progress(
        TextColumn("{task.description:<18}"),
        BarColumn(bar_width=30),
        TextColumn("{task.fields[state]:<18} {task.completed:>3.0f}/{task.total:<3.0f}"),
        console=console,
        transient=False,
        auto_refresh=False,
    )
    bars: dict[str, int] = {}

    def update(status: dict) -> None:
        for phase in status["phases"]:  # every phase of the cycle: the ministry's stages too, when it has them
            name = phase["name"]
            if name not in bars:
                bars[name] = progress.add_task(name, total=1, completed=0, state=state_text("pending"))
            prog = status["progress"].get(name)
            fields = {"state": state_text(phase["state"])}  # "ditutup", not the stored value "closed"
            if prog:
                fields.update(total=max(prog["total"], 1), completed=prog["done"])
            elif phase["state"] == "closed":
                fields.update(completed=progress.tasks[bars[name]].total)
            progress.update(bars[name], **fields)
        progress.refresh()

    try:
        with progress:
            year, summary = play_year(
                seed=seed,
                data_dir=data_dir,
                receiver=receiver,
                cycle_file=cycle_file,
                say=lambda text: progress.console.print(text),
                progress=update,
            )
    except BaseException:
        if server is not None:  # a year that failed leaves no Prefect server behind
            server.stop()
        raise
    finally:
        receiver.stop()
    flow_seconds = sum(sum(v) for v in year.timings.values())
    by_kind = {k: (len(v), sum(v)) for k, v in year.timings.items()}
    keys = Counter(m.get("idempotency_key") for m in receiver.received)
    result = DemoResult(
        seconds=time.perf_counter() - started,
        server_seconds=server_seconds,
        flow_runs=sum(len(v) for v in year.timings.values()),
        flow_seconds=flow_seconds,
        by_kind=by_kind,
        summary=summary,
        ui_url=ui,
        report_dir=Path(summary["report_dir"]) if summary["report_dir"] else None,
        messages=len(receiver.received),
        duplicates=sum(n - 1 for n in keys.values() if n > 1),
    )
    print_summary(console, result, year)
    if interactive is None:
        interactive = sys.stdin.isatty()
    _flush_logs()
    if server is not None:
        if interactive:
            console.print(f"\nPrefect UI tetap menyala di {ui} — tekan Ctrl-C untuk berhenti")
            try:
                while True:
                    time.sleep(3600)
            except KeyboardInterrupt:
                pass
        server.stop()
        if not interactive:
            console.print(
                "Server Prefect demo dihentikan: tautan UI di atas tidak aktif lagi (`spbe demo --keep-ui` "
                "membiarkannya menyala)"
            )
    return result


def _flush_logs() -> None:
    """Send the runs' last logs before the server goes away (else the exit waits on a dead server)."""
    import logging

    from prefect.logging.handlers import APILogHandler

    for handler in logging.getLogger("prefect.flow_runs").handlers + logging.getLogger("prefect.task_runs").handlers:
        if isinstance(handler, APILogHandler):
            handler.flush()
            return


def print_summary(console, result: DemoResult, year: Year) -> None:
    s = result.summary
    say = console.print
    cycle = year.cycle
    if year.by_items:
        say(f"\n[bold]Hasil Evaluasi Pemdi {cycle.year} {cycle.city} (simulasi)[/bold]")
        print_item_summary(say, s)
    else:
        say(f"\n[bold]Hasil Evaluasi SPBE {cycle.year} {cycle.city} (simulasi)[/bold]")
        print_level_summary(say, s)
    say(f"  Laporan     : {result.report_dir}")
    say(f"  Prefect UI  : {result.ui_url}  (hanya selama demo berjalan, kecuali --keep-ui)")
    say(f"  Pesan keluar: {result.messages} diterima webhook lokal, {result.duplicates} kunci ganda")
    kinds = ", ".join(f"{k} {n}× {t:.1f}s" for k, (n, t) in sorted(result.by_kind.items(), key=lambda kv: -kv[1][1]))
    say(
        f"\nWaktu: {result.seconds:.0f} s total; server {result.server_seconds:.1f} s; "
        f"{result.flow_runs} aksi dalam {result.flow_seconds:.0f} s ({kinds})"
    )


def _num(value, places: int = 2) -> str:
    """'3,65': a figure of the summary (kept as text for JSON) in the reader's format."""
    from decimal import Decimal

    from spbe.formats import number_text

    return number_text(Decimal(value) if isinstance(value, str) else value, places)


def say_target(say: Callable[[str], None], s: dict) -> bool:
    """The target and the gap to it; True when it is met already (said so)."""
    say(f"  Target      : {_num(s['target'])}  selisih: {_num(s['gap'])}")
    if s["target_note"]:
        say(f"  Catatan     : {s['target_note']}")
    if s["plan"].already_met:
        say("  Target sudah tercapai.")
        return True
    return False


def print_level_summary(say: Callable[[str], None], s: dict) -> None:
    say(f"  Indeks SPBE : {_num(s['index'])}  Predikat: {s['predicate']}")
    if s.get("bound_note"):
        say(f"  Catatan     : {s['bound_note']}")
    p = s["plan"]
    if say_target(say, s):
        return
    if not p.reachable:
        say(f"  Target tidak terjangkau (terbaik: {_num(p.best_reachable)}).")
    else:
        say(f"  Kenaikan termurah menuju {_num(p.target)} ({len(p.raises)} indikator, {p.total_cost} langkah):")
        for r in sorted(p.raises, key=lambda r: -r.gain)[:5]:
            say(
                f"    - indikator {r.number} ({s['owners'].get(r.number) or '-'}): {r.from_level} → "
                f"{r.to_level}, +{_num(r.gain, 4)}  {r.name[:60]}"
            )


def print_item_summary(say: Callable[[str], None], s: dict) -> None:
    from spbe.number_text import decimal_text

    say(f"  Indeks Pemdi: {_num(s['index'])}  Predikat: {s['predicate']}")
    rule = s["rule"]
    say(f"  Aturan nilai: {rule.name} (sumber: {rule.source}; keyakinan: {rule.confidence})")
    if s["waiting_externals"]:
        waiting = ", ".join(f"I{n}" for n in s["waiting_externals"])
        say(f"  Menunggu nilai eksternal: {waiting} (dinilai 1)")
    if s["scale_note"]:
        say(f"  Catatan skala: {s['scale_note']}")
    statuses = ", ".join(f"{n} {k}" for k, n in sorted(s["statuses"].items(), key=lambda kv: -kv[1]))
    say(f"  Butir       : {statuses}")
    p = s["plan"]
    if not say_target(say, s):
        if not p.reachable:
            say(f"  Target tidak terjangkau: dengan semua butir diterima {decimal_text(p.best_reachable)}.")
        say(f"  Butir termurah menuju target ({len(p.items)} butir), per OPD:")
        for todo in s["todos"][:6]:
            codes = ", ".join(t.code for t, _ in todo.rows[:6]) + (" …" if len(todo.rows) > 6 else "")
            say(f"    - {todo.opd} ({len(todo.rows)} butir): {codes}")
        if len(s["todos"]) > 6:
            say(f"    dan {len(s['todos']) - 6} OPD lainnya (`spbe plan`)")
    if s["export"] is not None:
        e = s["export"]
        say(f"  Ekspor kementerian: {e.out} ({e.items} butir, manifest.csv)")


