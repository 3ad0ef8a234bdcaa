"""Self-assessment submissions, assessor reviews and the clarification thread of each indicator.

Plain functions with keyword-only arguments; the caller owns the transaction (every change and its audit
event land together or not at all). The same functions serve the CLI, the importer and the flows.

Rules decided here:
- Every submission is a new version; nothing is edited. Content identical to the latest version (same
  OPD, level, evidence, explanation, note) is a no-op, so re-importing a file adds nothing.
- Late: a version is late when it arrives at or after the self-assessment deadline (the instant the gate
  treats as passed). A version that answers a revision request (the latest review of the previous version
  said "revise") is judged against the revision phase's deadline instead: answering a request during the
  revision phase is not late. Late versions are kept and flagged, never refused.
- A review judges the latest version. The assigned assessor reviews; a coordinator may review in the
  assessor's stead (the audit event says so), so that a sick or departed assessor cannot stall the cycle.
  Conflict of interest holds for both: nobody reviews an indicator owned by their own OPD. An identical
  repeat of the last review of the same version is a no-op.
- Once the final-report phase is closed the cycle is closed: no submissions or reviews.
"""

from __future__ import annotations

import difflib
import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, func, select

from spbe import clock
from spbe.errors import InputError, RefusedError
from spbe.intake.values import MAX_EXPLANATION, MAX_NOTE, clean_text, parse_evidence, parse_level, parse_verdict
from spbe.store import models as m
from spbe.store.audit import record


@dataclass
class SubmitResult:
    submission: m.Submission
    created: bool  # False: identical to the latest version, nothing written
    answers_revision: bool = False

    @property
    def late(self) -> bool:
        return self.submission.late


@dataclass
class ReviewResult:
    review: m.Review
    submission: m.Submission
    created: bool  # False: identical to the last review of this version, nothing written
    in_stead_of: str | None = None  # the assigned assessor, when a coordinator reviewed instead


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


def submit(
    session: Session,
    *,
    cycle: m.Cycle,
    opd: str,
    indicator: int,
    level: int,
    evidence: list[str],
    actor: str,
    explanation: str | None = None,
    note: str | None = None,
    source: str = "cli",
) -> SubmitResult:
    problems: list[str] = []
    clean_level = _field(problems, "level", parse_level, level)
    urls = _field(problems, "evidence", parse_evidence, list(evidence or []))
    clean_explanation = _field(problems, "explanation", lambda v: clean_text(v, limit=MAX_EXPLANATION), explanation)
    clean_note = _field(problems, "note", lambda v: clean_text(v, limit=MAX_NOTE), note)
    if problems:
        raise InputError(problems, source=f"indicator {indicator}")
    _refuse_closed_cycle(session, cycle)
    opd_row = _opd(session, cycle, opd)
    _require_for_opd(session, cycle, opd_row, actor)
    assignment = _assignment(session, cycle, indicator)
    if assignment.owner_opd is None:
        raise RefusedError(f"indicator {indicator} has no owner OPD yet; assign one with `spbe assign` first")
    if assignment.owner_opd != opd_row.code:
        raise RefusedError(
            f"indicator {indicator} is assigned to {assignment.owner_opd}, not {opd_row.code}; "
            f"only the owning OPD submits it"
        )

    fingerprint = submission_fingerprint(
        opd=opd_row.code,
        indicator=indicator,
        level=clean_level,
        evidence=urls,
        explanation=clean_explanation,
        note=clean_note,
    )
    latest = latest_submission(session, cycle=cycle, indicator=indicator)
    last_review = _last_review(session, latest.id) if latest else None
    answers_revision = last_review is not None and last_review.verdict == "revise"
    if latest is not None and latest.fingerprint == fingerprint:
        return SubmitResult(latest, created=False, answers_revision=answers_revision)

    now = clock.now()
    deadline = _deadline(session, cycle, "revision" if answers_revision else "self-assessment")
    submission = m.Submission(
        cycle_id=cycle.id,
        indicator_number=indicator,
        opd_code=opd_row.code,
        version=(latest.version + 1) if latest else 1,
        level=clean_level,
        explanation=clean_explanation,
        evidence=urls,
        note=clean_note,
        submitted_at=now,
        submitted_by=actor,
        late=deadline is not None and now >= deadline,
        source=source,
        fingerprint=fingerprint,
    )
    session.add(submission)
    _flush(session, f"another submission for indicator {indicator} was recorded at the same moment; try again")
    record(
        session,
        cycle_id=cycle.id,
        actor=actor,
        action="submission.created",
        subject=f"indicator:{indicator}",
        detail={
            "opd": opd_row.code,
            "version": submission.version,
            "level": clean_level,
            "evidence": len(urls),
            "late": submission.late,
            "answers_revision": answers_revision,
            "source": source,
        },
    )
    return SubmitResult(submission, created=True, answers_revision=answers_revision)


