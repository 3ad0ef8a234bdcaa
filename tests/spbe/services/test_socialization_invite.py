"""The socialization invitation asks for confirmation before the event (not by the phase's deadline, weeks
after it) and says whom to confirm to; the event's time reads as people write it."""

from __future__ import annotations

from sqlmodel import Session, select

from spbe import clock
from spbe.services.cycles import current_cycle
from spbe.services.opening_work import OPENING_WORK
from spbe.services.people import TIMEKEEPER
from spbe.services.phases import open_phase
from spbe.store import models as m
from spbe.store.db import session_scope
from spbe.store.tables_reminders import OutboxMessage
from tests.utils.store import open_store


def test_the_invitation_asks_for_confirmation_before_the_event_and_says_how(sqlite_url: str):
    engine = open_store(sqlite_url, phase="locus")
    with Session(engine) as session:
        opens = session.exec(select(m.Phase).where(m.Phase.name == "socialization")).one().opens_at
    with clock.use_clock(opens), session_scope(engine) as session:
        session.exec(select(m.Phase).where(m.Phase.name == "locus")).one().state = "closed"
        open_phase(
            session,
            cycle=current_cycle(session),
            name="socialization",
            actor=TIMEKEEPER,
            now=opens,
            opening_work=OPENING_WORK["socialization"],
        )
    with Session(engine) as session:
        invites = session.exec(select(OutboxMessage).where(OutboxMessage.phase == "socialization")).all()
        coordinator = session.exec(select(m.Person).where(m.Person.role == "coordinator")).first()
    assert len(invites) == 40
    body = invites[0].body
    assert "Waktu  : Selasa, 12 Agustus 2025 pukul 09.00 WIB" in body
    assert "paling lambat\nSenin, 11 Agustus 2025 pukul 16.00 WIB" in body  # the working day before the event
    assert "29 Agustus" not in body  # the phase's own deadline comes weeks after the event
    assert f"kepada {coordinator.name}, Koordinator SPBE" in body
