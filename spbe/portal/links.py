"""Personal links to the portal: who gets one, how long it lives, how it ends.

- An OPD's link opens that OPD's page and acts as its SPBE admin; an assessor's opens their review queue.
  Both expire with the cycle (the final-report deadline, or its closing) and are what every reminder and
  notice carries (`link_for`), so "how do I answer?" is one tap.
- A coordinator's link lives `COORDINATOR_HOURS` and is never sent in a message: a coordinator prints it
  for themself at the server (`spbe portal link --coordinator ID`, as that coordinator), where the roster
  and the shell already say who they are. A one-time code over their channel was the alternative; it would
  put a sign-in in the hands of the channel that is down when it matters (the digest of a failing
  channel) and needs a code table, while a coordinator always has the CLI. A leaked coordinator link is
  worth half a day, an OPD's link only that OPD's page.
- `revoke_link` ends a link at once (every page checks the store on every request); the next
  `issue_link` makes a new generation, so a revoked link never comes back to life. A new SPBE admin in the
  roster ends the old admin's link by itself: the token names the person it was made for.

Links are HMACs recomputed on demand (spbe.portal.tokens): the store keeps generations and revocations,
never a link, and nothing here logs one.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from spbe import clock
from spbe.errors import InputError, RefusedError
from spbe.i18n import _
from spbe.portal import tokens
from spbe.portal.tokens import BadToken, Claims
from spbe.services.lookup import find_phase, get_opd, get_person
from spbe.services.people import require_coordinator
from spbe.settings import get_settings
from spbe.store import models as m
from spbe.store.audit import record
from spbe.store.tables_portal import PortalGrant

COORDINATOR_HOURS = 12
ENTRY_PATH = "/masuk/"


@dataclass(frozen=True)
class IssuedLink:
    url: str
    kind: str
    subject: str
    person: str
    generation: int
    expires_at: datetime | None  # None: with the cycle (see `cycle_end`)


class LinkRefused(RefusedError):
    """A link that does not open (forged, expired, revoked, for another cycle); `reason` picks the page."""

    def __init__(self, reason: str, message: str) -> None:
        self.reason = reason
        super().__init__(message)


def signing_key() -> bytes | None:
    """The portal's key, or None when SPBE_TEMPLATE_SECRET is not set (no link can be made or opened)."""
    secret = get_settings().template_secret
    if not secret or len(secret) < 16:
        return None
    return tokens.purpose_key(secret.encode("utf-8"))


def _key_or_refuse() -> bytes:
    key = signing_key()
    if key is None:
        raise RefusedError(
            _("SPBE_TEMPLATE_SECRET (16+ characters) is not set: portal links are signed with it")
        )
    return key


def url_of(token: str) -> str:
    return get_settings().portal_base_url + ENTRY_PATH + token


def cycle_end(session: Session, cycle: m.Cycle) -> datetime | None:
    """When OPD and assessor links stop opening: the final-report deadline (None: no such phase)."""
    final = find_phase(session, cycle, "final-report")
    return None if final is None else _end_of(final)


def _grant(session: Session, cycle: m.Cycle, kind: str, subject: str) -> PortalGrant | None:
    return session.exec(
        select(PortalGrant).where(
            PortalGrant.cycle_id == cycle.id, PortalGrant.kind == kind, PortalGrant.subject == subject
        )
    ).first()


def _subject_person(session: Session, cycle: m.Cycle, kind: str, subject: str) -> str:
    """Who a link of `kind` for `subject` acts as; InputError for an unknown OPD or person, RefusedError
    for a person of the wrong role."""
    if kind == "opd":
        return get_opd(session, cycle=cycle, code=subject).admin_key
    person = get_person(session, cycle=cycle, key=subject)
    if person.role != kind:
        raise RefusedError(
            _("{person} has the role {role}, not {kind}: a {kind} link is only for a {kind}").format(
                person=repr(person.key), role=person.role, kind=kind
            )
        )
    return person.key


