"""Who takes part in an indicator under Pemdi, and the values other agencies set: supporting OPDs, items
given to a supporting OPD, and external indicator values. The caller owns the transaction; every change
is audited with the real actor.

- Supporting OPDs are set per indicator by a coordinator (the whole set at once; the lead OPD is the
  indicator's owner and never its own supporter).
- An item is given to a supporting OPD of its indicator by a coordinator or by the lead OPD's admin;
  giving it back to the lead removes the row (the lead is the default owner of every item).
- An external value (I5 SDI, I6 SJIG, I7, I18) is recorded by a coordinator with the date the agency
  published it; the framework's data maps it to 1..5 (`spbe.items.externals`). Until one is recorded the
  indicator is "menunggu nilai eksternal" and valued 1. A repeat of the latest value writes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from fractions import Fraction

from sqlmodel import Session, col, select

from spbe import clock
from spbe.errors import InputError, RefusedError
from spbe.intake.values import MAX_NOTE, clean_text
from spbe.items.catalog import indicator_label
from spbe.items.externals import WAITING
from spbe.items.provenance import number_text, parse_number
from spbe.services.item_catalog import find_item, indicator_number, require_items_model
from spbe.services.lookup import get_assignment, get_opd
from spbe.services.people import Actor, actor_id, require_coordinator, require_opd_admin
from spbe.store import models as m
from spbe.store import tables_items as t
from spbe.store.audit import record


def supporting_opds(session: Session, *, cycle: m.Cycle, indicator: int) -> list[str]:
    return list(
        session.exec(
            select(t.SupportingOpd.opd_code)
            .where(t.SupportingOpd.cycle_id == cycle.id, t.SupportingOpd.indicator_number == indicator)
            .order_by(col(t.SupportingOpd.id))
        )
    )


def set_supporting(
    session: Session,
    *,
    cycle: m.Cycle,
    actor: Actor,
    indicator: int | str,
    opds: list[str],
    now: datetime | None = None,
) -> list[str]:
    """Make `opds` the supporting OPDs of an indicator (an empty list removes them all); returns the set."""
    model = require_items_model(cycle, doing="menetapkan OPD pendukung")
    number = indicator_number(model, indicator)
    label = indicator_label(number)
    require_coordinator(session, cycle, actor, doing=f"menetapkan OPD pendukung {label}")
    wanted: list[str] = []
    for code in opds:
        opd = get_opd(session, cycle=cycle, code=code.strip())
        if opd.code not in wanted:
            wanted.append(opd.code)
    lead = get_assignment(session, cycle=cycle, number=number).owner_opd
    if lead in wanted:
        raise InputError(f"{label}: {lead} adalah OPD pengampu, bukan pendukungnya")
    current = {
        s.opd_code: s
        for s in session.exec(
            select(t.SupportingOpd).where(
                t.SupportingOpd.cycle_id == cycle.id, t.SupportingOpd.indicator_number == number
            )
        )
    }
    if list(current) == wanted or set(current) == set(wanted):
        return wanted
    given = {
        o.item_code: o.opd_code
        for o in session.exec(select(t.ItemOwner).where(t.ItemOwner.cycle_id == cycle.id))
        if o.opd_code in set(current) - set(wanted)
    }
    stranded = sorted(
        code for code in given if model.catalog.find(code) and model.catalog.item(code).indicator == number
    )
    if stranded:
        raise RefusedError(
            f"{label}: butir {', '.join(stranded[:10])} masih diberikan kepada OPD yang akan dilepas; kembalikan dulu "
            f"kepada {lead} dengan `spbe assign --item KODE --to {lead}`"
        )
    at = now or clock.now()
    for code, row in current.items():
        if code not in wanted:
            session.delete(row)
    for code in wanted:
        if code not in current:
            session.add(
                t.SupportingOpd(
                    cycle_id=cycle.id,
                    indicator_number=number,
                    opd_code=code,
                    assigned_by=actor_id(actor),
                    assigned_at=at,
                )
            )
    session.flush()
    record(
        session,
        cycle_id=cycle.id,
        actor=actor_id(actor),
        action="indicator.supporting_set",
        subject=f"indicator:{number}",
        detail={"before": sorted(current), "after": wanted, "lead": lead},
    )
    return wanted


@dataclass
class GiveResult:
    code: str
    opd: str
    changed: bool


def give_item(
    session: Session, *, cycle: m.Cycle, actor: Actor, code: str, opd: str, now: datetime | None = None
) -> GiveResult:
    """Give an item to a supporting OPD of its indicator (or back to the lead OPD)."""
    model = require_items_model(cycle, doing=f"memberikan butir {code}")
    item = find_item(model, code)
    label = indicator_label(item.indicator)
    target = get_opd(session, cycle=cycle, code=opd.strip())
    lead_code = get_assignment(session, cycle=cycle, number=item.indicator).owner_opd
    if lead_code is None:
        raise RefusedError(f"butir {item.code}: {label} belum punya OPD pengampu; tetapkan dengan `spbe assign`")
    lead = get_opd(session, cycle=cycle, code=lead_code)
    try:
        require_coordinator(session, cycle, actor, doing=f"memberikan butir {item.code}")
    except RefusedError:
        require_opd_admin(session, cycle, lead, actor)  # the lead OPD's admin may hand its items on
    supporters = supporting_opds(session, cycle=cycle, indicator=item.indicator)
    if target.code != lead.code and target.code not in supporters:
        shown = ", ".join(supporters) or "belum ada"
        raise RefusedError(
            f"butir {item.code}: {target.code} bukan OPD pendukung {label} (pendukung: {shown}); tambahkan dulu "
            f"dengan `spbe assign --indicator {item.indicator} --support {target.code}`"
        )
    row = session.exec(
        select(t.ItemOwner).where(t.ItemOwner.cycle_id == cycle.id, t.ItemOwner.item_code == item.code)
    ).first()
    before = row.opd_code if row else lead.code
    if before == target.code:
        return GiveResult(item.code, target.code, changed=False)
    if target.code == lead.code:
        assert row is not None
        session.delete(row)
    elif row is None:
        session.add(
            t.ItemOwner(
                cycle_id=cycle.id,
                item_code=item.code,
                opd_code=target.code,
                assigned_by=actor_id(actor),
                assigned_at=now or clock.now(),
            )
        )
    else:
        row.opd_code, row.assigned_by, row.assigned_at = target.code, actor_id(actor), now or clock.now()
        session.add(row)
    session.flush()
    record(
        session,
        cycle_id=cycle.id,
        actor=actor_id(actor),
        action="item.given",
        subject=f"item:{item.code}",
        detail={"indicator": item.indicator, "before": before, "after": target.code},
    )
    return GiveResult(item.code, target.code, changed=True)


@dataclass
class ExternalResult:
    row: t.ExternalValue
    created: bool
    source_index: str
    formula: str


def record_external(
    session: Session,
    *,
    cycle: m.Cycle,
    actor: Actor,
    indicator: int | str,
    source_value: object,
    source_date: date | str | None,
    now: datetime | None = None,
    note: str | None = None,
) -> ExternalResult:
    """Record another agency's published index for an external indicator, mapped to 1..5 by the framework."""
    model = require_items_model(cycle, doing="mencatat nilai eksternal")
    number = indicator_number(model, indicator)
    label = indicator_label(number)
    spec = model.external(number)
    if spec is None:
        externals = ", ".join(indicator_label(e.indicator) for e in model.externals)
        raise RefusedError(
            f"{label} dinilai dari butirnya, bukan dari indeks instansi lain (indikator eksternal: {externals})"
        )
    require_coordinator(session, cycle, actor, doing=f"mencatat nilai eksternal {label}")
    at = now or clock.now()
    problems: list[str] = []
    value = parse_number(source_value)
    mapped: Fraction | None = None
    if value is None:
        problems.append(f"value: {str(source_value)[:40]!r} bukan angka ({spec.input_label})")
    else:
        try:
            mapped = spec.to_value(value)
        except ValueError as exc:
            problems.append(f"value: {exc}")
    day = _date(source_date, problems)
    if day is not None and day > at.date():
        problems.append(f"date: {day.isoformat()} belum tiba; tulis tanggal indeks itu diterbitkan")
    try:
        clean_note = clean_text(note, limit=MAX_NOTE)
    except ValueError as exc:
        problems.append(f"note: {exc}")
        clean_note = None
    if problems:
        raise InputError(problems, source=f"nilai eksternal {label}")
    assert value is not None and mapped is not None
    latest = session.exec(
        select(t.ExternalValue)
        .where(t.ExternalValue.cycle_id == cycle.id, t.ExternalValue.indicator_number == number)
        .order_by(col(t.ExternalValue.id).desc())
        .limit(1)
    ).first()
    if (
        latest is not None
        and Fraction(latest.source_value) == value
        and latest.source_date == day
        and latest.note == clean_note
    ):
        return ExternalResult(latest, False, spec.source_index, spec.describe())
    row = t.ExternalValue(
        cycle_id=cycle.id,
        indicator_number=number,
        source_value=str(value),
        value=str(mapped),
        source_date=day,
        recorded_by=actor_id(actor),
        recorded_at=at,
        note=clean_note,
    )
    session.add(row)
    session.flush()
    record(
        session,
        cycle_id=cycle.id,
        actor=actor_id(actor),
        action="external.recorded",
        subject=f"indicator:{number}",
        detail={
            "source_index": spec.source_index,
            "source_value": number_text(value),
            "value": number_text(mapped),
            "source_date": day.isoformat() if day else None,
            "before": None if latest is None else latest.source_value,
            "was": WAITING if latest is None else "nilai eksternal",
        },
    )
    return ExternalResult(row, True, spec.source_index, spec.describe())


def _date(raw: date | str | None, problems: list[str]) -> date | None:
    if raw is None or isinstance(raw, date):
        if raw is None:
            problems.append("date: kosong; tulis tanggal indeks itu diterbitkan (YYYY-MM-DD)")
        return raw
    try:
        return date.fromisoformat(str(raw).strip())
    except ValueError:
        problems.append(f"date: {str(raw)[:40]!r} bukan tanggal; tulis YYYY-MM-DD (mis. 2026-05-01)")
        return None
