"""The same gate rules on an items snapshot (Pemdi): units are evidence items, the self-assessment waits
for main items up to each aimed level, document review for every answered item, revision for every item
sent back; reminders get one pending entry per item."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

from spbe.domain.gates import evaluate
from spbe.domain.reminders import item_id, pending_by_recipient
from spbe.domain.snapshot import ItemState
from tests.utils.snapshots import DEADLINE, item, make_snapshot

BEFORE = DEADLINE - timedelta(days=1)
AFTER = DEADLINE + timedelta(minutes=1)


def it(code: str, indicator: int, level: int, owner: str, role: str = "utama", **kw) -> ItemState:
    return ItemState(code, indicator, level, role, f"bukti {code}", owner, "asr-a" if owner != "A" else "asr-b", **kw)


def answered(i: ItemState, *, evidence=("https://a.example/x",), verdict=None, rounds=0, kind=None) -> ItemState:
    return dataclasses.replace(i, version=1, evidence=tuple(evidence), verdict=verdict, revise_rounds=rounds, kind=kind)


def items_snapshot(items: list[ItemState], *, aimed: dict[int, int], external=(3,)):
    base = make_snapshot([item(1, "A", "asr-b"), item(2, "B", "asr-a"), item(3, "C", "asr-a")])
    return dataclasses.replace(
        base, evidence_model="items", items=tuple(items), aimed=aimed, external_indicators=tuple(external)
    )


CATALOG = [
    it("I1-L1-01", 1, 1, "A"),
    it("I1-L1-02", 1, 1, "A", role="pendukung"),
    it("I1-L2-01", 1, 2, "A"),
    it("I1-L3-01", 1, 3, "A"),
    it("I2-L1-01", 2, 1, "B"),
    it("I2-L2-01", 2, 2, "C"),  # given to a supporting OPD
    it("I3-L1-01", 3, 1, "C"),  # an external indicator: no items required
]


def test_self_assessment_waits_for_main_items_up_to_the_aimed_level_and_for_the_aims():
    snap = items_snapshot(CATALOG, aimed={1: 2})
    result = evaluate(snap, "self-assessment", BEFORE)
    assert [(o.kind, o.indicator, o.item, o.opd) for o in result.outstanding] == [
        ("missing_aim", 2, None, "B"),
        ("missing_submission", 1, "I1-L1-01", "A"),
        ("missing_submission", 1, "I1-L2-01", "A"),
        ("missing_submission", 2, "I2-L1-01", "B"),  # no aim yet: level 1 is required
    ]
    assert (result.done, result.total) == (1, 5)  # 3 items + 2 aims, one aim stated
    assert result.outstanding[1].text == "butir I1-L1-01: belum ada isian dari A"
    done = [answered(i) if i.code in ("I1-L1-01", "I1-L2-01", "I2-L1-01") else i for i in CATALOG]
    snap = items_snapshot(done, aimed={1: 2, 2: 1})
    assert evaluate(snap, "self-assessment", BEFORE).met
    no_evidence = items_snapshot([answered(CATALOG[0], evidence=()), *CATALOG[1:]], aimed={1: 1, 2: 1})
    after = evaluate(no_evidence, "self-assessment", AFTER)
    assert after.met and after.deadline_passed
    assert "setelah batas waktu: butir I1-L1-01: isian dari A belum memiliki bukti dukung" in after.notes
    assert "setelah batas waktu: butir I2-L1-01: belum ada isian dari B" in after.notes


def test_document_review_and_revision_judge_every_answered_or_sent_back_item():
    items = [
        answered(CATALOG[0], verdict="diterima"),
        answered(CATALOG[2]),
        answered(CATALOG[3]),  # above level 2: judged too (its verdict counts once level 2 is complete)
        CATALOG[4],
        answered(CATALOG[5], verdict="revisi", rounds=1, kind="bukti_tidak_tepat"),
    ]
    snap = items_snapshot(items, aimed={1: 3, 2: 2})
    review = evaluate(snap, "document-review", BEFORE)
    assert [(o.kind, o.item, o.person) for o in review.outstanding] == [
        ("awaiting_review", "I1-L2-01", "asr-b"),
        ("awaiting_review", "I1-L3-01", "asr-b"),
    ]
    assert (review.done, review.total) == (2, 4)
    assert "butir I2-L1-01 tidak memiliki isian untuk dinilai" in review.notes
    revision = evaluate(snap, "revision", BEFORE)
    assert [(o.kind, o.item, o.opd) for o in revision.outstanding] == [("revision_requested", "I2-L2-01", "C")]
    assert revision.outstanding[0].recipient(snap) == "adm-c"  # the OPD the item was given to
    answered_again = dataclasses.replace(items[4], version=2, verdict=None)
    snap = items_snapshot([*items[:4], answered_again], aimed={1: 3, 2: 2})
    assert [o.kind for o in evaluate(snap, "revision", BEFORE).outstanding] == ["awaiting_rereview"]


def test_reminders_get_one_pending_entry_per_item():
    snap = items_snapshot(CATALOG, aimed={1: 3, 2: 2})
    gate = evaluate(snap, "self-assessment", BEFORE)
    pending = pending_by_recipient(snap, gate)
    assert [o.item for o in pending["adm-a"]] == ["I1-L1-01", "I1-L2-01", "I1-L3-01"]
    ids = [item_id(o) for o in pending["adm-a"]]
    assert len(set(ids)) == 3 and ids[0] == "missing_submission:1:A::I1-L1-01"


def test_locus_counts_a_supporting_opd_as_a_conflict():
    snap = dataclasses.replace(items_snapshot(CATALOG, aimed={}), supporting={2: ("A",)})
    snap = dataclasses.replace(snap, indicators=(item(1, "A", "asr-b"), item(2, "B", "asr-a"), item(3, "C", "asr-b")))
    result = evaluate(snap, "locus", BEFORE)
    assert [(o.kind, o.indicator) for o in result.outstanding] == [("conflict_of_interest", 2)]
    assert "OPD pendukung" in result.outstanding[0].text
