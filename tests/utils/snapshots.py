"""Small hand-made snapshots for the pure rules (gates, reminders): no database needed."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from spbe.domain.phases import PHASES
from spbe.domain.snapshot import CycleSnapshot, IndicatorState, OpdInfo, PersonInfo, PhaseInfo

DEADLINE = datetime(2025, 9, 30, 9, 0, tzinfo=UTC)


def make_snapshot(
    indicators: list[IndicatorState] | None = None,
    *,
    attendance=None,
    approved=True,
    report=(False, False),
    state: str = "open",
) -> CycleSnapshot:
    phases = {
        name: PhaseInfo(name, name, seq, state, datetime(2025, 6, 1, tzinfo=UTC), DEADLINE, 1, "auto", False)
        for seq, name in enumerate(PHASES)
    }
    opds = {c: OpdInfo(c, f"Dinas {c}", f"adm-{c.lower()}", f"head-{c.lower()}") for c in ("A", "B", "C")}
    people = {
        "koordinator": PersonInfo("koordinator", "Koordinator", "coordinator", "A"),
        "asr-a": PersonInfo("asr-a", "Asesor A", "assessor", "A"),
        "asr-b": PersonInfo("asr-b", "Asesor B", "assessor", "B"),
    }
    for code in opds:
        people[f"adm-{code.lower()}"] = PersonInfo(f"adm-{code.lower()}", f"Admin {code}", "admin", code)
    if indicators is None:
        indicators = [item(1, "A", "asr-b"), item(2, "B", "asr-a"), item(3, "C", "asr-a")]
    return CycleSnapshot(
        1,
        "test-2025",
        2025,
        "Asia/Jakarta",
        phases,
        opds,
        people,
        tuple(indicators),
        attendance if attendance is not None else {},
        approved,
        *report,
    )


def item(number: int, owner: str | None, assessor: str | None, **kw) -> IndicatorState:
    return IndicatorState(
        number=number, name=f"Indikator {number}", weight="1.00", owner_opd=owner, assessor=assessor, **kw
    )


def submitted(
    i: IndicatorState, *, version: int = 1, level: int = 3, evidence=("https://a.example/x",), late: bool = False
) -> IndicatorState:
    return replace(
        i,
        version=version,
        claimed_level=level,
        evidence=tuple(evidence),
        submitted_at=DEADLINE,
        late=late,
        verdict=None,
    )


def reviewed(i: IndicatorState, verdict: str, level: int | None = 3) -> IndicatorState:
    rounds = i.revise_rounds + (1 if verdict == "revise" else 0)
    return replace(i, verdict=verdict, validated_level=level if verdict == "accept" else None, revise_rounds=rounds)
