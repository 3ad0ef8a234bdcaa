"""A seeded cycle for report tests: six kinds of indicator history, and what the report must show."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from sqlmodel import Session, select

from spbe.domain.snapshot import CycleSnapshot, IndicatorState
from spbe.frameworks import load_framework
from spbe.report.model import assemble
from spbe.services.levels import Basis
from spbe.store import models as m

FW = load_framework("permenpanrb-59-2020")
BUILT = datetime(2025, 12, 10, 2, 0, tzinfo=UTC)


SUBMITTED = datetime(2025, 9, 20, 3, 0, tzinfo=UTC)


@dataclass
class Seeded:
    validated: dict[int, int] = field(default_factory=dict)  # what the report must score (validated basis)
    claimed: dict[int, int] = field(default_factory=dict)
    late: set[int] = field(default_factory=set)
    revise_reviews: int = 0
    missing: set[int] = field(default_factory=set)


def seed(session: Session, *, levels: dict[int, int] | None = None) -> Seeded:
    """Six kinds of indicator, by number mod 6: missing, accepted lower, revised then accepted, awaiting
    review, sent back again, accepted but late. `levels` instead accepts every indicator at that level."""
    cycle = session.exec(select(m.Cycle)).one()
    owners = {a.indicator_number: a.owner_opd for a in session.exec(select(m.Assignment))}
    out = Seeded()

    def submit(n: int, version: int, level: int, *, late: bool = False) -> m.Submission:
        sub = m.Submission(
            cycle_id=cycle.id,
            indicator_number=n,
            opd_code=owners[n] or "DINKOMINFO",
            version=version,
            level=level,
            evidence=[f"https://data.pekalongan.example/{n}/v{version}.pdf", f"https://spbe.example/{n}"],
            submitted_at=SUBMITTED + timedelta(days=version),
            submitted_by="adm",
            late=late,
        )
        session.add(sub)
        session.flush()
        return sub

    def review(sub: m.Submission, verdict: str, level: int | None) -> None:
        session.add(
            m.Review(
                cycle_id=cycle.id,
                submission_id=sub.id,
                indicator_number=sub.indicator_number,
                assessor_key="asr-01",
                level=level,
                verdict=verdict,
                reviewed_at=sub.submitted_at + timedelta(days=3),
            )
        )

    for ind in FW.indicators:
        n = ind.number
        if levels is not None:
            review(submit(n, 1, levels[n]), "accept", levels[n])
            out.validated[n] = out.claimed[n] = levels[n]
            continue
        claim = 1 + (n * 7) % 5
        kind = n % 6
        if kind == 0:
            out.missing.add(n)
            out.validated[n] = out.claimed[n] = 1
        elif kind == 1:
            review(submit(n, 1, claim), "accept", max(1, claim - 1))
            out.validated[n], out.claimed[n] = max(1, claim - 1), claim
        elif kind == 2:
            review(submit(n, 1, 5), "revise", None)
            review(submit(n, 2, claim), "accept", claim)
            out.validated[n] = out.claimed[n] = claim
            out.revise_reviews += 1
        elif kind == 3:
            submit(n, 1, claim)
            out.validated[n] = out.claimed[n] = claim
        elif kind == 4:
            review(submit(n, 1, claim), "revise", None)
            review(submit(n, 2, claim), "revise", None)
            out.validated[n] = out.claimed[n] = claim
            out.revise_reviews += 2
        else:
            review(submit(n, 1, claim, late=True), "accept", claim)
            out.validated[n] = out.claimed[n] = claim
            out.late.add(n)
    session.add(m.EvidenceCheck(cycle_id=cycle.id, url="https://spbe.example/1", status="ok", checked_at=BUILT))
    session.add(m.EvidenceCheck(cycle_id=cycle.id, url="https://spbe.example/5", status="not_found", checked_at=BUILT))
    return out


def claimed_snapshot(framework, *, year: int, level) -> CycleSnapshot:
    """A store-free snapshot: every indicator of `framework` claimed at `level`, nothing reviewed."""
    return CycleSnapshot(
        cycle_id=1,
        code=f"kota-{year}",
        year=year,
        timezone="Asia/Jakarta",
        phases={},
        opds={},
        people={},
        indicators=tuple(
            IndicatorState(i.number, i.name, str(i.weight), None, None, version=1, claimed_level=level)
            for i in framework.indicators
        ),
        attendance={},
        assignments_approved=True,
    )


def assemble_claimed(framework, *, year: int, level, **kwargs):
    """The pure report of `claimed_snapshot`, with defaults for everything the store would add."""
    args = {
        "city": "Kota Uji",
        "target_index": Decimal("4.00"),
        "target_predicate": "Memuaskan",
        "history": {},
        "basis": Basis.CLAIMED,
        "built_at": BUILT,
        "phases": (),
        "submissions": (),
        "evidence_status": {},
        "reminders_sent": None,
        **kwargs,
    }
    return assemble(snapshot=claimed_snapshot(framework, year=year, level=level), framework=framework, **args)
