"""The demo's simulated people: their choices follow the seed alone, and stay inside the year's rules."""

from __future__ import annotations

import dataclasses
from collections import Counter
from datetime import datetime, time

import pytest
from sqlmodel import Session

from spbe.demo.participants import Cast, acts_for
from spbe.domain.snapshot import CycleSnapshot, ItemStatus
from spbe.services.cycles import current_cycle, cycle_config_for
from spbe.services.snapshot import take_snapshot
from tests.utils.store import loaded_store

EVIDENCE = "http://127.0.0.1:9/evidence"


@pytest.fixture(scope="module")
def year(tmp_path_factory):
    engine = loaded_store(f"sqlite:///{tmp_path_factory.mktemp('demo') / 'spbe.db'}")
    with Session(engine) as session:
        cycle = current_cycle(session)
        snap = take_snapshot(session, cycle)
        config = cycle_config_for(cycle.config_path)
    engine.dispose()
    return snap, config


def cast(year, seed: int) -> Cast:
    _, config = year
    return Cast(seed=seed, evidence_base=EVIDENCE, tz=config.tz, calendar=config.calendar)


def submitted(snap: CycleSnapshot, *, broken: set[int] = frozenset()) -> CycleSnapshot:
    """Every owned indicator submitted at level 4 and given an assessor, some with dead evidence."""
    items = tuple(
        dataclasses.replace(
            i,
            version=1,
            claimed_level=4,
            assessor="asr-01" if i.number % 2 else "asr-02",
            evidence=(f"{EVIDENCE}/{'missing' if i.number in broken else 'ok'}/indikator-{i.number}-v1.pdf",),
        )
        for i in snap.indicators
        if i.owner_opd
    )
    return dataclasses.replace(snap, indicators=items)


def plan(year, seed: int, phase: str, snap: CycleSnapshot | None = None):
    base, _ = year
    snap = snap or base
    return acts_for(snap, snap.phases[phase], cast(year, seed))


@pytest.mark.parametrize("phase", ["locus", "socialization", "self-assessment", "revision"])
def test_the_seed_alone_decides(year, phase):
    """Each cast draws from its own generator: a global `random` call anywhere would break the first equality."""
    snap = submitted(year[0]) if phase == "revision" else year[0]
    if phase == "revision":
        snap = dataclasses.replace(
            snap, indicators=tuple(dataclasses.replace(i, verdict="revise") for i in snap.indicators)
        )
    first = [a.as_dict() for a in plan(year, 2025, phase, snap)]
    again = [a.as_dict() for a in plan(year, 2025, phase, snap)]
    assert first and first == again
    if phase != "locus":  # the coordinator's one approval does not depend on chance
        assert [a.as_dict() for a in plan(year, 7, phase, snap)] != first


def test_self_assessment_mostly_on_time_some_late_some_never(year):
    snap, config = year
    phase = snap.phases["self-assessment"]
    owned = [i for i in snap.indicators if i.owner_opd]
    late_slot = datetime.combine(phase.deadline_at.astimezone(config.tz).date(), time(16, 20), config.tz)
    seen = Counter()
    for seed in range(1, 6):
        acts = plan(year, seed, "self-assessment")
        assert {a.kind for a in acts} == {"submit"} and len(acts) <= len(owned)
        seen["never"] += len(owned) - len(acts)
        for act in acts:
            assert act.actor == snap.opds[act.opd].admin_key  # each OPD's own admin
            assert 1 <= act.level <= 5 and act.evidence and all(e.startswith(EVIDENCE + "/") for e in act.evidence)
            assert config.calendar.is_working_day(act.at.astimezone(config.tz).date())
            assert phase.opens_at <= act.at <= phase.deadline_at or act.at == late_slot
            seen["late" if act.at > phase.deadline_at else "on time"] += 1
    total = 5 * len(owned)
    assert seen["on time"] / total > 0.8 and 0 < seen["late"] / total < 0.15 and 0 < seen["never"] / total < 0.1


def test_socialization_every_opd_attends_or_is_waived_once(year):
    snap, config = year
    acts = plan(year, 2025, "socialization")
    per_opd = Counter(a.opd for a in acts if a.kind in ("attend", "waive"))
    assert set(per_opd) == set(snap.opds) and set(per_opd.values()) == {1}
    event_day = str(snap.phases["socialization"].extra["event"]["when"])[:10]
    at_event = [a for a in acts if a.kind == "attend" and a.at.astimezone(config.tz).date().isoformat() == event_day]
    assert len(at_event) / len(snap.opds) > 0.6  # most attend the briefing itself


def test_document_review_sends_back_dead_evidence_and_accepts_no_more_than_the_truth(year):
    snap = submitted(year[0], broken={1, 32})
    actor = cast(year, 2025)
    acts = acts_for(snap, snap.phases["document-review"], actor)
    by_number = {a.indicator: a for a in acts}
    assert set(by_number) == {i.number for i in snap.indicators if i.status is ItemStatus.SUBMITTED}
    assert by_number[1].verdict == "revise" and by_number[32].verdict == "revise"
    assert "tautan" in by_number[1].note
    for act in acts:
        assert act.actor in ("asr-01", "asr-02")
        if act.verdict == "accept":
            assert act.level <= actor.true_level[act.indicator] and act.level <= 4


def test_approval_phases_are_closed_by_a_coordinator_after_the_deadline(year):
    snap, _ = year
    for name, phase in snap.phases.items():
        closes = [a for a in plan(year, 1, name) if a.kind == "close_phase"]
        if phase.close_mode == "approval":
            assert len(closes) == 1 and closes[0].actor == "koordinator" and closes[0].at > phase.deadline_at
        else:
            assert closes == []
