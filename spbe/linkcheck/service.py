"""Checking every evidence link of a cycle: collect (latest versions only), check, record, tell the OPDs.

The status of each URL is kept as its latest check (one EvidenceCheck row per URL and cycle); each run
is one audit event listing what changed. Every OPD with broken links gets ONE notice listing them; its
key is derived from the list itself, so running the check again with the same result queues nothing,
and a changed list (a link fixed, another broken) queues a fresh notice.

`check_links` does all of it inside the caller's transaction (usable without Prefect); `run_link_check`
keeps the network part outside any transaction (the CLI and the flow's tasks use the same steps).
"""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlmodel import Session, select

from spbe import clock
from spbe.linkcheck.checker import LinkChecker, LinkResult
from spbe.linkcheck.policy import EvidenceSettings, status_text
from spbe.messages import render
from spbe.safe_text import printable
from spbe.services.cycles import current_cycle, cycle_config_for
from spbe.services.lookup import find_phase
from spbe.services.outbox import Notice, enqueue
from spbe.services.snapshot import take_snapshot
from spbe.store import models as m
from spbe.store.audit import record

ACTOR = "system:linkcheck"
TEMPLATE = "notice_broken_links.txt.j2"


@dataclass(frozen=True)
class EvidenceLink:
    url: str
    indicator: int
    opd: str | None
    version: int


@dataclass
class LinkReport:
    cycle: str
    checked_at: datetime
    links: list[EvidenceLink]
    results: dict[str, LinkResult]
    changed: int = 0
    notices_queued: int = 0
    notified_opds: list[str] = field(default_factory=list)
    outage: str | None = None  # every external host failed the same way: this server's own outage

    def counts(self) -> dict[str, int]:
        return dict(Counter(r.status for r in self.results.values()))

    def broken(self) -> list[tuple[EvidenceLink, LinkResult]]:
        return [(link, self.results[link.url]) for link in self.links if self.results[link.url].status != "ok"]

    def as_dict(self) -> dict[str, Any]:
        return {
            "cycle": self.cycle,
            "checked_at": self.checked_at.isoformat(),
            "links": len(self.results),
            "counts": self.counts(),
            "changed": self.changed,
            "notices_queued": self.notices_queued,
            "notified_opds": self.notified_opds,
            "outage": self.outage,
            "results": [
                {
                    **self.results[link.url].as_dict(),
                    "indicator": link.indicator,
                    "opd": link.opd,
                    "version": link.version,
                }
                for link in self.links
            ],
        }


def evidence_settings(cycle: m.Cycle) -> EvidenceSettings:
    config = cycle_config_for(cycle.config_path)
    return EvidenceSettings.from_section(config.section("evidence"), where=f"{config.path.name} [evidence]")


def collect_links(session: Session, *, cycle: m.Cycle) -> list[EvidenceLink]:
    """The links of each unit's latest version (an indicator's, or under Pemdi an item's): older versions'
    links no longer matter to anyone. Uploaded files (`file:sha256:` refs) are not links: nothing to fetch."""
    snap = take_snapshot(session, cycle)
    return [
        EvidenceLink(url, u.indicator, u.owner_opd, u.version)
        for u in snap.units
        if u.version is not None
        for url in u.evidence
        if "://" in url
    ]


def check_links(
    session: Session, *, cycle: m.Cycle, now: datetime, checker: LinkChecker | None = None, actor: str = ACTOR
) -> LinkReport:
    links = collect_links(session, cycle=cycle)
    checker = checker or LinkChecker(evidence_settings(cycle))
    results = checker.check_all_sync(link.url for link in links)
    return record_results(session, cycle=cycle, links=links, results=results, now=now, actor=actor)


def run_link_check(
    *, cycle_code: str | None = None, checker: LinkChecker | None = None, actor: str = ACTOR
) -> LinkReport:
    """The same steps with short transactions: read, then fetch with no transaction open, then write."""
    from spbe.store.db import require_schema, session_scope

    engine = require_schema()
    with session_scope(engine) as session:
        cycle = current_cycle(session, cycle_code)
        links = collect_links(session, cycle=cycle)
        checker = checker or LinkChecker(evidence_settings(cycle))
    results = checker.check_all_sync(link.url for link in links)
    with session_scope(engine) as session:
        cycle = current_cycle(session, cycle_code)
        return record_results(session, cycle=cycle, links=links, results=results, now=clock.now(), actor=actor)