def review(
    session: Session,
    *,
    cycle: m.Cycle,
    indicator: int,
    assessor: str,
    verdict: str,
    level: int | None,
    note: str | None,
    actor: str,
    source: str = "cli",
    version: int | None = None,
) -> ReviewResult:
    """Judge the latest version. `version`, when given, is the version the reviewer saw (a template row):
    if the OPD has submitted a newer one since, the review is refused rather than applied to unseen content."""
    problems: list[str] = []
    clean_verdict = _field(problems, "verdict", parse_verdict, verdict)
    clean_level = None if level is None else _field(problems, "level", parse_level, level)
    before = len(problems)
    clean_note = _field(problems, "note", lambda v: clean_text(v, limit=MAX_NOTE), note)
    if clean_verdict == "accept" and level is None:
        problems.append("level: accepting needs the validated level (1-5)")
    if clean_verdict == "revise" and clean_note is None and len(problems) == before:
        problems.append("note: a revision request needs a note saying what to fix")
    if problems:
        raise InputError(problems, source=f"indicator {indicator}")
    _refuse_closed_cycle(session, cycle)
    assignment = _assignment(session, cycle, indicator)
    person = get_person(session, cycle=cycle, key=assessor)
    entering = get_person(session, cycle=cycle, key=actor) if actor != person.key else person
    if entering.key != person.key and entering.role != "coordinator":
        raise RefusedError(f"{actor!r} may not enter a review as {person.key}: the assessor or a coordinator may")
    in_stead_of: str | None = None
    if assignment.assessor_key != person.key:
        if person.role != "coordinator":
            assigned = assignment.assessor_key or "nobody yet"
            raise RefusedError(
                f"indicator {indicator} is assigned to assessor {assigned}, not {person.key}; "
                "only the assigned assessor (or a coordinator in their stead) reviews it"
            )
        in_stead_of = assignment.assessor_key or "-"
    latest = latest_submission(session, cycle=cycle, indicator=indicator)
    if latest is None:
        raise RefusedError(f"indicator {indicator} has no submission to review yet")
    owner = assignment.owner_opd or latest.opd_code
    if person.opd_code and person.opd_code in (owner, latest.opd_code):
        raise RefusedError(
            f"conflict of interest: {person.key} belongs to {person.opd_code}, which owns indicator {indicator}; "
            "ask the coordinator to reassign the indicator to another assessor"
        )
    if version is not None and version != latest.version:
        raise RefusedError(
            f"indicator {indicator}: the review is of version {version}, but version {latest.version} has been "
            "submitted since; review the newest version (issue a fresh assessor template)"
        )

    fingerprint = review_fingerprint(
        submission_id=latest.id or 0, assessor=person.key, verdict=clean_verdict, level=clean_level, note=clean_note
    )
    last = _last_review(session, latest.id)
    if last is not None and last.fingerprint == fingerprint:
        return ReviewResult(last, latest, created=False, in_stead_of=in_stead_of)
    row = m.Review(
        cycle_id=cycle.id,
        submission_id=latest.id,
        indicator_number=indicator,
        assessor_key=person.key,
        level=clean_level,
        verdict=clean_verdict,
        note=clean_note,
        reviewed_at=clock.now(),
        source=source,
        fingerprint=fingerprint,
    )
    session.add(row)
    _flush(session, f"could not record the review of indicator {indicator}; try again")
    detail: dict[str, Any] = {
        "version": latest.version,
        "assessor": person.key,
        "verdict": clean_verdict,
        "level": clean_level,
        "source": source,
    }
    if in_stead_of:
        detail["in_stead_of"] = in_stead_of
    record(
        session,
        cycle_id=cycle.id,
        actor=actor,
        action="review.recorded",
        subject=f"indicator:{indicator}",
        reason=f"coordinator review in the stead of {in_stead_of}" if in_stead_of else None,
        detail=detail,
    )
    return ReviewResult(row, latest, created=True, in_stead_of=in_stead_of)


