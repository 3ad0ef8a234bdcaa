"""Who may do what: actors, roles, and the checks every door (CLI command, flow, a future portal) calls.

An actor is a roster id as typed (`--as`, SPBE_ACTOR, a field in a Prefect form), checked against the
cycle's roster: an id that is not there is refused by name. The timekeeper is not a roster id but a
`SystemActor` object that only code can pass: typing "system:timekeeper" into a form or a flag gives a
string, which the roster does not know, so it is refused like any other stranger. What the timekeeper may
do is only what the timeline makes due (open a phase whose opening has come, judge a gate).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlmodel import Session, select

from spbe.errors import RefusedError
from spbe.i18n import N_, _
from spbe.services.lookup import find_person
from spbe.store import models as m

if TYPE_CHECKING:
    from spbe.roster import Roster


@dataclass(frozen=True)
class SystemActor:
    """An actor that is code, not a person; its id is what the audit trail shows."""

    id: str

    def __str__(self) -> str:
        return self.id


TIMEKEEPER = SystemActor("system:timekeeper")

Actor = str | SystemActor


def actor_id(actor: Actor) -> str:
    """What the audit trail and the rows record as the actor."""
    return str(actor)


ROLE_WORDS = {
    "coordinator": N_("coordinator"),
    "assessor": N_("assessor"),
    "admin": N_("SPBE admin of an OPD"),
    "head": N_("head of an OPD"),
    "leadership": N_("leadership"),
}


def role_text(role: str) -> str:
    """A roster role as a person reads it ("koordinator", "asesor")."""
    return _(ROLE_WORDS[role]) if role in ROLE_WORDS else role


def actor_hint() -> str:
    """How to act as someone else: the tail of every role refusal."""
    return _("act as someone else with --as ID or SPBE_ACTOR")


def require_person(session: Session, cycle: m.Cycle, actor: Actor, *, doing: str) -> m.Person:
    """Anyone in the cycle's roster; an unknown id (or a system actor) is refused by name.

    `doing` is what the actor tried, already in the reader's language (`_("open phase {name}")`)."""
    person = None if isinstance(actor, SystemActor) else find_person(session, cycle, actor)
    if person is None:
        raise RefusedError(
            _("{actor!r} is not in the roster of cycle {cycle}: may not {doing}; {hint}").format(
                actor=actor_id(actor), cycle=cycle.code, doing=doing, hint=actor_hint()
            )
        )
    return person


def require_role(session: Session, cycle: m.Cycle, actor: Actor, *, roles: Iterable[str], doing: str) -> m.Person:
    """A person of the roster with one of `roles`."""
    roles = tuple(roles)
    person = require_person(session, cycle, actor, doing=doing)
    if person.role not in roles:
        raise RefusedError(
            _("{actor!r} has role {role}: only {roles} may {doing}; {hint}").format(
                actor=person.key,
                role=role_text(person.role),
                roles=_(" or ").join(role_text(r) for r in roles),
                doing=doing,
                hint=actor_hint(),
            )
        )
    return person


def require_coordinator(session: Session, cycle: m.Cycle, actor: Actor, *, doing: str) -> m.Person:
    person = None if isinstance(actor, SystemActor) else find_person(session, cycle, actor)
    if person is None or person.role != "coordinator":
        coordinators = ", ".join(
            p.key
            for p in session.exec(select(m.Person).where(m.Person.cycle_id == cycle.id, m.Person.role == "coordinator"))
        )
        who = (
            _("{actor!r} has role {role}").format(actor=actor_id(actor), role=role_text(person.role))
            if person
            else _("{actor!r} is not in the roster").format(actor=actor_id(actor))
        )
        raise RefusedError(
            _("{who}: only a coordinator may {doing} (coordinators: {coordinators}; {hint})").format(
                who=who, doing=doing, coordinators=coordinators, hint=actor_hint()
            )
        )
    return person


def require_coordinator_or_timekeeper(session: Session, cycle: m.Cycle, actor: Actor, *, doing: str) -> None:
    """What can change a phase on its own (a gate check at the deadline): the timekeeper, or a coordinator."""
    if actor is not TIMEKEEPER:
        require_coordinator(session, cycle, actor, doing=doing)


