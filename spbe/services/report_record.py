"""Which build is the report of record: the one the final-report gate asks about.

Apart from the report services so that the snapshot (which they read) can ask without an import cycle.
"""

from __future__ import annotations

from sqlmodel import Session, col, select

from spbe.store import models as m


def report_of_record(session: Session, cycle: m.Cycle) -> m.Report | None:
    """The build sent to leadership last; in a store from before builds were marked sent, the newest
    delivered one."""
    sent = session.exec(
        select(m.Report)
        .where(m.Report.cycle_id == cycle.id, col(m.Report.sent_at).is_not(None))
        .order_by(col(m.Report.sent_at).desc(), col(m.Report.id).desc())
    ).first()
    if sent is not None:
        return sent
    return session.exec(
        select(m.Report)
        .where(m.Report.cycle_id == cycle.id, col(m.Report.delivered_at).is_not(None))
        .order_by(col(m.Report.id).desc())
    ).first()
