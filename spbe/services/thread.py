"""The clarification thread of one indicator: who said what, when, about which version (a read model)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import Session, select

from spbe.services.lookup import get_indicator
from spbe.store import models as m


@dataclass(frozen=True)
class ThreadEntry:
    """One message of an indicator's clarification thread."""

    at: datetime
    kind: str  # submission | review
    version: int  # the version submitted, or the version the review judged
    speaker: str  # the OPD code for a submission, the assessor (or coordinator) key for a review
    speaker_name: str | None
    entered_by: str | None  # who typed or imported it (submissions)
    level: int | None  # claimed level, or the validated level of a review
    verdict: str | None
    explanation: str | None
    note: str | None
    evidence: tuple[str, ...]
    late: bool
    source: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "at": self.at.isoformat(),
            "kind": self.kind,
            "version": self.version,
            "speaker": self.speaker,
            "speaker_name": self.speaker_name,
            "entered_by": self.entered_by,
            "level": self.level,
            "verdict": self.verdict,
            "explanation": self.explanation,
            "note": self.note,
            "evidence": list(self.evidence),
            "late": self.late,
            "source": self.source,
        }


def thread(session: Session, *, cycle: m.Cycle, indicator: int) -> list[ThreadEntry]:
    """Who said what, when, about which version: submissions and reviews of one indicator in time order."""
    get_indicator(session, cycle=cycle, number=indicator)
    names = {p.key: p.name for p in session.exec(select(m.Person).where(m.Person.cycle_id == cycle.id))}
    opd_names = {o.code: o.name for o in session.exec(select(m.Opd).where(m.Opd.cycle_id == cycle.id))}
    subs = session.exec(
        select(m.Submission)
        .where(m.Submission.cycle_id == cycle.id, m.Submission.indicator_number == indicator)
        .order_by(m.Submission.version)
    ).all()
    version_of = {s.id: s.version for s in subs}
    entries: list[tuple[datetime, int, int, ThreadEntry]] = []
    for s in subs:
        entries.append(
            (
                s.submitted_at,
                0,
                s.id or 0,
                ThreadEntry(
                    at=s.submitted_at,
                    kind="submission",
                    version=s.version,
                    speaker=s.opd_code,
                    speaker_name=opd_names.get(s.opd_code),
                    entered_by=s.submitted_by,
                    level=s.level,
                    verdict=None,
                    explanation=s.explanation,
                    note=s.note,
                    evidence=tuple(s.evidence or ()),
                    late=s.late,
                    source=s.source,
                ),
            )
        )
    for r in session.exec(
        select(m.Review).where(m.Review.cycle_id == cycle.id, m.Review.indicator_number == indicator)
    ):
        entries.append(
            (
                r.reviewed_at,
                1,
                r.id or 0,
                ThreadEntry(
                    at=r.reviewed_at,
                    kind="review",
                    version=version_of.get(r.submission_id, 0),
                    speaker=r.assessor_key,
                    speaker_name=names.get(r.assessor_key),
                    entered_by=None,
                    level=r.level,
                    verdict=r.verdict,
                    explanation=None,
                    note=r.note,
                    evidence=(),
                    late=False,
                    source=r.source,
                ),
            )
        )
    entries.sort(key=lambda e: e[:3])
    return [e[3] for e in entries]
