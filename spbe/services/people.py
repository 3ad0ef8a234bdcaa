"""Who may do what: actors, roles, and the coordinator check behind every approval and override."""

from __future__ import annotations

from sqlmodel import Session, select

from spbe.errors import RefusedError
from spbe.store import models as m


def find_person(session: Session, cycle: m.Cycle, key: str) -> m.Person | None:
    return session.exec(select(m.Person).where(m.Person.cycle_id == cycle.id, m.Person.key == key)).first()


def require_coordinator(session: Session, cycle: m.Cycle, actor: str, *, doing: str) -> m.Person:
    person = find_person(session, cycle, actor)
    if person is None or person.role != "coordinator":
        coordinators = ", ".join(
            p.key
            for p in session.exec(select(m.Person).where(m.Person.cycle_id == cycle.id, m.Person.role == "coordinator"))
        )
        role = f"has role {person.role}" if person else "is not in the roster"
        raise RefusedError(
            f"{actor!r} {role}: only a coordinator may {doing} (coordinators: {coordinators}; "
            "act as one with --as ID or SPBE_ACTOR)"
        )
    return person


def list_people(session: Session, cycle: m.Cycle, role: str | None = None) -> list[m.Person]:
    query = select(m.Person).where(m.Person.cycle_id == cycle.id)
    if role:
        query = query.where(m.Person.role == role)
    return list(session.exec(query.order_by(m.Person.id)))
