"""Handing the final report to leadership through the notification channels, and confirming delivery.

The report counts as delivered to a recipient only when the dispatcher has actually sent their message
(outbox state `sent`), not when it was queued: the final-report gate asks for a report that arrived.
"""

from __future__ import annotations

from sqlmodel import Session, col, select

from spbe.errors import ConfigError
from spbe.messages import render
from spbe.services.cycles import cycle_config_for
from spbe.services.outbox import Notice, enqueue
from spbe.services.report import ReportResult, mark_delivered
from spbe.store import models as m
from spbe.store.tables_reminders import OutboxMessage


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


def queue_report(session: Session, *, cycle: m.Cycle, result: ReportResult) -> int:
    notices = []
    for person in report_recipients(session, cycle):
        subject, body = render(
            "notice_report.txt.j2", cycle=cycle, person=person, report=result.summary(), data=result.data
        )
        notices.append(
            Notice(
                person.key,
                subject,
                body,
                key=_key(cycle, result.report_id, person.key),
                phase="final-report",
                kind="report",
            )
        )
    return enqueue(session, cycle_id=cycle.id, notices=notices)


def confirm_delivery(session: Session, *, cycle: m.Cycle, actor: str) -> list[str]:
    """Mark the newest report delivered to everyone whose message was sent; returns who is still waiting."""
    report = session.exec(
        select(m.Report).where(m.Report.cycle_id == cycle.id).order_by(col(m.Report.id).desc())
    ).first()
    if report is None:
        return []
    recipients = [p.key for p in report_recipients(session, cycle)]
    keys = {_key(cycle, report.id, k): k for k in recipients}
    rows = session.exec(
        select(OutboxMessage).where(OutboxMessage.cycle_id == cycle.id, col(OutboxMessage.key).in_(list(keys)))
    ).all()
    sent = [keys[r.key] for r in rows if r.state == "sent"]
    if sent:
        mark_delivered(session, cycle=cycle, report_id=report.id, recipients=sent, actor=actor)
    return [k for k in recipients if k not in sent]
