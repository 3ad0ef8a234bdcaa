"""Gate rules: may a phase close? Pure functions of a snapshot and the clock.

Each rule lists what is still outstanding, each item naming the OPD, indicator or person it concerns.
The same list tells reminders who still has work (`Outstanding.recipient`), so the gate and the
reminders can never disagree about what is pending.

One copy of each rule serves both evidence models: the rules judge the snapshot's units (indicators
under `levels`, evidence items under `items`; see `spbe.domain.snapshot`). Under `items`:
- self-assessment holds when every main item up to each indicator's aimed level has evidence and every
  item-valued indicator has an aimed level (level 1 is required where none is stated yet), or the
  deadline has passed (what is missing is listed in the notes). External indicators need no items;
- document review holds when every answered item is judged (items that are ditolak otomatis included:
  their verdict counts as soon as the levels below are complete);
- revision holds when every item sent back was answered and judged again.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from spbe.domain.assignment import conflict_of_interest
from spbe.domain.snapshot import CycleSnapshot, ItemStatus, Unit
from spbe.i18n import _


@dataclass(frozen=True)
class Outstanding:
    phase: str
    kind: str  # e.g. no_assessor, conflict_of_interest, missing_submission, awaiting_review
    text: str  # what a person reads, in the process's language (spbe.i18n); the fields are for code
    indicator: int | None = None
    opd: str | None = None
    person: str | None = None  # the person who must act, when it is a person rather than an OPD
    item: str | None = None  # the evidence item's code, under an items framework

    def recipient(self, snapshot: CycleSnapshot) -> str | None:
        """The person who must act: the named person, else the OPD's SPBE admin."""
        if self.person:
            return self.person
        if self.opd and self.opd in snapshot.opds:
            return snapshot.opds[self.opd].admin_key
        return None


@dataclass(frozen=True)
class GateResult:
    phase: str
    met: bool
    deadline_passed: bool
    outstanding: tuple[Outstanding, ...]
    notes: tuple[str, ...] = ()  # e.g. late submissions, listed even when the gate holds
    done: int = 0
    total: int = 0
    per_opd: tuple[tuple[str, int, int], ...] = field(default=())  # (opd, done, total)

    @property
    def percent(self) -> float:
        return 100.0 if self.total == 0 else round(100.0 * self.done / self.total, 1)


def evaluate(snapshot: CycleSnapshot, phase: str, now: datetime) -> GateResult:
    try:
        rule = RULES[phase]
    except KeyError:
        raise KeyError(f"no gate rule for phase {phase!r}") from None
    return rule(snapshot, now)


def _passed(snapshot: CycleSnapshot, phase: str, now: datetime) -> bool:
    return now >= snapshot.phases[phase].deadline_at


def _per_opd(items: list[Unit], done: Callable[[Unit], bool]) -> tuple[tuple[str, int, int], ...]:
    table: dict[str, list[int]] = {}
    for item in items:
        row = table.setdefault(item.owner_opd or "-", [0, 0])
        row[1] += 1
        row[0] += int(done(item))
    return tuple((opd, d, t) for opd, (d, t) in table.items())


def locus(s: CycleSnapshot, now: datetime) -> GateResult:
    out: list[Outstanding] = []
    coordinator = next((p.key for p in s.people.values() if p.role == "coordinator"), None)
    for i in s.indicators:
        if not i.owner_opd:
            out.append(
                Outstanding(
                    "locus",
                    "no_owner",
                    _("indicator {number} has no owner OPD").format(number=i.number),
                    i.number,
                    person=coordinator,
                )
            )
        if not i.assessor:
            out.append(
                Outstanding(
                    "locus",
                    "no_assessor",
                    _("indicator {number} has no assessor").format(number=i.number),
                    i.number,
                    i.owner_opd,
                    coordinator,
                )
            )
        elif i.assessor not in s.people:
            out.append(
                Outstanding(
                    "locus",
                    "unknown_assessor",
                    _("indicator {number}: assessor {assessor} unknown").format(number=i.number, assessor=i.assessor),
                    i.number,
                    i.owner_opd,
                    coordinator,
                )
            )
        elif conflict_of_interest(s.people[i.assessor].opd, i.owner_opd, *s.supporting.get(i.number, ())):
            out.append(
                Outstanding(
                    "locus",
                    "conflict_of_interest",
                    (
                        _("indicator {number}: assessor {assessor} belongs to the owning OPD {opd}")
                        if conflict_of_interest(s.people[i.assessor].opd, i.owner_opd)
                        else _("indicator {number}: assessor {assessor} belongs to a supporting OPD")
                    ).format(number=i.number, assessor=i.assessor, opd=i.owner_opd),
                    i.number,
                    i.owner_opd,
                    coordinator,
                )
            )
    if not s.assignments_approved:
        out.append(
            Outstanding(
                "locus",
                "not_approved",
                _("the assignment (decree) is not approved by a coordinator"),
                person=coordinator,
            )
        )
    complete = [i for i in s.indicators if i.owner_opd and i.assessor]
    done = len(complete) + int(s.assignments_approved)  # the decree counts as one more step
    return GateResult(
        "locus",
        not out,
        _passed(s, "locus", now),
        tuple(out),
        (),
        done,
        len(s.indicators) + 1,
        _per_opd(list(s.indicators), lambda i: bool(i.owner_opd and i.assessor)),
    )