def record_results(
    session: Session,
    *,
    cycle: m.Cycle,
    links: list[EvidenceLink],
    results: list[LinkResult],
    now: datetime,
    actor: str = ACTOR,
) -> LinkReport:
    by_url = {r.url: r for r in results}
    missing = {link.url for link in links} - set(by_url)
    if missing:
        raise ValueError(f"{len(missing)} link(s) have no check result")
    report = LinkReport(cycle.code, now, links, by_url)
    if not by_url:
        return report
    report.outage = server_outage(results)
    if report.outage:  # the links are not broken; this server cannot reach them: statuses stay, no OPD told
        record(
            session,
            cycle_id=cycle.id,
            actor=actor,
            action="evidence.outage",
            subject=cycle.code,
            detail={"links": len(by_url), "failure": report.outage},
        )
        notices = outage_notices(session, cycle=cycle, report=report)
        report.notices_queued = enqueue(session, cycle_id=cycle.id, notices=notices) if notices else 0
        return report
    existing = {c.url: c for c in session.exec(select(m.EvidenceCheck).where(m.EvidenceCheck.cycle_id == cycle.id))}
    changes: list[dict[str, Any]] = []
    for url, result in by_url.items():
        row = existing.get(url)
        if row is None:
            row = m.EvidenceCheck(cycle_id=cycle.id, url=url, status=result.status, checked_at=now)
            changes.append({"url": url, "from": None, "to": result.status})
        elif row.status != result.status:
            changes.append({"url": url, "from": row.status, "to": result.status})
        row.status = result.status
        row.http_status = result.http_status
        row.detail = printable(result.detail, limit=500) or None
        row.checked_at = now
        session.add(row)
    report.changed = len(changes)
    record(
        session,
        cycle_id=cycle.id,
        actor=actor,
        action="evidence.checked",
        subject=cycle.code,
        detail={
            "links": len(by_url),
            "counts": report.counts(),
            "changed": changes[:100],
            "changed_count": len(changes),
        },
    )
    notices = broken_link_notices(session, cycle=cycle, report=report)
    report.notified_opds = sorted({link.opd for link, _ in report.broken() if link.opd})
    report.notices_queued = enqueue(session, cycle_id=cycle.id, notices=notices) if notices else 0
    return report


def _failure_kind(result: LinkResult) -> str:
    detail = (result.detail or "").split(": ", 1)
    kind = detail[0] if len(detail) > 1 else ""
    return f"{result.status}:{kind.removeprefix('pemeriksaan gagal')}"


def server_outage(results: list[LinkResult]) -> str | None:
    """When every external host (two or more) failed, and in the same way (no name resolves, no route, every
    connection times out), the fault is this server's connection, not the OPDs' links: the failure, else None."""
    from urllib.parse import urlsplit

    checked = [r for r in results if r.status != "unsafe"]
    hosts = {(urlsplit(r.url).hostname or "") for r in checked}
    if len(hosts) < 2 or any(r.status not in ("error", "timeout") for r in checked):
        return None
    kinds = {_failure_kind(r) for r in checked}
    if len(kinds) != 1:
        return None
    sample = printable(checked[0].detail, limit=200) or checked[0].status
    return f"{len(hosts)} host, {len(checked)} tautan gagal dengan cara yang sama ({sample})"


def outage_notices(session: Session, *, cycle: m.Cycle, report: LinkReport) -> list[Notice]:
    """The coordinators hear that the server cannot reach the internet (at most once a day); no OPD does."""
    from zoneinfo import ZoneInfo

    day = report.checked_at.astimezone(ZoneInfo(cycle.timezone)).date().isoformat()
    notices = []
    for person in session.exec(select(m.Person).where(m.Person.cycle_id == cycle.id, m.Person.role == "coordinator")):
        subject, body = render(
            "notice_link_outage.txt.j2", cycle=cycle, person=person, report=report, links=len(report.results)
        )
        notices.append(
            Notice(person.key, subject, body, key=f"{cycle.code}:evidence-outage:{day}:{person.key}", kind="notice")
        )
    return notices


def broken_link_notices(session: Session, *, cycle: m.Cycle, report: LinkReport) -> list[Notice]:
    by_opd: dict[str, list[tuple[EvidenceLink, LinkResult]]] = {}
    for link, result in report.broken():
        if link.opd:
            by_opd.setdefault(link.opd, []).append((link, result))
    if not by_opd:
        return []
    opds = {o.code: o for o in session.exec(select(m.Opd).where(m.Opd.cycle_id == cycle.id))}
    names = {i.number: i.name for i in session.exec(select(m.Indicator).where(m.Indicator.cycle_id == cycle.id))}
    review = find_phase(session, cycle, "document-review")
    from spbe.portal.links import links_for

    answer_link = links_for(session, cycle)
    notices = []
    for code, items in sorted(by_opd.items()):
        opd = opds.get(code)
        if opd is None:
            continue
        rows = [
            {
                "number": link.indicator,
                "name": names.get(link.indicator, ""),
                "version": link.version,
                "url": link.url,
                "code": result.status,
                "status": status_text(result.status, result.http_status),
                "detail": printable(result.detail, limit=300) if result.status == "unsafe" else None,
            }
            for link, result in sorted(items, key=lambda x: (x[0].indicator, x[0].url))
        ]
        fingerprint = "\n".join(f"{r['number']} {r['url']} {r['code']}" for r in rows)
        digest = hashlib.sha256(fingerprint.encode("utf-8")).hexdigest()[:16]
        subject, body = render(
            TEMPLATE,
            cycle=cycle,
            opd=opd,
            items=rows,
            checked_at=report.checked_at,
            review_phase=review,
            answer_link=answer_link(opd.admin_key),
        )
        notices.append(
            Notice(
                opd.admin_key,
                subject,
                body,
                key=f"{cycle.code}:evidence-links:{code}:{digest}",
                phase="document-review",
                kind="notice",
            )
        )
    return notices
