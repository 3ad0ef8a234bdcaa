"""What each page shows, read from the store in one unit of work: plain dicts for the templates.

Dates are the cycle's local time in words ("Selasa, 30 September 2025 pukul 16.00 WIB"); statuses and
verdicts in Bahasa Indonesia. Nothing here writes."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from spbe.domain.assignment import conflict_of_interest
from spbe.domain.gates import evaluate
from spbe.domain.reminders import active_phases
from spbe.domain.snapshot import IndicatorState, ItemStatus
from spbe.evidence_files import REF_PREFIX, parse_ref
from spbe.messages import tanggal_jam
from spbe.services.cycles import framework_of
from spbe.services.snapshot import take_snapshot
from spbe.services.thread import thread
from spbe.store import models as m
from spbe.store.tables_evidence import EvidenceFile

STATUS_TEXT = {
    ItemStatus.MISSING: "belum dikirim",
    ItemStatus.SUBMITTED: "menunggu penilaian",
    ItemStatus.REVISE: "perlu perbaikan",
    ItemStatus.ACCEPTED: "diterima",
}
VERDICT_TEXT = {"accept": "diterima", "revise": "perlu perbaikan"}
PHASE_STATE_TEXT = {
    "pending": "belum dibuka",
    "open": "berjalan",
    "awaiting_approval": "menunggu persetujuan",
    "closed": "selesai",
}
DEADLINE_PHASES = ("self-assessment", "document-review", "revision")


def _files(session: Session, cycle: m.Cycle, refs: list[str]) -> dict[str, EvidenceFile]:
    digests = [d for d in (parse_ref(r) for r in refs if r.startswith(REF_PREFIX)) if d]
    if not digests:
        return {}
    rows = session.exec(
        select(EvidenceFile).where(EvidenceFile.cycle_id == cycle.id, col(EvidenceFile.sha256).in_(digests))
    )
    return {r.sha256: r for r in rows}


def evidence_entries(refs: list[str] | tuple[str, ...], files: dict[str, EvidenceFile]) -> list[dict[str, Any]]:
    out = []
    for ref in refs:
        if ref.startswith(REF_PREFIX):
            digest = ref[len(REF_PREFIX) :]
            row = files.get(digest)
            out.append(
                {
                    "file": True,
                    "ref": ref,
                    "href": f"/berkas/{digest}",
                    "label": row.name if row else "berkas",
                    "kind": row.media_type if row else "",
                }
            )
        else:
            out.append({"file": False, "ref": ref, "href": ref, "label": ref})
    return out


def deadlines(snap, tz: str) -> list[dict[str, str]]:
    return [
        {
            "title": snap.phases[name].title,
            "state": PHASE_STATE_TEXT.get(snap.phases[name].state, snap.phases[name].state),
            "deadline": tanggal_jam(snap.phases[name].deadline_at, tz),
        }
        for name in DEADLINE_PHASES
        if name in snap.phases
    ]


def _history(session: Session, cycle: m.Cycle, number: int, names: dict[str, str], files) -> list[dict[str, Any]]:
    out = []
    for e in thread(session, cycle=cycle, indicator=number):
        out.append(
            {
                "at": tanggal_jam(e.at, cycle.timezone),
                "kind": e.kind,
                "version": e.version,
                "who": e.speaker_name or names.get(e.speaker, e.speaker),
                "level": e.level,
                "verdict": VERDICT_TEXT.get(e.verdict or "", e.verdict),
                "explanation": e.explanation,
                "note": e.note,
                "evidence": evidence_entries(list(e.evidence), files),
                "late": e.late,
                "source": e.source,
            }
        )
    return list(reversed(out))  # newest first


def _indicator(
    session: Session, cycle: m.Cycle, framework, i: IndicatorState, reviews: dict[int, m.Review], names, files
) -> dict[str, Any]:
    review = reviews.get(i.number)
    missing = []
    if i.version is None:
        missing.append("tingkat dan bukti dukung belum dikirim")
    elif not i.evidence:
        missing.append("bukti dukung belum ada")
    if i.status is ItemStatus.REVISE:
        missing.append("asesor meminta perbaikan")
    return {
        "number": i.number,
        "name": i.name,
        "status": STATUS_TEXT[i.status],
        "status_code": i.status.value,
        "version": i.version,
        "level": i.claimed_level,
        "level_text": framework.level_text(i.claimed_level, indicator=i.number) if i.claimed_level else "—",
        "validated": framework.level_text(i.validated_level, indicator=i.number) if i.validated_level else None,
        "evidence": evidence_entries(list(i.evidence), files),
        "links_text": "\n".join(r for r in i.evidence if not r.startswith(REF_PREFIX)),
        "late": i.late,
        "missing": missing,
        "review_note": review.note if review else None,
        "review_verdict": VERDICT_TEXT.get(review.verdict) if review else None,
        "assessor": names.get(i.assessor or "", i.assessor),
        "history": _history(session, cycle, i.number, names, files),
        "levels": [(n, framework.level_text(n, indicator=i.number)) for n in range(1, 6)],
    }


def _latest_reviews(session: Session, cycle: m.Cycle) -> dict[int, m.Review]:
    """The last review of each indicator's latest version, by indicator number."""
    latest: dict[int, m.Submission] = {}
    for s in session.exec(select(m.Submission).where(m.Submission.cycle_id == cycle.id)):
        if s.indicator_number not in latest or s.version > latest[s.indicator_number].version:
            latest[s.indicator_number] = s
    ids = {s.id: n for n, s in latest.items()}
    out: dict[int, m.Review] = {}
    for r in session.exec(select(m.Review).where(m.Review.cycle_id == cycle.id).order_by(m.Review.id)):
        if r.submission_id in ids:
            out[ids[r.submission_id]] = r
    return out


