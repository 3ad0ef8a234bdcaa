"""Each phase's opening work: what people are told (and, for locus, assigned) when the phase opens.

Runs inside the transaction that opens the phase; the notices come from `spbe.services.opening`.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlmodel import Session

from spbe.services.opening import RENDER_OPENING, locus_notices
from spbe.services.outbox import Notice
from spbe.services.snapshot import take_snapshot
from spbe.store import models as m


def locus(session: Session, cycle: m.Cycle, phase: m.Phase) -> list[Notice]:
    """Assign assessors where none is (part of the opening, whoever opened), then tell owners and assessors."""
    from spbe.services.assignments import auto_assign
    from spbe.services.people import TIMEKEEPER

    if any(i.assessor is None for i in take_snapshot(session, cycle).indicators):
        auto_assign(session, cycle=cycle, actor=TIMEKEEPER)
    return locus_notices(session, cycle, phase)


OPENING_WORK: dict[str, Callable[[Session, m.Cycle, m.Phase], list[Notice]]] = RENDER_OPENING | {"locus": locus}
