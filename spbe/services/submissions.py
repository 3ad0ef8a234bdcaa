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

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import Session

from spbe import clock
from spbe.domain.assignment import conflict_of_interest
from spbe.errors import InputError, RefusedError
from spbe.intake.values import MAX_EXPLANATION, MAX_NOTE, clean_text, parse_evidence, parse_level, parse_verdict
from spbe.services.lookup import find_phase, get_assignment, get_opd, get_person
from spbe.services.people import require_opd_admin
from spbe.services.submission_store import (
    flush_or_refuse,
    last_review,
    latest_submission,
    review_fingerprint,
    submission_fingerprint,
)
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
    refuse_closed_cycle(session, cycle)
    opd_row = get_opd(session, cycle=cycle, code=opd)
    require_opd_admin(session, cycle, opd_row, actor)
    assignment = get_assignment(session, cycle=cycle, number=indicator)
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
    previous_review = last_review(session, latest.id) if latest else None
    answers_revision = previous_review is not None and previous_review.verdict == "revise"
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
    flush_or_refuse(session, f"another submission for indicator {indicator} was recorded at the same moment; try again")
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
    refuse_closed_cycle(session, cycle)
    assignment = get_assignment(session, cycle=cycle, number=indicator)
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
    if conflict_of_interest(person.opd_code, assignment.owner_opd, latest.opd_code):
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
    last = last_review(session, latest.id)
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
    flush_or_refuse(session, f"could not record the review of indicator {indicator}; try again")
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


def _field(problems: list[str], name: str, parse, value):
    try:
        return parse(value)
    except ValueError as exc:
        problems.append(f"{name}: {exc}")
        return None


def refuse_closed_cycle(session: Session, cycle: m.Cycle) -> None:
    final = find_phase(session, cycle, "final-report")
    if final is not None and final.state == "closed":
        raise RefusedError(f"cycle {cycle.code} is closed (final report closed); nothing more can be submitted")


def _deadline(session: Session, cycle: m.Cycle, phase: str) -> datetime | None:
    row = find_phase(session, cycle, phase)
    return row.deadline_at if row else None


