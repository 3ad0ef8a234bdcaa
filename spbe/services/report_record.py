"""Which build is the report of record: the one the final-report gate asks about.

Apart from the report services so that the snapshot (which they read) can ask without an import cycle.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import or_
from sqlmodel import Session, col, select

from spbe.store import models as m


def report_of_record(session: Session, cycle: m.Cycle) -> m.Report | None:
    """The build sent to leadership last; in a store from before builds were marked sent, the newest
    delivered one."""
    return reports_of_record(session, [cycle.id]).get(cycle.id)  # type: ignore[arg-type]


def reports_of_record(session: Session, cycle_ids: Sequence[int | None]) -> dict[int, m.Report]:
    """`report_of_record` of many cycles in one query: cycle id → its report of record (absent: none)."""
    best: dict[int, tuple[tuple, m.Report]] = {}
    for r in session.exec(
        select(m.Report).where(
            col(m.Report.cycle_id).in_(list(cycle_ids)),
            or_(col(m.Report.sent_at).is_not(None), col(m.Report.delivered_at).is_not(None)),
        )
    ):
        # sent beats delivered-only; among sent the latest sent_at, then the highest id; else the highest id
        rank = (1, r.sent_at, r.id) if r.sent_at is not None else (0, r.id, r.id)
        if r.cycle_id not in best or rank > best[r.cycle_id][0]:
            best[r.cycle_id] = (rank, r)
    return {cid: r for cid, (_rank, r) in best.items()}
