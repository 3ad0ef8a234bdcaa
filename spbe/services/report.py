"""Building the final report from the store, recording it, and marking it delivered.

`build_report` writes the files (HTML, Markdown, XLSX, JSON, the charts and the scored levels as CSV),
then adds a `Report` row and its audit event in the caller's transaction. `mark_delivered` records who
received it. The final-report flow calls both; `report_summary_markdown` and `report_table_rows` give it
what it publishes as Prefect artifacts (nothing here imports Prefect).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from sqlalchemy import inspect
from sqlmodel import Session, func, select

from spbe import clock
from spbe.errors import SpbeError
from spbe.frameworks import available_frameworks, load_framework
from spbe.report.model import PhaseRow, ReportData, SubmissionFact, assemble
from spbe.services.cycles import cycle_config_for, framework_of
from spbe.services.history import official_results
from spbe.services.levels import Basis, parse_basis
from spbe.services.snapshot import take_snapshot
from spbe.store import models as m
from spbe.store.audit import record


@dataclass
class ReportResult:
    report_id: int
    cycle_code: str
    out_dir: Path
    files: dict[str, Path]
    data: ReportData = field(repr=False)

    @property
    def index(self) -> Decimal:
        return self.data.index

    @property
    def predicate(self) -> str:
        return self.data.predicate

    def summary(self) -> dict:
        d = self.data
        return {
            "report_id": self.report_id,
            "cycle": self.cycle_code,
            "index": str(d.index),
            "predicate": d.predicate,
            "bound_note": d.index_note,
            "basis": d.basis.value,
            "target": str(d.plan_target),
            "target_met": d.target_met,
            "files": {k: str(v) for k, v in self.files.items()},
        }


def cycle_for_year(session: Session, year: int | None) -> m.Cycle:
    """The cycle of `year` (the current one when None); with several cities, SPBE_CYCLE picks one."""
    from spbe.services.cycles import current_cycle

    if year is None:
        return current_cycle(session)
    from spbe.settings import get_settings

    code = get_settings().cycle_code
    query = select(m.Cycle).where(m.Cycle.year == year)
    if code:
        query = query.where(m.Cycle.code == code)
    found = session.exec(query.order_by(m.Cycle.id)).all()
    if not found:
        known = sorted({c.year for c in session.exec(select(m.Cycle)).all()})
        raise SpbeError(f"no cycle for year {year} in the store (years: {', '.join(map(str, known)) or 'none'})")
    if len(found) > 1:
        raise SpbeError(f"{len(found)} cycles for {year} ({', '.join(c.code for c in found)}): set SPBE_CYCLE")
    return found[0]


def gather_report(session: Session, *, cycle: m.Cycle, basis: Basis | None = None) -> ReportData:
    """Read everything the report shows (a fixed number of queries) and assemble it."""
    cid = cycle.id
    if basis is None:
        configured = _config_section(cycle).get("basis")
        try:
            basis = parse_basis(str(configured)) if configured else Basis.VALIDATED
        except SpbeError as exc:
            raise SpbeError(f"[report] basis in {cycle.config_path}: {exc}") from None
    snapshot = take_snapshot(session, cycle)
    ready = _ready_times(session, cid)
    phases = [
        PhaseRow(
            p.name, p.title, p.state, p.opens_at, p.deadline_at, p.deadline_version, p.closed_at, p.forced,
            ready.get(p.name),
        )
        for p in session.exec(select(m.Phase).where(m.Phase.cycle_id == cid).order_by(m.Phase.seq))
    ]
    submissions = [
        SubmissionFact(n, opd, v, bool(late))
        for n, opd, v, late in session.exec(
            select(m.Submission.indicator_number, m.Submission.opd_code, m.Submission.version, m.Submission.late)
            .where(m.Submission.cycle_id == cid)
            .order_by(m.Submission.indicator_number, m.Submission.version)
        )
    ]
    evidence = {
        url: status
        for url, status in session.exec(
            select(m.EvidenceCheck.url, m.EvidenceCheck.status).where(m.EvidenceCheck.cycle_id == cid)
        )
    }
    names = {p.key: p.name for p in snapshot.people.values()}
    official = official_results(session, city=cycle.city)
    return assemble(
        snapshot=snapshot,
        framework=framework_of(cycle),
        city=cycle.city,
        target_index=Decimal(cycle.target_index),
        target_predicate=cycle.target_predicate,
        history={int(y): Decimal(v) for y, v in (cycle.history or {}).items()},
        basis=basis,
        built_at=clock.now(),
        phases=phases,
        submissions=submissions,
        evidence_status=evidence,
        reminders_sent=reminders_sent(session, cid),
        assessor_names=names,
        official=official,
        frameworks={f: load_framework(f) for f in available_frameworks()},
    )


def _ready_times(session: Session, cycle_id: int) -> dict:
    """When each approval phase last asked for approval (its gate held): the approval itself may come later
    without the phase being late."""
    rows = session.exec(
        select(m.AuditEvent.subject, func.max(m.AuditEvent.at))
        .where(m.AuditEvent.cycle_id == cycle_id, m.AuditEvent.action == "phase.awaiting_approval")
        .group_by(m.AuditEvent.subject)
    ).all()
    return {subject: at for subject, at in rows if subject}


def reminders_sent(session: Session, cycle_id: int) -> int | None:
    """Reminders (and escalations, digests) the outbox delivered; None where the store has no outbox.

    The reminders feature owns the table, so it is looked up lazily: a store or a code base without it
    gives "n/a" in the report rather than an error.
    """
    try:
        from spbe.store import tables_reminders
    except ImportError:
        return None
    model = getattr(tables_reminders, "OutboxMessage", None)
    if model is None or not inspect(session.get_bind()).has_table(model.__tablename__):
        return None
    query = select(func.count()).select_from(model).where(model.cycle_id == cycle_id)
    if hasattr(model, "state"):
        query = query.where(model.state == "sent")
    if hasattr(model, "kind"):
        query = query.where(model.kind.in_(("reminder", "escalation", "digest")))
    return int(session.exec(query).one())


def build_report(
    session: Session,
    *,
    cycle: m.Cycle,
    out_dir: Path,
    basis: Basis | None = None,
    actor: str | None = None,
) -> ReportResult:
    """Write every format into `out_dir` and record the report (row + audit event) in this transaction."""
    from spbe.report import charts as chart_mod
    from spbe.report import render_html, render_json, render_markdown, render_xlsx
    from spbe.settings import get_settings

    data = gather_report(session, cycle=cycle, basis=basis)
    charts = chart_mod.draw_all(data)
    out_dir = Path(out_dir)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise SpbeError(f"cannot create report folder {out_dir}: {exc.strerror}") from None
    stem = f"laporan-spbe-{cycle.code}"
    files: dict[str, Path] = {}
    try:
        for chart in charts:
            files[f"chart:{chart.key}"] = _write(out_dir / chart.file_name, chart.png)
        files["html"] = _write(out_dir / f"{stem}.html", render_html.render(data, charts).encode("utf-8"))
        files["md"] = _write(out_dir / f"{stem}.md", render_markdown.render(data, charts).encode("utf-8"))
        files["xlsx"] = _write(out_dir / f"{stem}.xlsx", render_xlsx.render(data, charts))
        files["json"] = _write(out_dir / f"{stem}.json", render_json.render(data).encode("utf-8"))
        files["levels"] = _write(out_dir / f"nilai-indikator-{cycle.code}.csv", _levels_csv(data))
    except OSError as exc:
        raise SpbeError(f"cannot write the report into {out_dir}: {exc.strerror}") from None

    report = m.Report(
        cycle_id=cycle.id,
        built_at=data.built_at,
        out_dir=str(out_dir.resolve()),
        index=str(data.index),
        predicate=data.predicate,
    )
    session.add(report)
    session.flush()
    assert report.id is not None
    record(
        session,
        cycle_id=cycle.id,
        actor=actor or get_settings().actor,
        action="report.built",
        subject=f"report#{report.id}",
        detail={
            "index": str(data.index),
            "predicate": data.predicate,
            "basis": data.basis.value,
            "assumed": data.levels.as_dict(),
            "out_dir": str(out_dir.resolve()),
            "files": sorted(p.name for p in files.values()),
        },
    )
    return ReportResult(report.id, cycle.code, out_dir, files, data)


def mark_delivered(
    session: Session, *, cycle: m.Cycle, report_id: int, recipients: list[str], actor: str | None = None
) -> m.Report:
    """Record that the report reached `recipients`; delivering again to the same people changes nothing."""
    from spbe.settings import get_settings

    report = session.get(m.Report, report_id)
    if report is None or report.cycle_id != cycle.id:
        raise SpbeError(f"report #{report_id} does not belong to cycle {cycle.code}")
    wanted = [r for r in dict.fromkeys(recipients) if r]
    if not wanted:
        raise SpbeError("a report is delivered to at least one recipient")
    new = [r for r in wanted if r not in (report.delivered_to or [])]
    if not new and report.delivered_at is not None:
        return report
    report.delivered_to = [*(report.delivered_to or []), *new]
    first = report.delivered_at is None
    report.delivered_at = report.delivered_at or clock.now()
    session.add(report)
    record(
        session,
        cycle_id=cycle.id,
        actor=actor or get_settings().actor,
        action="report.delivered",
        subject=f"report#{report_id}",
        detail={"recipients": new, "first_delivery": first},
    )
    return report


def report_summary_markdown(result: ReportResult) -> str:
    """A short Markdown summary for a Prefect artifact: the index, the target and what it takes."""
    from spbe.number_text import decimal_text as num
    from spbe.report.render_markdown import history_rows, md, recommendation_lines, table

    d = result.data
    lines = [
        f"# {md(d.title)}",
        "",
        f"**{md(d.index_name)} {d.year}: {num(d.index)} ({md(d.predicate)})** · dasar {md(d.basis_label)}",
        "",
        f"Target {num(d.plan_target)} ({md(d.target_predicate)}): "
        + ("tercapai" if d.target_met else f"kurang {num(d.gap)}"),
        "",
    ]
    lines += [f"> {md(n)}" for n in d.all_notes]
    lines += ["", table(["Tahun", "Indeks", "Predikat", "Kerangka"], history_rows(d, with_change=False)), ""]
    lines += [f"> {md(n)}" for n in d.history_notes]
    if d.domains:
        lines += ["", table(["Domain", "Indeks"], [(g.name, num(g.index)) for g in d.domains]), ""]
    lines += ["## Rekomendasi", "", *recommendation_lines(d), ""]
    lines.append(f"Berkas: {md(', '.join(p.name for k, p in result.files.items() if not k.startswith('chart')))}")
    return "\n".join(lines) + "\n"


def report_table_rows(result: ReportResult) -> list[dict]:
    """One row per indicator for a Prefect table artifact (column names in Bahasa Indonesia)."""
    return [
        {
            "no": i.number,
            "indikator": i.name,
            "opd_pemilik": i.owner_code or "",
            "level_klaim": i.claimed,
            "level_tervalidasi": i.validated,
            "level_dinilai": i.level,
            "nama_level": i.level_name or "",
            "status": i.status_label + (", terlambat" if i.late else ""),
            "putaran_revisi": i.revise_rounds,
            "bukti_dukung": i.evidence.label,
        }
        for i in result.data.indicators
    ]


def _config_section(cycle: m.Cycle) -> dict:
    try:
        return cycle_config_for(cycle.config_path).section("report")
    except SpbeError:  # the cycle file moved or is broken: the report still builds from the store
        return {}


def _levels_csv(data: ReportData) -> bytes:
    """The levels scored, as `spbe score --levels` reads them: anyone can re-check the index."""
    lines = ["indicator,level"] + [f"{i.number},{i.level}" for i in data.indicators]
    return ("\r\n".join(lines) + "\r\n").encode("utf-8")


def _write(path: Path, content: bytes) -> Path:
    """Write via a temporary file and rename, so a reader never sees half a report."""
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(content)
    os.replace(tmp, path)
    return path
