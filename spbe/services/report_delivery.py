"""Handing the final report to leadership through the notification channels, and confirming delivery.

A build becomes the *report of record* when it is sent to leadership (`send_report`: the opening of
final-report sends its build, `spbe report --send [BUILD]` a chosen one); `spbe report --out` only builds.
The final-report gate asks whether the report of record arrived, so building another report later does
not undo a delivery. A report counts as delivered to a recipient only when the dispatcher has actually
sent their message (outbox state `sent`), not when it was queued.

The message carries the report: the files as e-mail attachments, and for chat channels a reachable
address (the portal's, when `[portal] base_url` is configured) or, without one, whom to ask for it.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, col, select

from spbe import clock
from spbe.errors import ConfigError, InputError, RefusedError, SpbeError
from spbe.i18n import _
from spbe.messages import render
from spbe.services.cycles import cycle_config_for
from spbe.services.outbox import Notice, enqueue
from spbe.services.report import ReportResult, gather_report, mark_delivered
from spbe.services.report_record import report_of_record
from spbe.store import models as m
from spbe.store.audit import record
from spbe.store.tables_reminders import OutboxMessage

ATTACHED_FORMATS = ("html", "xlsx")  # self-contained HTML (charts inside) and the workbook
TOP_ACTIONS = 3


def report_recipients(session: Session, cycle: m.Cycle) -> list[m.Person]:
    wanted = list(cycle_config_for(cycle.config_path).section("report").get("recipients", []))
    people = {p.key: p for p in session.exec(select(m.Person).where(m.Person.cycle_id == cycle.id))}
    unknown = [k for k in wanted if k not in people]
    if unknown:
        raise ConfigError(f"[report] recipients {unknown} are not in the roster (people.toml)")
    if not wanted:  # fall back to leadership, then the coordinators: a report nobody receives is not delivered
        wanted = [k for k, p in people.items() if p.role == "leadership"] or [
            k for k, p in people.items() if p.role == "coordinator"
        ]
    return [people[k] for k in wanted]


def _key(cycle: m.Cycle, report_id: int, person: str) -> str:
    return f"{cycle.code}:report:{report_id}:{person}"


def portal_base_url(cycle: m.Cycle) -> str | None:
    """The address people reach the portal at (`[portal] base_url` in the cycle file), if there is one."""
    try:
        url = cycle_config_for(cycle.config_path).section("portal").get("base_url")
    except SpbeError:  # a cycle file that moved: the message says whom to ask instead
        return None
    return str(url).rstrip("/") if url else None


def message_context(session: Session, cycle: m.Cycle, result: ReportResult) -> dict[str, Any]:
    """What the message to leadership says besides the index: the change from last year as a rise or a
    fall, the gap to target, the most valuable actions, and where the full report is."""
    from spbe.number_text import decimal_text as num

    d = result.data
    current = next((p for p in d.history if p.current), None)
    before = [p for p in d.history if not p.current and p.year < d.year]
    change = None
    if before:
        last = max(before, key=lambda p: p.year)
        if current is not None and current.delta is not None:
            delta = current.delta
            words = {"last": num(last.index), "year": last.year, "now": num(d.index)}
            if delta > 0:
                change = _("rose {amount} from {last} ({year}) to {now}").format(amount=num(abs(delta)), **words)
            elif delta < 0:
                change = _("fell {amount} from {last} ({year}) to {now}").format(amount=num(abs(delta)), **words)
            else:
                change = _("unchanged from {last} ({year}) at {now}").format(**words)
        else:
            change = _("{year}: {last} on another framework (not comparable)").format(
                year=last.year, last=num(last.index)
            )
    if d.target_met:
        gap = _("target {target} ({predicate}) reached").format(target=num(d.plan_target), predicate=d.target_predicate)
    else:
        gap = _("{gap} short of the target {target} ({predicate})").format(
            gap=num(d.gap), target=num(d.plan_target), predicate=d.target_predicate
        )
    view, plan = d.plan, d.plan.plan
    actions = []
    if not plan.already_met:
        best = sorted(plan.raises, key=lambda r: (-r.gain, r.number))[:TOP_ACTIONS]
        fw = d.framework
        for r in best:
            owner = view.owner(r)
            name = r.name if len(r.name) <= 45 else r.name[:44] + "…"
            actions.append(
                fw.indicator_label(r.number)
                + f" {name}: {fw.level_text(r.from_level, indicator=r.number)} → "
                f"{fw.level_text(r.to_level, indicator=r.number)} (+{num(r.gain, 4)}"
                + (f", {owner.code}" if owner else "")
                + ")"
            )
    base = portal_base_url(cycle)
    coordinators = session.exec(
        select(m.Person).where(m.Person.cycle_id == cycle.id, m.Person.role == "coordinator")
    ).all()
    contact = coordinators[0] if coordinators else None
    return {
        "change": change,
        "gap": gap,
        "actions": actions,
        "more_actions": max(len(plan.raises) - len(actions), 0) if not plan.already_met else 0,
        "report_url": f"{base}/laporan/{cycle.code}/{result.report_id}" if base else None,
        "contact": contact,
        "attached": [result.files[f].name for f in ATTACHED_FORMATS if f in result.files],
        "index_text": num(d.index),
    }


def queue_report(session: Session, *, cycle: m.Cycle, result: ReportResult) -> int:
    extra = message_context(session, cycle, result)
    attachments = tuple(str(result.files[f]) for f in ATTACHED_FORMATS if f in result.files)
    notices = []
    for person in report_recipients(session, cycle):
        subject, body = render(
            "notice_report.txt.j2", cycle=cycle, person=person, report=result.summary(), data=result.data, **extra
        )
        notices.append(
            Notice(
                person.key,
                subject,
                body,
                key=_key(cycle, result.report_id, person.key),
                phase="final-report",
                kind="report",
                attachments=attachments,
            )
        )
    return enqueue(session, cycle_id=cycle.id, notices=notices)


def send_report(session: Session, *, cycle: m.Cycle, result: ReportResult, actor: str) -> int:
    """Make `result` the report of record and queue it for leadership; sending the same build again queues
    nothing twice. Returns how many messages were queued."""
    report = session.get(m.Report, result.report_id)
    assert report is not None
    queued = queue_report(session, cycle=cycle, result=result)
    first = report.sent_at is None
    report.sent_at = clock.now() if first else report.sent_at
    session.add(report)
    record(
        session,
        cycle_id=cycle.id,
        actor=actor,
        action="report.sent",
        subject=f"report#{report.id}",
        detail={"queued": queued, "first": first},
    )
    return queued


def choose_build(session: Session, cycle: m.Cycle, build: int | None) -> m.Report:
    """The build `spbe report --send [BUILD]` sends: the one named, else the newest."""
    query = select(m.Report).where(m.Report.cycle_id == cycle.id)
    if build is not None:
        report = session.exec(query.where(m.Report.id == build)).first()
        if report is None:
            known = [r.id for r in session.exec(query.order_by(m.Report.id))]
            raise InputError(
                _("report #{build} is not in cycle {cycle} (there are: {known})").format(
                    build=build,
                    cycle=cycle.code,
                    known=", ".join(f"#{k}" for k in known) or _("none yet; build one with `spbe report --out FOLDER`"),
                )
            )
        return report
    report = session.exec(query.order_by(col(m.Report.id).desc())).first()
    if report is None:
        raise InputError(
            _("no report in cycle {cycle} yet: build one first with `spbe report --out FOLDER`").format(
                cycle=cycle.code
            )
        )
    return report


def result_of(session: Session, cycle: m.Cycle, report: m.Report) -> ReportResult:
    """An earlier build as a result to send: its files, and the store's data, which must still give the
    build's index (else the files and the message would disagree: build a new report)."""
    from pathlib import Path

    from spbe.number_text import decimal_text as num
    from spbe.services.levels import parse_basis

    built = session.exec(
        select(m.AuditEvent).where(
            m.AuditEvent.cycle_id == cycle.id,
            m.AuditEvent.action == "report.built",
            m.AuditEvent.subject == f"report#{report.id}",
        )
    ).first()
    basis = parse_basis(built.detail["basis"]) if built and built.detail.get("basis") else None
    data = gather_report(session, cycle=cycle, basis=basis)
    if str(data.index) != report.index:
        raise RefusedError(
            _(
                "report #{id} was built with index {then}, the data now gives {now}: build a new report "
                "(`spbe report --out FOLDER`) and send that one"
            ).format(id=report.id, then=num(report.index), now=num(data.index))
        )
    out = Path(report.out_dir)
    stem = f"laporan-spbe-{cycle.code}"
    files = {fmt: out / f"{stem}.{fmt}" for fmt in ("html", "md", "xlsx", "json")}
    missing = [p.name for p in files.values() if not p.is_file()]
    if missing:
        raise RefusedError(
            _("the files of report #{id} are no longer in {out} ({missing}): build it again").format(
                id=report.id, out=out, missing=", ".join(missing)
            )
        )
    assert report.id is not None
    return ReportResult(report.id, cycle.code, out, files, data)


def confirm_delivery(session: Session, *, cycle: m.Cycle, actor: str) -> list[str]:
    """Mark the report of record delivered to everyone whose message was sent; returns who is still waiting."""
    report = report_of_record(session, cycle)
    if report is None or report.id is None:
        return []
    recipients = [p.key for p in report_recipients(session, cycle)]
    keys = {_key(cycle, report.id, k): k for k in recipients}
    rows = session.exec(
        select(OutboxMessage).where(OutboxMessage.cycle_id == cycle.id, col(OutboxMessage.key).in_(list(keys)))
    ).all()
    sent = [keys[r.key] for r in rows if r.state == "sent"]
    if sent:
        mark_delivered(session, cycle=cycle, report_id=report.id, recipients=sent, actor=actor)
    return [k for k in recipients if k not in sent and k not in (report.delivered_to or [])]
