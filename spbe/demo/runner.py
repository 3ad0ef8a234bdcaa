"""The demo year: Kota Pekalongan's 2025 cycle from 1 June to 31 December on a simulated clock.

Nothing here is a shortcut around the product: a local Prefect server records every run; the
timekeeper's own job derivation decides when phases open and gates are checked; simulated people send
their input as filled templates that are imported; reminders go out through the real dispatcher to
the file channel and a local webhook receiver; coordinators approve; the report is built and sent.
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
from spbe.demo.participants import Act, Cast, acts_for

START = "2025-06-01T00:00:00+07:00"
END = "2025-12-31T18:00:00+07:00"


@dataclass(order=True)
class Event:
    at: datetime
    seq: int
    kind: str = field(compare=False)  # open | check | remind | batch | approve | close
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
    ) -> None:
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
        self.clock = clock.SimulatedClock(datetime.fromisoformat(START))
        self.cast = Cast(seed=seed, evidence_base=f"{evidence_base}/evidence", tz=self.tz, calendar=self.calendar)
        self.data_dir = data_dir
        self.say = say
        self.progress = progress
        self.queue: list[Event] = []
        self.seq = itertools.count()
        self.scheduled: set[str] = set()
        self.refusals: set[str] = set()
        self.timings: dict[str, list[float]] = defaultdict(list)
        # Reminder ticks are summed per week and said in one line when the week is over (one line a working
        # day buried the twenty events that matter): the week's key, its days, what was queued, what was sent.
        self.reminder_week: tuple[str, list[datetime], Counter, int] | None = None
        self.files = data_dir / "inbox"
        self.files.mkdir(parents=True, exist_ok=True)

    # --- the queue ----------------------------------------------------------------------------------
    def push(self, at: datetime, kind: str, phase: str | None = None, acts: list[Act] | None = None) -> None:
        heapq.heappush(self.queue, Event(at, next(self.seq), kind, phase, acts or []))

    def local(self, day: date, hour: int, minute: int = 0) -> datetime:
        return datetime.combine(day, dtime(hour, minute), self.tz)

    def schedule_reminder_ticks(self) -> None:
        start = datetime.fromisoformat(START).date()
        end = datetime.fromisoformat(END).date()
        for day in self.calendar.working_days(start, end):
            self.push(self.local(day, 8, 2), "remind")

    def sync_timekeeper(self) -> None:
        """The timekeeper's own derivation decides when phases open and gates are checked."""
        from spbe.services.cycles import rules_for
        from spbe.timekeeper import PhaseTimes, derive_jobs

        phases = [
            PhaseTimes(p.name, p.state, p.opens_at, p.deadline_at, p.deadline_version, p.overlap)
            for p in self.snapshot().phases.values()
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
            first = str(exc).splitlines()[0]
            if first not in self.refusals:  # said once; the timekeeper simply tries again later
                self.refusals.add(first)
                self.say(f"{self.stamp()}  {kind} ditolak / refused: {first}")
            return None
        finally:
            self.timings[kind].append(time.perf_counter() - started)

    def run(self) -> None:
        self.schedule_reminder_ticks()
        self.sync_timekeeper()
        end = datetime.fromisoformat(END)
        with clock.use_clock(self.clock):
            while self.queue:
                event = heapq.heappop(self.queue)
                if event.at > end:
                    break
                self.clock.advance_to(max(event.at, self.clock()))
                if event.kind != "remind":
                    self.say_reminder_week(before=event.at)
                getattr(self, f"on_{event.kind}")(event)
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
            for act_group in self.batches(acts_for(snap, snap.phases[event.phase], self.cast)):
                self.push(act_group[0].at, "batch", event.phase, act_group)
        self.sync_timekeeper()

    def on_check(self, event: Event) -> None:
        from spbe.timekeeper import default_action

        result = self.timed("check", lambda: default_action("check", event.phase))
        if result is None:
            return
        gate = result["gate"]
        self.say(f"{self.stamp()}  gerbang {event.phase}: {result['message']} ({gate['done']}/{gate['total']})")
        self.sync_timekeeper()  # unmet after the deadline: the timekeeper's daily re-check job comes next

    def on_remind(self, event: Event) -> None:
        from spbe.timekeeper import run_remind

        active = [p for p in self.snapshot().phases.values() if p.state in ("open", "awaiting_approval")]
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
        for act in event.acts:
            if act.kind == "approve_assignment":
                self.approve_assignment(act)
            elif act.kind == "close_phase":
                self.close_phase(act)

    def batches(self, acts: list[Act]) -> list[list[Act]]:
        """One file per person per day: how input really arrives."""
        groups: dict[tuple, list[Act]] = defaultdict(list)
        for act in acts:
            local_day = act.at.astimezone(self.tz).date()
            per_day = act.kind in ("submit", "review")
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
        by_number = {a.indicator: a for a in acts}
        with path.open(encoding="utf-8-sig", newline="") as fh:
            delimiter = ";" if ";" in fh.readline() else ","
            fh.seek(0)
            rows = list(csv.DictReader(fh, delimiter=delimiter))
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
        with path.open("w", encoding="utf-8", newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=list(rows[0]), delimiter=delimiter)
            writer.writeheader()
            writer.writerows(rows)
        result = self.timed(
            "import",
            lambda: run_flow(import_input, tags=run_tags(first.phase or "intake"), path=str(path), actor="koordinator"),
        )
        if result and result.get("late"):
            self.say(f"{self.stamp()}  {subject}: {len(result['late'])} isian terlambat diterima dan ditandai")

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


def prepare(data_dir: Path, receiver_url: str) -> Path:
    """A fresh store for a repeatable year; the Prefect home is kept (its database migrates once)."""
    from spbe.paths import config_dir

    for name in ("spbe.db", "spbe.db-wal", "spbe.db-shm", "outbox.log", "webhook.jsonl", "inbox", "reports"):
        target = data_dir / name
        if target.is_dir():
            shutil.rmtree(target)
        else:
            target.unlink(missing_ok=True)
    data_dir.mkdir(parents=True, exist_ok=True)
    source = config_dir() / "pekalongan-2025.toml"
    text = source.read_text(encoding="utf-8")
    roster = (source.parent / "roster/pekalongan").as_posix()
    text = text.replace('roster = "roster/pekalongan"', f'roster = "{roster}"')
    text = text.replace("allow_networks = []", 'allow_networks = ["127.0.0.1/32"]  # the demo\'s evidence server')
    # Evidence links name a document server as OPDs would; the checker answers that name from its own
    # table and looks nothing up: the demo sends no packet outside 127.0.0.1.
    text = text.replace("hosts = {}", f'hosts = {{ "{EVIDENCE_HOST}" = "127.0.0.1" }}').replace(
        "dns = true", "dns = false"
    )
    cycle_file = data_dir / "pekalongan-2025-demo.toml"
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


def final_summary(year: Year) -> dict:
    from decimal import Decimal

    from sqlmodel import Session, col, select

    from spbe.planner import default_target, plan
    from spbe.report.model import shortfall, target_note_id
    from spbe.services.cycles import framework_of
    from spbe.services.levels import current_levels
    from spbe.store import models as m

    snap = year.snapshot()
    framework = framework_of(year.cycle)
    levels = current_levels(snap, "validated")
    target_index = Decimal(year.cycle.target_index)
    target, warning = default_target(framework, target_index, year.cycle.target_predicate)
    note = target_note_id(framework, target_index, year.cycle.target_predicate, target) if warning else None
    result = plan(framework, levels.levels, target)
    with Session(year.engine) as session:
        report = session.exec(
            select(m.Report).where(m.Report.cycle_id == year.cycle.id).order_by(col(m.Report.id).desc())
        ).first()
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
        "report_dir": report.out_dir if report else None,
        "levels_note": levels.note(),
        "phases": {p.name: p.state for p in snap.phases.values()},
    }


