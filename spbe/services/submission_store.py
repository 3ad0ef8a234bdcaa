"""Reading and fingerprinting what was submitted and reviewed: the latest version, the last review of a
version, and the content hashes that make re-importing a file a no-op."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from spbe.errors import RefusedError
from spbe.store import models as m


def latest_submission(session: Session, *, cycle: m.Cycle, indicator: int) -> m.Submission | None:
    return session.exec(
        select(m.Submission)
        .where(m.Submission.cycle_id == cycle.id, m.Submission.indicator_number == indicator)
        .order_by(m.Submission.version.desc())
        .limit(1)
    ).first()


def latest_reviews(session: Session, *, cycle: m.Cycle) -> dict[int, m.Review]:
    """The last review of each submission version (by submission id)."""
    out: dict[int, m.Review] = {}
    for r in session.exec(select(m.Review).where(m.Review.cycle_id == cycle.id).order_by(m.Review.id)):
        out[r.submission_id] = r
    return out


def last_review(session: Session, submission_id: int | None) -> m.Review | None:
    if submission_id is None:
        return None
    return session.exec(
        select(m.Review).where(m.Review.submission_id == submission_id).order_by(m.Review.id.desc()).limit(1)
    ).first()


def unchanged_since(session: Session, *, cycle: m.Cycle, indicator: int, at: datetime, fingerprint: str) -> bool:
    """Is `fingerprint` the content of the version that was the latest at `at` (a template's issue time)?

    A row of a file issued before a newer version was submitted, left as it was prefilled, is not a new
    claim: importing it must not bring the old content back as the newest version."""
    then = session.exec(
        select(m.Submission)
        .where(
            m.Submission.cycle_id == cycle.id,
            m.Submission.indicator_number == indicator,
            m.Submission.submitted_at <= at,
        )
        .order_by(m.Submission.version.desc())
        .limit(1)
    ).first()
    return then is not None and then.fingerprint == fingerprint


def review_recorded(
    session: Session,
    *,
    cycle: m.Cycle,
    indicator: int,
    version: int,
    assessor: str,
    verdict: str,
    level: int | None,
    note: str | None,
) -> bool:
    """Is this exactly the last review already recorded for `version`? (a prefilled row of an older template)"""
    sub = session.exec(
        select(m.Submission).where(
            m.Submission.cycle_id == cycle.id,
            m.Submission.indicator_number == indicator,
            m.Submission.version == version,
        )
    ).first()
    last = last_review(session, sub.id) if sub else None
    return last is not None and last.fingerprint == review_fingerprint(
        submission_id=sub.id or 0, assessor=assessor, verdict=verdict, level=level, note=note
    )


def review_fingerprint(*, submission_id: int, assessor: str, verdict: str, level: int | None, note: str | None) -> str:
    return _digest(
        {"submission": submission_id, "assessor": assessor, "verdict": verdict, "level": level, "note": note}
    )


def submission_fingerprint(
    *, opd: str, indicator: int, level: int, evidence: list[str], explanation: str | None, note: str | None
) -> str:
    return _digest(
        {
            "opd": opd,
            "indicator": indicator,
            "level": level,
            "evidence": list(evidence),
            "explanation": explanation,
            "note": note,
        }
    )


def _digest(content: dict[str, Any]) -> str:
    text = json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def flush_or_refuse(session: Session, message: str) -> None:
    try:
        session.flush()
    except IntegrityError:
        raise RefusedError(message) from None


def item_answer_fingerprint(*, opd: str, code: str, evidence: list[str], note: str | None) -> str:
    return _digest({"opd": opd, "item": code, "evidence": list(evidence), "note": note})


def item_review_fingerprint(
    *, answer_id: int, reviewer: str, verdict: str, kind: str | None, note: str | None, stage: str
) -> str:
    return _digest(
        {"answer": answer_id, "reviewer": reviewer, "verdict": verdict, "kind": kind, "note": note, "stage": stage}
    )