def _all_refs(session: Session, cycle: m.Cycle, numbers: set[int]) -> list[str]:
    refs: list[str] = []
    for s in session.exec(select(m.Submission).where(m.Submission.cycle_id == cycle.id)):
        if s.indicator_number in numbers:
            refs.extend(s.evidence or [])
    return refs


def opd_page(session: Session, cycle: m.Cycle, opd_code: str) -> dict[str, Any]:
    snap = take_snapshot(session, cycle)
    framework = framework_of(cycle)
    opd = snap.opds[opd_code]
    names = {p.key: p.name for p in snap.people.values()}
    mine = snap.indicators_of(opd_code)
    files = _files(session, cycle, _all_refs(session, cycle, {i.number for i in mine}))
    reviews = _latest_reviews(session, cycle)
    indicators = [_indicator(session, cycle, framework, i, reviews, names, files) for i in mine]
    return {
        "cycle": cycle,
        "opd": opd,
        "admin": names.get(opd.admin_key, opd.admin_key),
        "deadlines": deadlines(snap, cycle.timezone),
        "indicators": indicators,
        "to_do": [i for i in indicators if i["missing"]],
        "framework": framework.label,
    }


def assessor_page(session: Session, cycle: m.Cycle, person_key: str) -> dict[str, Any]:
    snap = take_snapshot(session, cycle)
    framework = framework_of(cycle)
    person = snap.people[person_key]
    names = {p.key: p.name for p in snap.people.values()}
    mine = snap.indicators_for_assessor(person_key)
    files = _files(session, cycle, _all_refs(session, cycle, {i.number for i in mine}))
    reviews = _latest_reviews(session, cycle)
    rows = []
    for i in mine:
        row = _indicator(session, cycle, framework, i, reviews, names, files)
        row["opd_name"] = snap.opds[i.owner_opd].name if i.owner_opd in snap.opds else i.owner_opd
        row["conflict"] = conflict_of_interest(person.opd, i.owner_opd, i.owner_opd)
        row["can_review"] = i.version is not None and not row["conflict"]
        rows.append(row)
    return {
        "cycle": cycle,
        "person": person,
        "deadlines": deadlines(snap, cycle.timezone),
        "indicators": rows,
        "to_judge": [r for r in rows if r["status_code"] == ItemStatus.SUBMITTED.value],
    }


def coordinator_page(session: Session, cycle: m.Cycle, now: datetime, status: dict[str, Any]) -> dict[str, Any]:
    """`status` is `spbe status`'s own result (services.status.cycle_status): the same numbers."""
    snap = take_snapshot(session, cycle)
    phases = []
    for p in status["phases"]:
        info = snap.phases[p["name"]]
        progress = status["progress"].get(p["name"])
        phases.append(
            {
                "name": p["name"],
                "title": info.title,
                "state": PHASE_STATE_TEXT.get(p["state"], p["state"]),
                "deadline": tanggal_jam(info.deadline_at, cycle.timezone),
                "progress": progress,
                "per_opd": [
                    {"code": code, "name": snap.opds[code].name if code in snap.opds else code, "done": d, "total": t}
                    for code, d, t in (progress["per_opd"] if progress else [])
                ],
            }
        )
    waiting: dict[str, dict[str, Any]] = {}
    for name in active_phases(snap):
        for item in evaluate(snap, name, now).outstanding:
            if item.opd and item.opd in snap.opds:
                entry = waiting.setdefault(item.opd, {"code": item.opd, "name": snap.opds[item.opd].name, "items": []})
                entry["items"].append(item.indicator)
    runs = session.exec(
        select(m.AuditEvent)
        .where(m.AuditEvent.cycle_id == cycle.id, col(m.AuditEvent.flow_run_id).is_not(None))
        .order_by(col(m.AuditEvent.id).desc())
        .limit(15)
    ).all()
    return {
        "cycle": cycle,
        "standing": status["index"],
        "phases": phases,
        "waiting": sorted(waiting.values(), key=lambda w: (-len(w["items"]), w["code"])),
        "runs": [
            {"at": tanggal_jam(e.at, cycle.timezone), "action": e.action, "actor": e.actor, "run": e.flow_run_id}
            for e in runs
        ],
    }