def run_demo(*, seed: int, data_dir: Path, interactive: bool | None = None) -> DemoResult:
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn

    from spbe.demo.receiver import DemoReceiver
    from spbe.prefect_server import healthy, start_local_server

    console = Console() if sys.stdout.isatty() else Console(width=120)
    started = time.perf_counter()
    data_dir.mkdir(parents=True, exist_ok=True)
    receiver = DemoReceiver(data_dir / "webhook.jsonl").start()
    cycle_file = prepare(data_dir, receiver.base_url)
    server = None
    server_started = time.perf_counter()
    from spbe.prefect_env import use_server
    from spbe.settings import get_settings

    api = get_settings().prefect_api_url
    if api and healthy(api):
        console.print(f"Prefect server: {api} (already running)")
    else:
        console.print("Menyalakan server Prefect lokal (SQLite)… / starting a local Prefect server")
        server = start_local_server(home=data_dir / "prefect")
        use_server(server.api_url, server.ui_url)
        api = server.api_url
    server_seconds = time.perf_counter() - server_started
    ui = api.removesuffix("/api")
    console.print(f"Prefect UI: {ui}  (server up in {server_seconds:.1f} s)")
    init_store(cycle_file)

    from spbe.domain.phases import PHASES

    progress = Progress(
        TextColumn("{task.description:<18}"),
        BarColumn(bar_width=30),
        TextColumn("{task.fields[state]:<18} {task.completed:>3.0f}/{task.total:<3.0f}"),
        console=console,
        transient=False,
        auto_refresh=False,
    )
    bars = {name: progress.add_task(name, total=1, completed=0, state="pending") for name in PHASES}

    def update(status: dict) -> None:
        for phase in status["phases"]:
            prog = status["progress"].get(phase["name"])
            fields = {"state": phase["state"]}
            if prog:
                fields.update(total=max(prog["total"], 1), completed=prog["done"])
            elif phase["state"] == "closed":
                task = progress.tasks[bars[phase["name"]]]
                fields.update(completed=task.total)
            progress.update(bars[phase["name"]], **fields)
        progress.refresh()

    year = Year(
        seed=seed,
        data_dir=data_dir,
        evidence_base=receiver.base_url.replace("127.0.0.1", EVIDENCE_HOST, 1),
        say=lambda text: progress.console.print(text),
        progress=update,
    )
    try:
        with progress:
            year.run()
        summary = final_summary(year)
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
    print_summary(console, result)
    if interactive is None:
        interactive = sys.stdin.isatty()
    _flush_logs()
    if server is not None:
        if interactive:
            console.print(f"\nPrefect UI tetap menyala di {ui} — tekan Ctrl-C untuk berhenti / Ctrl-C to stop")
            try:
                while True:
                    time.sleep(3600)
            except KeyboardInterrupt:
                pass
        server.stop()
        if not interactive:
            console.print(
                "Server Prefect demo dihentikan: tautan UI di atas tidak aktif lagi (`spbe demo --keep-ui` "
                "membiarkannya menyala) / the demo's Prefect server stopped: the UI link above is dead now"
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


def print_summary(console, result: DemoResult) -> None:
    s = result.summary
    console.print("\n[bold]Hasil Evaluasi SPBE 2025 Kota Pekalongan (simulasi)[/bold]")
    console.print(f"  Indeks SPBE : {s['index']}  Predikat: {s['predicate']}")
    if s.get("bound_note"):
        console.print(f"  Catatan     : {s['bound_note']}")
    console.print(f"  Target      : {s['target']}  selisih: {s['gap']}")
    if s["target_note"]:
        console.print(f"  Catatan     : {s['target_note']}")
    p = s["plan"]
    if p.already_met:
        console.print("  Target sudah tercapai.")
    elif not p.reachable:
        console.print(f"  Target tidak terjangkau (terbaik: {p.best_reachable}).")
    else:
        console.print(f"  Kenaikan termurah menuju {p.target} ({len(p.raises)} indikator, {p.total_cost} langkah):")
        for r in sorted(p.raises, key=lambda r: -r.gain)[:5]:
            console.print(
                f"    - indikator {r.number} ({s['owners'].get(r.number) or '-'}): {r.from_level} → "
                f"{r.to_level}, +{float(r.gain):.4f}  {r.name[:60]}"
            )
    console.print(f"  Laporan     : {result.report_dir}")
    console.print(f"  Prefect UI  : {result.ui_url}")
    console.print(f"  Pesan keluar: {result.messages} diterima webhook lokal, {result.duplicates} kunci ganda")
    kinds = ", ".join(f"{k} {n}× {t:.1f}s" for k, (n, t) in sorted(result.by_kind.items(), key=lambda kv: -kv[1][1]))
    console.print(
        f"\nWaktu: {result.seconds:.0f} s total; server {result.server_seconds:.1f} s; "
        f"{result.flow_runs} aksi dalam {result.flow_seconds:.0f} s ({kinds})"
    )
