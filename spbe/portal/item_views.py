"""What the OPD and assessor pages show under Pemdi (an items framework): evidence items per indicator and
level, read from the store in one unit of work, as plain dicts for the templates. Nothing here writes.

An OPD sees the items it answers (its indicators' items, and items given to it as a supporting OPD), with
its role per indicator (pengampu or pendukung), the level it aims for, every version and review of each
item. An assessor sees every item of the indicators assigned to them, with what they may judge: an
answered item without a conflict of interest (services.items.review_item decides; the page only hides
the form). `ditolak otomatis` is shown where the levels below are not complete."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlmodel import Session, col, select

from spbe.domain.assignment import conflict_of_interest
from spbe.domain.snapshot import CycleSnapshot, ItemState
from spbe.evidence_files import REF_PREFIX
from spbe.messages import tanggal_jam
from spbe.portal.views import _files, deadlines, evidence_entries
from spbe.services.cycles import framework_of
from spbe.services.snapshot import take_snapshot
from spbe.store import models as m
from spbe.store import tables_items as t

KIND_TEXT = {"bukti_tidak_tepat": "bukti tidak tepat", "belum_diunggah": "belum diunggah"}
KINDS = tuple(KIND_TEXT.items())
STATUS_CLASS = {"belum": "missing", "proses": "submitted", "revisi": "revise", "diterima": "accepted"}


def _history(session: Session, cycle: m.Cycle, codes: list[str], names: dict[str, str]) -> dict[str, list]:
    """Every version and review of these items, newest first, in two queries."""
    out: dict[str, list[tuple]] = defaultdict(list)
    if not codes:
        return {}
    for a in session.exec(
        select(t.ItemAnswer).where(t.ItemAnswer.cycle_id == cycle.id, col(t.ItemAnswer.item_code).in_(codes))
    ):
        entry = {
            "at": tanggal_jam(a.submitted_at, cycle.timezone),
            "kind": "answer",
            "version": a.version,
            "who": names.get(a.submitted_by, a.submitted_by),
            "note": a.note,
            "refs": list(a.evidence or []),
            "late": a.late,
        }
        out[a.item_code].append((a.submitted_at, 0, a.id, entry))
    for r in session.exec(
        select(t.ItemReview).where(t.ItemReview.cycle_id == cycle.id, col(t.ItemReview.item_code).in_(codes))
    ):
        entry = {
            "at": tanggal_jam(r.reviewed_at, cycle.timezone),
            "kind": "review",
            "version": r.version,
            "who": names.get(r.reviewer, r.reviewer),
            "verdict": r.verdict + (f" ({KIND_TEXT.get(r.kind, r.kind)})" if r.kind else ""),
            "note": r.note,
            "stage": r.stage,
        }
        out[r.item_code].append((r.reviewed_at, 1, r.id, entry))
    return {code: [e for *_, e in sorted(rows, key=lambda x: x[:3], reverse=True)] for code, rows in out.items()}


def _item(i: ItemState, files, history: list[dict]) -> dict[str, Any]:
    for h in history:
        if "refs" in h:
            h["evidence"] = evidence_entries(h.pop("refs"), files)
    shown = i.shown_status
    return {
        "code": i.code,
        "official": i.official_code,
        "text": i.text,
        "level": i.level,
        "role": "pendukung" if not i.counts_as_main else "utama",
        "status": shown,
        "status_class": "revise" if i.auto_rejected else STATUS_CLASS.get(i.entered.status.value, "submitted"),
        "auto_rejected": i.auto_rejected,
        "version": i.version,
        "evidence": evidence_entries(list(i.evidence), files),
        "links_text": "\n".join(r for r in i.evidence if not r.startswith(REF_PREFIX)),
        "note": i.note,
        "late": i.late,
        "verdict": i.verdict,
        "kind": KIND_TEXT.get(i.kind or "", i.kind),
        "review_note": i.review_note,
        "history": history,
    }


def _indicators(
    session: Session, cycle: m.Cycle, snap: CycleSnapshot, items: list[ItemState], names: dict[str, str]
) -> list[dict[str, Any]]:
    framework = framework_of(cycle)
    refs = [r for i in items for r in i.evidence]
    codes = [i.code for i in items]
    history = _history(session, cycle, codes, names)
    for entries in history.values():
        refs += [r for e in entries for r in e.get("refs", [])]
    files = _files(session, cycle, refs)
    by_indicator: dict[int, list[ItemState]] = defaultdict(list)
    for i in items:
        by_indicator[i.indicator].append(i)
    info = {i.number: i for i in snap.indicators}
    out = []
    for number in sorted(by_indicator):
        rows = by_indicator[number]
        levels = []
        for level in range(1, 6):
            here = [_item(i, files, history.get(i.code, [])) for i in rows if i.level == level]
            if here:
                levels.append({"level": level, "name": framework.level_name(level, indicator=number), "items": here})
        ind = info.get(number)
        out.append(
            {
                "number": number,
                "name": ind.name if ind else f"I{number}",
                "lead": ind.owner_opd if ind else None,
                "supporting": list(snap.supporting.get(number, ())),
                "aimed": snap.aimed.get(number),
                "levels": levels,
                "answered": sum(1 for i in rows if i.version is not None),
                "total": len(rows),
                "choices": [(n, framework.level_name(n, indicator=number)) for n in range(1, 6)],
            }
        )
    return out


def opd_items_page(session: Session, cycle: m.Cycle, opd_code: str) -> dict[str, Any]:
    snap = take_snapshot(session, cycle)
    opd = snap.opds[opd_code]
    names = {p.key: p.name for p in snap.people.values()}
    external = set(snap.external_indicators)
    mine = [i for i in snap.items_of(opd_code) if i.indicator not in external]
    indicators = _indicators(session, cycle, snap, mine, names)
    required = {i.code for i in snap.required_items()}
    to_do = []
    for ind in indicators:
        ind["role"] = "pengampu" if ind["lead"] == opd_code else "pendukung"
        ind["may_aim"] = ind["lead"] == opd_code
        for level in ind["levels"]:
            for item in level["items"]:
                if item["code"] in required and item["version"] is None:
                    to_do.append({"code": item["code"], "indicator": ind["number"], "why": "belum diunggah"})
                elif item["verdict"] == "revisi":
                    to_do.append({"code": item["code"], "indicator": ind["number"], "why": "asesor meminta revisi"})
    return {
        "cycle": cycle,
        "opd": opd,
        "admin": names.get(opd.admin_key, opd.admin_key),
        "deadlines": deadlines(snap, cycle.timezone),
        "indicators": indicators,
        "to_do": to_do,
        "framework": framework_of(cycle).label,
        "by_items": True,
    }


def assessor_items_page(session: Session, cycle: m.Cycle, person_key: str) -> dict[str, Any]:
    snap = take_snapshot(session, cycle)
    person = snap.people[person_key]
    names = {p.key: p.name for p in snap.people.values()}
    external = set(snap.external_indicators)
    mine = [i for i in snap.items if i.assessor == person_key and i.indicator not in external]
    indicators = _indicators(session, cycle, snap, mine, names)
    owners = {i.code: i.owner_opd for i in mine}
    waiting = 0
    for ind in indicators:
        ind["lead_name"] = snap.opds[ind["lead"]].name if ind["lead"] in snap.opds else ind["lead"]
        for level in ind["levels"]:
            for item in level["items"]:
                owner = owners[item["code"]]
                item["owner"] = snap.opds[owner].name if owner in snap.opds else owner
                item["conflict"] = conflict_of_interest(person.opd, ind["lead"], owner, *ind["supporting"])
                item["can_review"] = item["version"] is not None and not item["conflict"]
                waiting += item["version"] is not None and item["verdict"] is None
    return {
        "cycle": cycle,
        "person": person,
        "deadlines": deadlines(snap, cycle.timezone),
        "indicators": indicators,
        "waiting": waiting,
        "kinds": KINDS,
        "by_items": True,
    }


def by_items(cycle: m.Cycle) -> bool:
    return framework_of(cycle).evidence_model == "items"


def require_items(cycle: m.Cycle) -> None:
    """Item routes exist only under an items framework: elsewhere they are "not found", like any other page."""
    from starlette.exceptions import HTTPException

    if not by_items(cycle):
        raise HTTPException(404)


def require_levels(cycle: m.Cycle) -> None:
    """Indicator routes (one claimed level) do not exist under an items framework."""
    from starlette.exceptions import HTTPException

    if by_items(cycle):
        raise HTTPException(404)