def link_for(session: Session, cycle: m.Cycle, person_key: str) -> str | None:
    """The link a message to `person_key` carries: an OPD admin's OPD link, an assessor's own; None for
    everybody else (coordinators sign in from the CLI, heads and leadership have nothing to answer), for a
    revoked link, after the cycle, or when links cannot be signed."""
    return links_for(session, cycle)(person_key)


def links_for(session: Session, cycle: m.Cycle) -> Callable[[str], str | None]:
    """`link_for` for many recipients at once (a reminder sweep): the roster and grants read once."""
    return links_for_many(session, [cycle])[cycle.id]  # type: ignore[index]


def links_for_many(session: Session, cycles: Sequence[m.Cycle]) -> dict[int, Callable[[str], str | None]]:
    """`links_for` of many cycles (a national sweep): each table read once for all of them."""
    key = signing_key()
    none: Callable[[str], str | None] = lambda _person: None  # noqa: E731
    if key is None:
        return {c.id: none for c in cycles}  # type: ignore[misc]
    now = clock.now()
    ids = [c.id for c in cycles]
    finals = {p.cycle_id: p for p in session.exec(
        select(m.Phase).where(col(m.Phase.cycle_id).in_(ids), m.Phase.name == "final-report")
    )}
    ends = {cid: _end_of(final) for cid, final in finals.items()}
    open_ids = [cid for cid in ids if ends.get(cid) is None or now < ends[cid]]  # type: ignore[operator]
    roles: dict[int, dict[str, str]] = {cid: {} for cid in open_ids}
    for p in session.exec(select(m.Person).where(col(m.Person.cycle_id).in_(open_ids))):
        roles[p.cycle_id][p.key] = p.role
    admin_of: dict[int, dict[str, str]] = {cid: {} for cid in open_ids}
    for o in session.exec(select(m.Opd).where(col(m.Opd.cycle_id).in_(open_ids))):
        admin_of[o.cycle_id][o.admin_key] = o.code
    grants: dict[int, dict[tuple[str, str], PortalGrant]] = {cid: {} for cid in open_ids}
    for g in session.exec(select(PortalGrant).where(col(PortalGrant.cycle_id).in_(open_ids))):
        grants[g.cycle_id][(g.kind, g.subject)] = g
    out: dict[int, Callable[[str], str | None]] = {c.id: none for c in cycles}  # type: ignore[misc]
    for cycle in cycles:
        if cycle.id in roles:
            out[cycle.id] = _linker(cycle.code, key, roles[cycle.id], admin_of[cycle.id], grants[cycle.id])  # type: ignore[index]
    return out


def _end_of(final: m.Phase) -> datetime | None:
    return final.closed_at if final.state == "closed" and final.closed_at else final.deadline_at


def _linker(
    code: str, key: bytes, roles: dict[str, str], admin_of: dict[str, str], grants: dict[tuple[str, str], PortalGrant]
) -> Callable[[str], str | None]:
    made: dict[str, str | None] = {}

    def link(person_key: str) -> str | None:
        if person_key not in made:
            if roles.get(person_key) == "assessor":
                kind, subject = "assessor", person_key
            elif person_key in admin_of:
                kind, subject = "opd", admin_of[person_key]
            else:
                made[person_key] = None
                return None
            grant = grants.get((kind, subject))
            if grant is not None and grant.revoked_at is not None:
                made[person_key] = None
            else:
                claims = Claims(code, kind, subject, person_key, grant.generation if grant else 1)
                made[person_key] = url_of(tokens.sign(claims, key))
        return made[person_key]

    return link


def _unknown_kind(kind: str) -> str:
    return _("unknown link kind {kind}; choose {kinds}").format(kind=repr(kind), kinds=", ".join(tokens.KINDS))


