"""Finding a cycle's rows by the keys people type (phase name, OPD code, roster id, indicator number), with
one clear error each when they do not exist, and close matches suggested. Every service looks them up here."""

from __future__ import annotations

import difflib

from sqlmodel import Session, func, select

from spbe.domain.phases import ALL_PHASES, is_ministry_stage
from spbe.errors import InputError, RefusedError, SpbeError
from spbe.store import models as m


def find_phase(session: Session, cycle: m.Cycle, name: str) -> m.Phase | None:
    return session.exec(select(m.Phase).where(m.Phase.cycle_id == cycle.id, m.Phase.name == name)).first()


def get_phase(session: Session, cycle: m.Cycle, name: str) -> m.Phase:
    if name not in ALL_PHASES:
        raise SpbeError(f"unknown phase {name!r}; phases are: {', '.join(ALL_PHASES)}")
    phase = find_phase(session, cycle, name)
    if phase is None and is_ministry_stage(name):
        raise SpbeError(
            f"the cycle {cycle.code} has no ministry stage {name}: add [phases.{name}] to its cycle file "
            "and run `spbe init`"
        )
    if phase is None:
        raise SpbeError(f"phase {name} is not in the store for {cycle.code}: run `spbe init`")
    return phase


def find_person(session: Session, cycle: m.Cycle, key: str) -> m.Person | None:
    return session.exec(select(m.Person).where(m.Person.cycle_id == cycle.id, m.Person.key == key)).first()


def get_person(session: Session, *, cycle: m.Cycle, key: str) -> m.Person:
    row = find_person(session, cycle, key)
    if row is None:
        raise InputError(f"unknown person {key!r}{suggest(session, cycle, m.Person, 'key', key)}")
    return row


def get_opd(session: Session, *, cycle: m.Cycle, code: str) -> m.Opd:
    """The OPD by code, or an InputError suggesting close codes."""
    row = session.exec(select(m.Opd).where(m.Opd.cycle_id == cycle.id, m.Opd.code == code)).first()
    if row is None:
        raise InputError(f"unknown OPD {code!r} in cycle {cycle.code}{suggest(session, cycle, m.Opd, 'code', code)}")
    return row


def get_indicator(session: Session, *, cycle: m.Cycle, number: int) -> m.Indicator:
    row = session.exec(
        select(m.Indicator).where(m.Indicator.cycle_id == cycle.id, m.Indicator.number == number)
    ).first()
    if row is None:
        top = session.exec(select(func.max(m.Indicator.number)).where(m.Indicator.cycle_id == cycle.id)).one()
        raise InputError(f"indicator {number} does not exist in cycle {cycle.code} (1-{top or 0})")
    return row


def get_assignment(session: Session, *, cycle: m.Cycle, number: int) -> m.Assignment:
    get_indicator(session, cycle=cycle, number=number)
    row = session.exec(
        select(m.Assignment).where(m.Assignment.cycle_id == cycle.id, m.Assignment.indicator_number == number)
    ).first()
    if row is None:
        raise RefusedError(f"indicator {number} has no assignment yet; run `spbe init` to load the locus")
    return row


def suggest(session: Session, cycle: m.Cycle, model, attr: str, value: str) -> str:
    """"; did you mean X, Y?" for the cycle's keys closest to a mistyped one (or nothing)."""
    known = [getattr(r, attr) for r in session.exec(select(model).where(model.cycle_id == cycle.id))]
    close = difflib.get_close_matches(value, known, n=3, cutoff=0.6)
    return f"; did you mean {', '.join(close)}?" if close else ""
