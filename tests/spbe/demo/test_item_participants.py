"""The Pemdi year's simulated people (item by item): the seed alone decides, and every act stays inside the
rules the services hold them to (the lead OPD states the aim, only items up to it are answered, a sent-back
item names its kind, only sent-back items are answered again)."""

from __future__ import annotations

import dataclasses

import pytest
from sqlmodel import Session

from spbe.demo import item_participants
from spbe.demo.participants import Cast, acts_for
from spbe.domain.snapshot import CycleSnapshot, ItemStatus
from spbe.services.cycles import current_cycle, cycle_config_for
from spbe.services.snapshot import take_snapshot
from tests.conftest import ROOT
from tests.utils.store import loaded_store

EVIDENCE = "http://127.0.0.1:9/evidence"


@pytest.fixture(scope="module")
def year(tmp_path_factory):
    db = tmp_path_factory.mktemp("demo26") / "spbe.db"
    engine = loaded_store(f"sqlite:///{db}", ROOT / "config" / "pekalongan-2026.toml")
    with Session(engine) as session:
        cycle = current_cycle(session)
        snap = take_snapshot(session, cycle)
        config = cycle_config_for(cycle.config_path)
    engine.dispose()
    return snap, config


def plan(year, seed: int, phase: str, snap: CycleSnapshot | None = None):
    base, config = year
    snap = snap or base
    cast = Cast(seed=seed, evidence_base=EVIDENCE, tz=config.tz, calendar=config.calendar)
    return acts_for(snap, snap.phases[phase], cast, item_participants.PLANNERS)


def answered(snap: CycleSnapshot, acts) -> CycleSnapshot:
    """The snapshot after the self-assessment's acts: each answered item at version 1 with its evidence."""
    by_code = {a.item: a for a in acts if a.kind == "submit"}
    items = tuple(
        dataclasses.replace(i, version=1, evidence=by_code[i.code].evidence, assessor=i.assessor or "asr-01")
        if i.code in by_code
        else i
        for i in snap.items
    )
    return dataclasses.replace(snap, items=items)


@pytest.mark.parametrize("phase", ["self-assessment", "ministry-upload", "ministry-result"])
def test_the_seed_alone_decides(year, phase):
    assert plan(year, 7, phase) == plan(year, 7, phase)
    if phase == "self-assessment":
        assert plan(year, 7, phase) != plan(year, 8, phase)


def test_self_assessment_answers_items_up_to_the_aim_and_the_lead_states_it(year):
    snap, _ = year
    acts = plan(year, 2026, "self-assessment")
    submits = [a for a in acts if a.kind == "submit"]
    lead = {i.number: i.owner_opd for i in snap.indicators}
    aims: dict[int, set[int]] = {}
    for a in submits:
        item = snap.item(a.item)
        assert item is not None and item.owner_opd == a.opd and a.actor == snap.opds[a.opd].admin_key
        assert item.indicator not in snap.external_indicators
        if a.level is not None:
            assert a.opd == lead[item.indicator]  # only the lead OPD states the aim
            aims.setdefault(item.indicator, set()).add(a.level)
    assert all(len(levels) == 1 for levels in aims.values())  # one aim per indicator
    for a in submits:
        item = snap.item(a.item)
        assert item.level <= next(iter(aims.get(item.indicator, {5})))
    kinds = {"file" if e.startswith("upload:") else "link" for a in submits for e in a.evidence}
    assert kinds == {"file", "link"} and any(not a.evidence for a in submits)  # and a note without evidence
    externals = sorted(a.indicator for a in acts if a.kind == "external")
    assert externals == [5, 6, 18]  # I7's conversion is unknown: it waits for its 1-5 value


def test_document_review_sends_back_with_the_kind_the_evidence_calls_for(year):
    snap, _ = year
    after = answered(snap, plan(year, 2026, "self-assessment"))
    reviews = plan(year, 2026, "document-review", after)
    assert {a.item for a in reviews if a.kind == "review"} == {
        i.code for i in after.items if i.status is ItemStatus.SUBMITTED
    }
    for a in reviews:
        if a.kind != "review":
            continue
        item = after.item(a.item)
        if not item.evidence:
            assert (a.verdict, a.reason) == ("revisi", "belum_diunggah")
        elif any("/missing/" in e or "/private/" in e for e in item.evidence):
            assert (a.verdict, a.reason) == ("revisi", "bukti_tidak_tepat")
        else:
            assert a.verdict in ("diterima", "revisi") and (a.reason is None) == (a.verdict == "diterima")
        assert a.note


def test_revision_answers_only_sent_back_items_and_judges_them_again(year):
    snap, _ = year
    after = answered(snap, plan(year, 2026, "self-assessment"))
    sent_back = {i.code for i in list(after.items)[::3] if i.version}
    items = tuple(
        dataclasses.replace(i, verdict="revisi", kind="bukti_tidak_tepat") if i.code in sent_back else i
        for i in after.items
    )
    acts = plan(year, 2026, "revision", dataclasses.replace(after, items=items))
    answers = [a for a in acts if a.kind == "submit"]
    judged = [a for a in acts if a.kind == "review"]
    assert answers and {a.item for a in answers} <= sent_back
    assert {a.item for a in judged} == {a.item for a in answers}
    first = {a.item: a.at for a in answers}
    assert all(a.at > first[a.item] for a in judged)  # judged again after the answer
    assert all(e.startswith("upload:") for a in answers for e in a.evidence)


def test_the_ministry_stages_export_then_interviu_per_accepted_item(year):
    snap, _ = year
    accepted = tuple(dataclasses.replace(i, version=1, verdict="diterima") for i in snap.items[:5])
    snap = dataclasses.replace(snap, items=accepted + snap.items[5:])
    assert [a.kind for a in plan(year, 1, "ministry-upload", snap)] == ["export", "close_phase"]
    interviews = [a for a in plan(year, 1, "ministry-interview", snap) if a.kind == "interview"]
    assert sorted(a.item for a in interviews) == sorted(i.code for i in accepted if not i.auto_rejected)
    assert all(a.actor == (snap.item(a.item).assessor or "koordinator") for a in interviews)
    assert [a.kind for a in plan(year, 1, "ministry-result", snap)] == ["result"]
