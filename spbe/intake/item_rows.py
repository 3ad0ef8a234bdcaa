"""The item-by-item forms of the two templates (Pemdi): rows an OPD fills in (its items, with the level's
criterion and the aimed level per indicator) and rows an assessor judges (answered items), and how the
importer parses, checks and applies them. The file format, signature, reading and the all-or-nothing
rule are the templates' and the importer's own (`spbe.intake.templates`, `spbe.intake.importer`): this
module only knows the columns of an item row.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlmodel import Session, select

from spbe.errors import SpbeError
from spbe.intake import layout as L
from spbe.intake.item_values import parse_item_evidence, parse_item_verdict, parse_revision_kind
from spbe.intake.reader import Row, is_blank
from spbe.intake.values import MAX_NOTE, clean_text, parse_level, parse_whole, shown
from spbe.items.catalog import indicator_label
from spbe.services import items as svc
from spbe.services.item_catalog import require_items_model
from spbe.services.snapshot import take_snapshot
from spbe.store import models as m
from spbe.store import tables_items as t

_KIND_TEXT = {"bukti_tidak_tepat": "bukti tidak tepat", "belum_diunggah": "belum diunggah"}


def opd_item_rows(session: Session, cycle: m.Cycle, opd: str) -> list[dict[str, Any]]:
    model = require_items_model(cycle, doing="menerbitkan template butir")
    snap = take_snapshot(session, cycle)
    names = {i.number: i.name for i in snap.indicators}
    lead = {i.number: i.owner_opd for i in snap.indicators}
    rows = []
    for item in snap.items_of(opd):
        criterion = model.catalog.criterion(item.indicator, item.level)
        rows.append(
            {
                "indicator": indicator_label(item.indicator),
                "indicator_name": names.get(item.indicator, ""),
                "level": item.level,
                "criterion": criterion.text if criterion else None,
                "code": item.code,
                "official_code": item.official_code or None,
                "role": item.role,
                "text": item.text,
                "status": _status(item),
                "assessor_note": item.review_note,
                "aim": snap.aimed.get(item.indicator) if lead.get(item.indicator) == opd else None,
                "evidence": list(item.evidence),
                "note": item.note,
            }
        )
    return rows


def assessor_item_rows(session: Session, cycle: m.Cycle, assessor: str) -> list[dict[str, Any]]:
    require_items_model(cycle, doing="menerbitkan template reviu butir")
    snap = take_snapshot(session, cycle)
    rows = []
    for item in snap.items:
        if item.assessor != assessor or item.version is None:
            continue
        rows.append(
            {
                "indicator": indicator_label(item.indicator),
                "level": item.level,
                "code": item.code,
                "text": item.text,
                "opd": item.owner_opd,
                "version": item.version,
                "evidence": list(item.evidence),
                "opd_note": item.note,
                "status": _status(item),
                "verdict": item.verdict,
                "kind": item.kind,
                "note": item.review_note,
            }
        )
    return rows


def _status(item) -> str:
    text = item.shown_status
    if item.version is not None:
        text = f"versi {item.version}: {text}"
    return text + (" (terlambat)" if item.late else "")


@dataclass
class ItemRow:
    row: Row
    code: str
    values: dict[str, Any]


def parse_item_row(kind: str, row: Row, problems: list[str]) -> ItemRow | None:
    before = len(problems)
    code = row.value("code")
    if is_blank(code):
        problems.append(f"{row.at('code')}: kode butir kosong")
    values: dict[str, Any] = {}
    if kind == L.OPD_ITEMS:
        values["aim"] = None if is_blank(row.value("aim")) else _parse(row, "aim", parse_level, problems)
        values["evidence"] = _parse(row, "evidence", parse_item_evidence, problems)
        values["note"] = _parse(row, "note", lambda v: clean_text(v, limit=MAX_NOTE), problems)
    else:
        version = row.value("version")
        if is_blank(version):
            problems.append(f"{row.at('code')}: butir ini belum dijawab dalam template; kosongkan barisnya")
        else:
            values["version"] = _parse(row, "version", parse_whole, problems)
        values["verdict"] = _parse(row, "verdict", parse_item_verdict, problems)
        values["kind"] = _parse(row, "kind", parse_revision_kind, problems)
        values["note"] = _parse(row, "note", lambda v: clean_text(v, limit=MAX_NOTE), problems)
    if len(problems) > before:
        return None
    return ItemRow(row, str(code).strip(), values)


def check_item_rows(
    session: Session, cycle: m.Cycle, kind: str, subject: str, rows: list[ItemRow], problems: list[str]
):
    """Every row's item exists, belongs to the file's OPD (or assessor) and appears once; aims agree."""
    model = require_items_model(cycle, doing="mengimpor butir")
    snap = take_snapshot(session, cycle)
    first: dict[str, str] = {}
    aims: dict[int, tuple[int, str]] = {}
    lead = {i.number: i.owner_opd for i in snap.indicators}
    for r in rows:
        where = r.row.at("code")
        item = model.catalog.find(r.code)
        if item is None:
            problems.append(f"{where}: butir {shown(r.code)} tidak ada dalam katalog; perbaiki kodenya")
            continue
        r.code = item.code
        if item.code in first:
            problems.append(
                f"{where}: butir {item.code} muncul lagi (pertama di {first[item.code]}); satu baris per butir"
            )
            continue
        first[item.code] = r.row.where
        state = snap.item(item.code)
        assert state is not None
        if kind == L.OPD_ITEMS:
            if state.owner_opd != subject:
                problems.append(
                    f"{where}: butir {item.code} dijawab oleh {state.owner_opd or 'belum ada OPD'}, bukan {subject}; "
                    f"hapus barisnya (berkas ini khusus {subject})"
                )
            aim = r.values.get("aim")
            if aim is not None:
                label = indicator_label(item.indicator)
                if lead.get(item.indicator) != subject:
                    problems.append(f"{r.row.at('aim')}: tingkat sasaran {label} ditetapkan OPD pengampunya")
                elif item.indicator in aims and aims[item.indicator][0] != aim:
                    problems.append(
                        f"{r.row.at('aim')}: tingkat sasaran {label} {aim}, tetapi {aims[item.indicator][0]} di "
                        f"{aims[item.indicator][1]}; tulis satu tingkat sasaran per indikator"
                    )
                else:
                    aims[item.indicator] = (aim, r.row.where)
        elif state.assessor != subject:
            problems.append(
                f"{where}: butir {item.code} dinilai asesor {state.assessor or 'belum ada'}, bukan {subject}; "
                f"hapus barisnya (berkas ini khusus {subject})"
            )
    return aims


def apply_item_rows(
    session: Session,
    *,
    cycle: m.Cycle,
    kind: str,
    actor: str,
    source: str,
    rows: list[ItemRow],
    aims: dict[int, tuple[int, str]],
    problems: list[str],
) -> tuple[list[dict[str, Any]], list[str]]:
    """Write through the item services; returns (created, unchanged) and appends what a service refused."""
    created: list[dict[str, Any]] = []
    unchanged: list[str] = []
    for indicator, (level, where) in sorted(aims.items()):
        try:
            result = svc.aim_level(session, cycle=cycle, actor=actor, indicator=indicator, level=level, source=source)
        except SpbeError as exc:
            problems.append(f"{where}: {exc}")
            continue
        if result.created:
            created.append({"indicator": indicator_label(indicator), "aim": level, "row": where})
    for r in rows:
        try:
            if kind == L.OPD_ITEMS:
                if not r.values["evidence"] and r.values["note"] is None:
                    continue  # only the aim was filled in on this row
                res = svc.submit_item(
                    session,
                    cycle=cycle,
                    actor=actor,
                    code=r.code,
                    evidence=r.values["evidence"],
                    note=r.values["note"],
                    source=source,
                )
                done, version, late = res.created, res.answer.version, res.late
            else:
                if _stale_review(session, cycle, r):
                    unchanged.append(r.code)
                    continue
                rev = svc.review_item(session, cycle=cycle, actor=actor, source=source, code=r.code, **r.values)
                done, version, late = rev.created, rev.answer.version, False
        except SpbeError as exc:
            problems.append(f"{r.row.at('code')}: {exc}")
            continue
        if done:
            created.append({"item": r.code, "version": version, "late": late, "row": r.row.where})
        else:
            unchanged.append(r.code)
    return created, unchanged


def _stale_review(session: Session, cycle: m.Cycle, r: ItemRow) -> bool:
    """A row of an older template still showing the judgement already recorded for the version it showed,
    while the OPD has answered again since: nothing to do for it (rather than refuse the whole file)."""
    answer = session.exec(
        select(t.ItemAnswer).where(
            t.ItemAnswer.cycle_id == cycle.id,
            t.ItemAnswer.item_code == r.code,
            t.ItemAnswer.version == r.values.get("version"),
        )
    ).first()
    if answer is None:
        return False
    newer = session.exec(
        select(t.ItemAnswer).where(
            t.ItemAnswer.cycle_id == cycle.id,
            t.ItemAnswer.item_code == r.code,
            t.ItemAnswer.version > answer.version,
        )
    ).first()
    if newer is None:
        return False
    last = session.exec(
        select(t.ItemReview).where(t.ItemReview.answer_id == answer.id).order_by(t.ItemReview.id.desc())  # type: ignore[union-attr]
    ).first()
    v = r.values
    return last is not None and (last.verdict, last.kind, last.note) == (v["verdict"], v["kind"], v["note"])


def _parse(row: Row, key: str, parse, problems: list[str]):
    try:
        return parse(row.value(key))
    except ValueError as exc:
        problems.append(f"{row.at(key)}: {exc}")
        return None