def require_opd_admin(session: Session, cycle: m.Cycle, opd: m.Opd, actor: Actor) -> None:
    """Only the OPD's own SPBE admin, or a coordinator entering what the OPD sent, records its claims."""
    person = None if isinstance(actor, SystemActor) else find_person(session, cycle, actor)
    if person is None or not (person.role == "coordinator" or person.key == opd.admin_key):
        who = (
            f"{actor_id(actor)!r} ({role_text(person.role)})"
            if person
            else _("{actor!r} (not in the roster)").format(actor=actor_id(actor))
        )
        raise RefusedError(
            _("{who} may not record claims for {opd}: its SPBE admin ({admin}) or a coordinator may ({hint})").format(
                who=who, opd=opd.code, admin=opd.admin_key, hint=actor_hint()
            )
        )


def require_template_issuer(session: Session, cycle: m.Cycle, actor: Actor, *, kind: str, subject: str) -> m.Person:
    """An OPD's template (its indicators and claims) goes to its own admin or a coordinator; an assessor's
    (the review queue: other OPDs' claims, links and notes) to that assessor or a coordinator."""
    doing = (
        _("take the template of OPD {subject}") if kind == "opd" else _("take the template of assessor {subject}")
    ).format(subject=subject)
    person = require_person(session, cycle, actor, doing=doing)
    if person.role == "coordinator":
        return person
    if kind == "opd":
        opd = session.exec(select(m.Opd).where(m.Opd.cycle_id == cycle.id, m.Opd.code == subject)).first()
        if opd is not None and opd.admin_key == person.key:
            return person
        owner = _("the SPBE admin of {opd}").format(opd=subject) + (f" ({opd.admin_key})" if opd is not None else "")
    else:
        if person.key == subject:
            return person
        owner = _("assessor {key} themselves").format(key=subject)
    raise RefusedError(
        _("{actor!r} ({role}) may not {doing}: only {owner} or a coordinator may; {hint}").format(
            actor=person.key, role=role_text(person.role), doing=doing, owner=owner, hint=actor_hint()
        )
    )


def require_indicator_reader(session: Session, cycle: m.Cycle, actor: Actor, *, indicator: int) -> m.Person:
    """An indicator's thread (claims, evidence, notes): coordinators and leadership, the owning OPD's admin
    and head, and its assigned assessor."""
    doing = _("read the thread of indicator {indicator}").format(indicator=indicator)
    person = require_person(session, cycle, actor, doing=doing)
    if person.role in ("coordinator", "leadership"):
        return person
    assignment = session.exec(
        select(m.Assignment).where(m.Assignment.cycle_id == cycle.id, m.Assignment.indicator_number == indicator)
    ).first()
    owner = assignment.owner_opd if assignment else None
    opd = session.exec(select(m.Opd).where(m.Opd.cycle_id == cycle.id, m.Opd.code == owner)).first() if owner else None
    if assignment is not None and assignment.assessor_key == person.key:
        return person
    if opd is not None and person.key in (opd.admin_key, opd.head_key):
        return person
    raise RefusedError(
        _(
            "{actor!r} ({role}) may not {doing}: only coordinators, leadership, its owning OPD ({owner}) and its "
            "assessor may; {hint}"
        ).format(actor=person.key, role=role_text(person.role), doing=doing, owner=owner or "-", hint=actor_hint())
    )


def require_coordinator_in(roster: Roster, actor: str, *, doing: str) -> None:
    """`spbe init` loads a roster: whoever loads it must be one of its coordinators."""
    coordinators = [p.id for p in roster.people if p.role == "coordinator"]
    if actor not in coordinators:
        known = any(p.id == actor for p in roster.people)
        who = (_("{actor!r} is not a coordinator") if known else _("{actor!r} is not in the roster")).format(
            actor=actor
        )
        raise RefusedError(
            _("{who}: only a coordinator may {doing} (coordinators: {coordinators}; {hint})").format(
                who=who, doing=doing, coordinators=", ".join(coordinators), hint=actor_hint()
            )
        )


def list_people(session: Session, cycle: m.Cycle, role: str | None = None) -> list[m.Person]:
    query = select(m.Person).where(m.Person.cycle_id == cycle.id)
    if role:
        query = query.where(m.Person.role == role)
    return list(session.exec(query.order_by(m.Person.id)))
