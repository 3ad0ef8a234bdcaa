"""Dead letters: what could not be delivered is told to the coordinators, in the transaction that gave up on it."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlmodel import Session

from spbe.messages import render
from spbe.services.outbox import Notice, enqueue
from spbe.store import models as m
from spbe.store.audit import record

DISPATCH_ACTOR = "system:dispatcher"


def notify_dead(session: Session, cycle_id: int, dead: list[dict[str, Any]], *, max_attempts: int) -> None:
    """Tell the coordinators what could not be delivered, in one notice per batch (never about a notice of
    this kind itself, which would loop when the coordinators' own channel is the one that is down)."""
    dead = [d for d in dead if d.get("kind") != "dead_letter"]
    if not dead:
        return
    cycle = session.get(m.Cycle, cycle_id)
    people = {p.key: p for p in session.execute(select(m.Person).where(m.Person.cycle_id == cycle_id)).scalars()}
    coordinators = [p for p in people.values() if p.role == "coordinator"]
    ids = sorted(d["id"] for d in dead)
    messages = [
        {**d, "recipient_name": people[d["recipient"]].name if d["recipient"] in people else d["recipient"]}
        for d in sorted(dead, key=lambda d: d["id"])
    ]
    notices = []
    for person in coordinators:
        subject, body = render(
            "dead_letter.txt.j2",
            cycle=cycle,
            person=person,
            messages=messages,
            max_attempts=max_attempts,
        )
        key = f"{cycle.code}/dead-letter/{ids[0]}-{ids[-1]}-{len(ids)}/{person.key}"  # type: ignore[union-attr]
        notices.append(Notice(person.key, subject, body, key=key, kind="dead_letter"))
    enqueue(session, cycle_id=cycle_id, notices=notices)
    for d in dead:
        record(
            session,
            cycle_id=cycle_id,
            actor=DISPATCH_ACTOR,
            action="outbox.dead",
            subject=d["key"],
            reason=d.get("error"),
            detail={"id": d["id"], "recipient": d["recipient"]},
        )
