"""Gate rules as pure functions of a snapshot and the clock; every unmet condition names its subject."""

from __future__ import annotations

from datetime import timedelta

from spbe.domain.gates import evaluate
from tests.utils.snapshots import DEADLINE, item, make_snapshot, reviewed, submitted

BEFORE = DEADLINE - timedelta(days=1)
AFTER = DEADLINE + timedelta(minutes=1)


def kinds(result) -> list[tuple[str, int | None, str | None]]:
    return [(o.kind, o.indicator, o.opd) for o in result.outstanding]


def test_locus_holds_when_complete_conflict_free_and_approved():
    assert evaluate(make_snapshot(), "locus", BEFORE).met


def test_locus_names_missing_owner_assessor_conflict_and_approval():
    snap = make_snapshot([item(1, None, "asr-a"), item(2, "B", None), item(3, "A", "asr-a")], approved=False)
    result = evaluate(snap, "locus", BEFORE)
    assert not result.met
    assert kinds(result) == [
        ("no_owner", 1, None),
        ("no_assessor", 2, "B"),
        ("conflict_of_interest", 3, "A"),
        ("not_approved", None, None),
    ]
    assert all(o.recipient(snap) == "koordinator" for o in result.outstanding)
    assert "asesor asr-a berasal dari OPD pemilik A" in result.outstanding[2].text


def test_socialization_attendance_or_waiver():
    snap = make_snapshot(attendance={"A": (False, None), "B": (True, "dinas luar")})
    result = evaluate(snap, "socialization", BEFORE)
    assert kinds(result) == [("not_attended", None, "C")]
    assert result.outstanding[0].recipient(snap) == "adm-c"
    assert result.notes == ("B: dibebaskan (dinas luar)",)
    full = make_snapshot(attendance={"A": (False, None), "B": (True, "x"), "C": (False, None)})
    assert evaluate(full, "socialization", BEFORE).met


def test_self_assessment_before_and_after_deadline():
    a, b, c = make_snapshot().indicators
    snap = make_snapshot([submitted(a), submitted(b, evidence=()), c])
    before = evaluate(snap, "self-assessment", BEFORE)
    assert not before.met
    assert kinds(before) == [("missing_evidence", 2, "B"), ("missing_submission", 3, "C")]
    assert (before.done, before.total) == (1, 3)
    after = evaluate(snap, "self-assessment", AFTER)
    assert after.met and after.deadline_passed
    assert any("belum ada isian dari C" in n for n in after.notes)  # late and missing ones are listed


def test_self_assessment_lists_late_submissions():
    a, b, c = make_snapshot().indicators
    snap = make_snapshot([submitted(a), submitted(b, late=True), submitted(c)])
    result = evaluate(snap, "self-assessment", AFTER)
    assert result.met and result.notes == ("indikator 2 (B) diisi terlambat",)


def test_document_review_needs_a_review_of_every_submission():
    a, b, c = make_snapshot().indicators
    snap = make_snapshot([reviewed(submitted(a), "accept"), submitted(b), c])
    result = evaluate(snap, "document-review", BEFORE)
    assert kinds(result) == [("awaiting_review", 2, "B")]
    assert result.outstanding[0].recipient(snap) == "asr-a"  # the assessor must act, not the OPD
    assert evaluate(
        make_snapshot([reviewed(submitted(a), "accept"), reviewed(submitted(b), "revise"), c]),
        "document-review",
        BEFORE,
    ).met


def test_revision_answered_and_rereviewed_or_deadline():
    a, b, c = make_snapshot().indicators
    sent_back = reviewed(submitted(a), "revise")
    answered = submitted(reviewed(submitted(b), "revise"), version=2)
    done = reviewed(submitted(reviewed(submitted(c), "revise"), version=2), "accept")
    snap = make_snapshot([sent_back, answered, done])
    result = evaluate(snap, "revision", BEFORE)
    assert kinds(result) == [("revision_requested", 1, "A"), ("awaiting_rereview", 2, "B")]
    assert [o.recipient(snap) for o in result.outstanding] == ["adm-a", "asr-a"]
    assert (result.done, result.total) == (1, 3)
    assert evaluate(snap, "revision", AFTER).met


def test_final_report_built_and_delivered():
    assert kinds(evaluate(make_snapshot(), "final-report", BEFORE)) == [("report_not_built", None, None)]
    assert kinds(evaluate(make_snapshot(report=(True, False)), "final-report", BEFORE)) == [
        ("report_not_delivered", None, None)
    ]
    assert evaluate(make_snapshot(report=(True, True)), "final-report", BEFORE).met
