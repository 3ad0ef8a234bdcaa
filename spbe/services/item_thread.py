"""The thread of one evidence item (Pemdi): every answer version and every judgement of it, in time order,
as the same `ThreadEntry` the indicator thread uses; and who may read it."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, col, select

from spbe.errors import RefusedError
from spbe.items.catalog import Item
from spbe.services.items import item_owner
from spbe.services.people import Actor, actor_hint, require_indicator_reader, require_person
from spbe.services.thread import ThreadEntry
from spbe.store import models as m
from spbe.store import tables_items as t


def require_item_reader(session: Session, cycle: m.Cycle, actor: Actor, *, item: Item) -> m.Person:
    """Whoever may read the item's indicator thread, and the admin and head of the OPD the item was given to."""
    try:
        return require_indicator_reader(session, cycle, actor, indicator=item.indicator)
    except RefusedError:
        person = require_person(session, cycle, actor, doing=f"membaca utas butir {item.code}")
        owner = item_owner(session, cycle=cycle, item=item)
        opd = session.exec(select(m.Opd).where(m.Opd.cycle_id == cycle.id, m.Opd.code == owner)).first()
        if opd is not None and person.key in (opd.admin_key, opd.head_key):
            return person
        raise RefusedError(
            f"{person.key!r} ({person.role}) tidak boleh membaca utas butir {item.code}: hanya koordinator, "
            f"pimpinan, OPD pengampu atau penerima butir ({owner or '-'}) dan asesornya; {actor_hint()}"
        ) from None


def item_thread(session: Session, *, cycle: m.Cycle, item: Item) -> list[ThreadEntry]:
    names = {p.key: p.name for p in session.exec(select(m.Person).where(m.Person.cycle_id == cycle.id))}
    opd_names = {o.code: o.name for o in session.exec(select(m.Opd).where(m.Opd.cycle_id == cycle.id))}
    answers = session.exec(
        select(t.ItemAnswer)
        .where(t.ItemAnswer.cycle_id == cycle.id, t.ItemAnswer.item_code == item.code)
        .order_by(col(t.ItemAnswer.version))
    ).all()
    entries: list[tuple[datetime, int, int, ThreadEntry]] = []
    for a in answers:
        entry = ThreadEntry(
            at=a.submitted_at,
            kind="submission",
            version=a.version,
            speaker=a.opd_code,
            speaker_name=opd_names.get(a.opd_code),
            entered_by=a.submitted_by,
            level=a.level,
            verdict=None,
            explanation=None,
            note=a.note,
            evidence=tuple(a.evidence or ()),
            late=a.late,
            source=a.source,
        )
        entries.append((a.submitted_at, 0, a.id or 0, entry))
    for r in session.exec(
        select(t.ItemReview).where(t.ItemReview.cycle_id == cycle.id, t.ItemReview.item_code == item.code)
    ):
        verdict = r.verdict if r.kind is None else f"{r.verdict} ({r.kind.replace('_', ' ')})"
        if r.stage != "internal":
            verdict += f" [{r.stage}]"
        entry = ThreadEntry(
            at=r.reviewed_at,
            kind="review",
            version=r.version,
            speaker=r.reviewer,
            speaker_name=names.get(r.reviewer),
            entered_by=None,
            level=None,
            verdict=verdict,
            explanation=None,
            note=r.note,
            evidence=(),
            late=False,
            source=r.source,
        )
        entries.append((r.reviewed_at, 1, r.id or 0, entry))
    entries.sort(key=lambda e: e[:3])
    return [e[3] for e in entries]