def issue_link(session: Session, *, cycle: m.Cycle, actor: str, kind: str, subject: str) -> IssuedLink:
    """A coordinator prints a link (a revoked one comes back as a new generation); audited, the link not."""
    if kind not in tokens.KINDS:
        raise InputError(_unknown_kind(kind))
    # who asks is checked before what is missing, so a stranger hears "no" whatever the setup
    coordinator = require_coordinator(session, cycle, actor, doing=_("create a portal link"))
    key = _key_or_refuse()
    if kind == "coordinator" and subject != coordinator.key:
        raise RefusedError(_("a coordinator link is only created by that coordinator (--as their own ID)"))
    person = _subject_person(session, cycle, kind, subject)
    now = clock.now()
    grant = _grant(session, cycle, kind, subject)
    if grant is None:
        grant = PortalGrant(cycle_id=cycle.id, kind=kind, subject=subject, changed_at=now, changed_by=actor)
        session.add(grant)
    elif grant.revoked_at is not None:
        grant.generation += 1
        grant.revoked_at, grant.revoked_by = None, None
        grant.changed_at, grant.changed_by = now, actor
    session.flush()
    expires = now + timedelta(hours=COORDINATOR_HOURS) if kind == "coordinator" else None
    claims = Claims(cycle.code, kind, subject, person, grant.generation, int(expires.timestamp()) if expires else None)
    record(
        session,
        cycle_id=cycle.id,
        actor=actor,
        action="portal.link_issued",
        subject=f"{kind}:{subject}",
        detail={"generation": grant.generation, "person": person, "expires": expires.isoformat() if expires else None},
    )
    return IssuedLink(
        url_of(tokens.sign(claims, key)), kind, subject, person, grant.generation, expires or cycle_end(session, cycle)
    )


def revoke_link(session: Session, *, cycle: m.Cycle, actor: str, kind: str, subject: str) -> bool:
    """End a subject's link now; False when it was already revoked (nothing changes)."""
    if kind not in tokens.KINDS:
        raise InputError(_unknown_kind(kind))
    require_coordinator(session, cycle, actor, doing=_("revoke a portal link"))
    _subject_person(session, cycle, kind, subject)
    now = clock.now()
    grant = _grant(session, cycle, kind, subject)
    if grant is not None and grant.revoked_at is not None:
        return False
    if grant is None:
        grant = PortalGrant(cycle_id=cycle.id, kind=kind, subject=subject, changed_at=now, changed_by=actor)
        session.add(grant)
    grant.revoked_at, grant.revoked_by = now, actor
    session.flush()
    record(
        session,
        cycle_id=cycle.id,
        actor=actor,
        action="portal.link_revoked",
        subject=f"{kind}:{subject}",
        detail={"generation": grant.generation},
    )
    return True


def open_link(session: Session, token: str) -> tuple[m.Cycle, Claims]:
    """The cycle and claims of a token that opens now; LinkRefused with the reason otherwise. Checked on
    every request, so a revocation or a roster change takes effect at the next click."""
    key = signing_key()
    if key is None:
        raise LinkRefused("unavailable", _("The portal cannot open links yet: the signing key is not set."))
    try:
        claims = tokens.verify(token, key)
    except BadToken:
        raise LinkRefused("invalid", _("This link is not valid.")) from None
    cycle = session.exec(select(m.Cycle).where(m.Cycle.code == claims.cycle)).first()
    if cycle is None:
        raise LinkRefused("invalid", _("This link is for a cycle that does not exist here."))
    now = clock.now()
    if claims.expires is not None and now.timestamp() >= claims.expires:
        raise LinkRefused("expired", _("This coordinator link has expired."))
    end = cycle_end(session, cycle)
    if claims.kind != "coordinator" and end is not None and now >= end:
        ended = _("Cycle {cycle} has ended; this link is no longer valid.").format(cycle=cycle.code)
        raise LinkRefused("expired", ended)
    grant = _grant(session, cycle, claims.kind, claims.subject)
    generation = grant.generation if grant else 1
    if (grant is not None and grant.revoked_at is not None) or claims.generation != generation:
        raise LinkRefused("revoked", _("This link has been revoked; ask the SPBE coordinator for a new link."))
    try:
        person = _subject_person(session, cycle, claims.kind, claims.subject)
    except (InputError, RefusedError):
        raise LinkRefused("revoked", _("This link is no longer valid (the roster changed).")) from None
    if person != claims.person:
        raise LinkRefused("revoked", _("This link was made for the previous admin; ask for a new link."))
    if claims.kind == "coordinator":
        require_coordinator(session, cycle, claims.person, doing=_("open the coordinator portal"))
    return cycle, claims