def thread(session: Session, *, cycle: m.Cycle, indicator: int) -> list[ThreadEntry]:
    """Who said what, when, about which version: submissions and reviews of one indicator in time order."""
    _indicator(session, cycle, indicator)
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


def get_opd(session: Session, *, cycle: m.Cycle, code: str) -> m.Opd:
    """The OPD by code, or an InputError suggesting close codes."""
    return _opd(session, cycle, code)


def _require_for_opd(session: Session, cycle: m.Cycle, opd: m.Opd, actor: str) -> None:
    """Only the OPD's own SPBE admin, or a coordinator entering what the OPD sent, records its claims."""
    from spbe.services.people import find_person

    person = find_person(session, cycle, actor)
    if person is None or not (person.role == "coordinator" or person.key == opd.admin_key):
        who = f"{actor!r} ({person.role})" if person else f"{actor!r} (not in the roster)"
        raise RefusedError(
            f"{who} may not record claims for {opd.code}: its SPBE admin ({opd.admin_key}) or a coordinator may "
            "(act as one with --as ID or SPBE_ACTOR)"
        )


def get_person(session: Session, *, cycle: m.Cycle, key: str) -> m.Person:
    row = session.exec(select(m.Person).where(m.Person.cycle_id == cycle.id, m.Person.key == key)).first()
    if row is None:
        raise InputError(f"unknown person {key!r}{_suggest(session, cycle, m.Person, 'key', key)}")
    return row


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
    last = _last_review(session, sub.id) if sub else None
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


def _field(problems: list[str], name: str, parse, value):
    try:
        return parse(value)
    except ValueError as exc:
        problems.append(f"{name}: {exc}")
        return None


def _flush(session: Session, message: str) -> None:
    try:
        session.flush()
    except IntegrityError:
        raise RefusedError(message) from None


def _refuse_closed_cycle(session: Session, cycle: m.Cycle) -> None:
    final = session.exec(select(m.Phase).where(m.Phase.cycle_id == cycle.id, m.Phase.name == "final-report")).first()
    if final is not None and final.state == "closed":
        raise RefusedError(f"cycle {cycle.code} is closed (final report closed); nothing more can be submitted")


def _deadline(session: Session, cycle: m.Cycle, phase: str) -> datetime | None:
    row = session.exec(select(m.Phase).where(m.Phase.cycle_id == cycle.id, m.Phase.name == phase)).first()
    return row.deadline_at if row else None


def _last_review(session: Session, submission_id: int | None) -> m.Review | None:
    if submission_id is None:
        return None
    return session.exec(
        select(m.Review).where(m.Review.submission_id == submission_id).order_by(m.Review.id.desc()).limit(1)
    ).first()


def _opd(session: Session, cycle: m.Cycle, code: str) -> m.Opd:
    row = session.exec(select(m.Opd).where(m.Opd.cycle_id == cycle.id, m.Opd.code == code)).first()
    if row is None:
        raise InputError(f"unknown OPD {code!r} in cycle {cycle.code}{_suggest(session, cycle, m.Opd, 'code', code)}")
    return row


def _indicator(session: Session, cycle: m.Cycle, number: int) -> m.Indicator:
    row = session.exec(
        select(m.Indicator).where(m.Indicator.cycle_id == cycle.id, m.Indicator.number == number)
    ).first()
    if row is None:
        top = session.exec(select(func.max(m.Indicator.number)).where(m.Indicator.cycle_id == cycle.id)).one()
        raise InputError(f"indicator {number} does not exist in cycle {cycle.code} (1-{top or 0})")
    return row


def _assignment(session: Session, cycle: m.Cycle, number: int) -> m.Assignment:
    _indicator(session, cycle, number)
    row = session.exec(
        select(m.Assignment).where(m.Assignment.cycle_id == cycle.id, m.Assignment.indicator_number == number)
    ).first()
    if row is None:
        raise RefusedError(f"indicator {number} has no assignment yet; run `spbe init` to load the locus")
    return row


def _suggest(session: Session, cycle: m.Cycle, model, attr: str, value: str) -> str:
    known = [getattr(r, attr) for r in session.exec(select(model).where(model.cycle_id == cycle.id))]
    close = difflib.get_close_matches(value, known, n=3, cutoff=0.6)
    return f"; did you mean {', '.join(close)}?" if close else ""
