"""Who may do what: actors, roles, and the coordinator check behind every approval and override."""

from __future__ import annotations

from sqlmodel import Session, select

from spbe.errors import RefusedError
from spbe.services.lookup import find_person
from spbe.store import models as m


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


def require_opd_admin(session: Session, cycle: m.Cycle, opd: m.Opd, actor: str) -> None:
    """Only the OPD's own SPBE admin, or a coordinator entering what the OPD sent, records its claims."""
    person = find_person(session, cycle, actor)
    if person is None or not (person.role == "coordinator" or person.key == opd.admin_key):
        who = f"{actor!r} ({person.role})" if person else f"{actor!r} (not in the roster)"
        raise RefusedError(
            f"{who} may not record claims for {opd.code}: its SPBE admin ({opd.admin_key}) or a coordinator may "
            "(act as one with --as ID or SPBE_ACTOR)"
        )


def list_people(session: Session, cycle: m.Cycle, role: str | None = None) -> list[m.Person]:
    query = select(m.Person).where(m.Person.cycle_id == cycle.id)
    if role:
        query = query.where(m.Person.role == role)
    return list(session.exec(query.order_by(m.Person.id)))