def socialization(s: CycleSnapshot, now: datetime) -> GateResult:
    out = [
        Outstanding(
            "socialization",
            "not_attended",
            _("{opd}: admin has not acknowledged the briefing").format(opd=code),
            opd=code,
        )
        for code in s.opds
        if code not in s.attendance
    ]
    waived = [
        _("{opd}: waived ({reason})").format(opd=code, reason=reason) for code, (w, reason) in s.attendance.items() if w
    ]
    per_opd = tuple((code, int(code in s.attendance), 1) for code in s.opds)
    return GateResult(
        "socialization",
        not out,
        _passed(s, "socialization", now),
        tuple(out),
        tuple(waived),
        len(s.opds) - len(out),
        len(s.opds),
        per_opd,
    )


def _outstanding(phase: str, kind: str, unit: Unit, text: str, person: str | None = None) -> Outstanding:
    return Outstanding(phase, kind, f"{unit.label}{text}", unit.indicator, unit.owner_opd, person, unit.item)


def self_assessment(s: CycleSnapshot, now: datetime) -> GateResult:
    passed = _passed(s, "self-assessment", now)
    out: list[Outstanding] = []
    aims_owed = [i for i in s.item_indicators() if i.number not in s.aimed] if s.by_items else []
    for i in aims_owed:
        out.append(
            Outstanding(
                "self-assessment",
                "missing_aim",
                _("indicator {number}: {opd} has not stated the level it aims for").format(
                    number=i.number, opd=i.owner_opd
                ),
                i.number,
                i.owner_opd,
            )
        )
    required: list[Unit] = list(s.required_items() if s.by_items else s.indicators)
    for u in required:
        if u.version is None:
            out.append(
                _outstanding(
                    "self-assessment", "missing_submission", u, _(": no submission from {opd}").format(opd=u.owner_opd)
                )
            )
        elif not u.evidence:
            out.append(
                _outstanding(
                    "self-assessment",
                    "missing_evidence",
                    u,
                    _(": submission from {opd} has no evidence").format(opd=u.owner_opd),
                )
            )
    notes = [_("{unit} ({opd}) submitted late").format(unit=u.label, opd=u.owner_opd) for u in s.units if u.late]
    if passed:
        notes += [_("after the deadline: {text}").format(text=o.text) for o in out]
    aims = len(s.item_indicators()) if s.by_items else 0
    done = sum(1 for u in required if u.complete_submission) + aims - len(aims_owed)
    return GateResult(
        "self-assessment",
        passed or not out,
        passed,
        tuple(out),
        tuple(notes),
        done,
        len(required) + aims,
        _per_opd(required, lambda u: u.complete_submission),
    )


def document_review(s: CycleSnapshot, now: datetime) -> GateResult:
    submitted = [u for u in s.units if u.version is not None]
    out = [
        _outstanding(
            "document-review",
            "awaiting_review",
            u,
            _(" (version {version}) awaits review by {assessor}").format(version=u.version, assessor=u.assessor),
            u.assessor,
        )
        for u in submitted
        if u.status is ItemStatus.SUBMITTED
    ]
    expected = s.required_items() if s.by_items else s.indicators
    notes = [_("{unit} has no submission to review").format(unit=u.label) for u in expected if u.version is None]
    return GateResult(
        "document-review",
        not out,
        _passed(s, "document-review", now),
        tuple(out),
        tuple(notes),
        len(submitted) - len(out),
        len(submitted),
        _per_opd(submitted, lambda u: u.status is not ItemStatus.SUBMITTED),
    )


def revision(s: CycleSnapshot, now: datetime) -> GateResult:
    passed = _passed(s, "revision", now)
    sent_back = [u for u in s.units if u.revise_rounds > 0]
    out: list[Outstanding] = []
    for u in sent_back:
        if u.status is ItemStatus.REVISE:
            out.append(
                _outstanding(
                    "revision",
                    "revision_requested",
                    u,
                    _(": {opd} has not answered the revision request").format(opd=u.owner_opd),
                )
            )
        elif u.status is ItemStatus.SUBMITTED:
            out.append(
                _outstanding(
                    "revision",
                    "awaiting_rereview",
                    u,
                    _(" (version {version}) awaits re-review by {assessor}").format(
                        version=u.version, assessor=u.assessor
                    ),
                    u.assessor,
                )
            )
    notes = [_("after the deadline: {text}").format(text=o.text) for o in out] if passed else []
    return GateResult(
        "revision",
        passed or not out,
        passed,
        tuple(out),
        tuple(notes),
        len(sent_back) - len(out),
        len(sent_back),
        _per_opd(sent_back, lambda u: u.status is ItemStatus.ACCEPTED),
    )


def final_report(s: CycleSnapshot, now: datetime) -> GateResult:
    out = []
    if not s.report_built:
        out.append(Outstanding("final-report", "report_not_built", _("the final report has not been built")))
    elif not s.report_delivered:
        out.append(Outstanding("final-report", "report_not_delivered", _("the final report has not been delivered")))
    done = int(s.report_built) + int(s.report_delivered)
    return GateResult("final-report", not out, _passed(s, "final-report", now), tuple(out), (), done, 2)


RULES: dict[str, Callable[[CycleSnapshot, datetime], GateResult]] = {
    "locus": locus,
    "socialization": socialization,
    "self-assessment": self_assessment,
    "document-review": document_review,
    "revision": revision,
    "final-report": final_report,
}
