"""Submissions, reviews and the thread as a service, on SQLite and PostgreSQL: versions, late flags,
no-op repeats, who may review, conflict of interest at review time, and the revision loop."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlmodel import Session, select

from spbe import clock
from spbe.errors import InputError, RefusedError
from spbe.services import submissions as svc
from spbe.services.thread import thread as thread_of
from spbe.store import models as m
from spbe.store.db import session_scope
from tests.utils.intake import counts, loaded_store, set_assessors, the_cycle

SEPT = datetime(2025, 9, 10, 3, 0, tzinfo=UTC)  # during self-assessment (deadline 30 Sep 16:00 WIB = 09:00 UTC)
SA_DEADLINE = datetime(2025, 9, 30, 9, 0, tzinfo=UTC)
OCT = datetime(2025, 10, 8, 3, 0, tzinfo=UTC)
NOV = datetime(2025, 11, 10, 3, 0, tzinfo=UTC)  # revision phase (deadline 28 Nov 16:00 WIB)
DEC = datetime(2025, 12, 2, 3, 0, tzinfo=UTC)
EVIDENCE = ["https://drive.example.go.id/sk-tim-spbe.pdf"]


@pytest.fixture
def engine(database_url: str):
    return loaded_store(database_url)


def _submit(engine, at=SEPT, **kw):
    args = {"opd": "DINKOMINFO", "indicator": 1, "level": 3, "evidence": EVIDENCE} | kw
    args.setdefault("actor", f"adm-{args['opd'].lower()}")  # the OPD's own SPBE admin
    with use_at(at), session_scope(engine) as session:
        result = svc.submit(session, cycle=the_cycle(session), **args)
        return result.created, result.submission.version, result.late, result.answers_revision


def _review(engine, at=OCT, **kw):
    args = {
        "indicator": 1,
        "assessor": "asr-03",
        "verdict": "accept",
        "level": 3,
        "note": None,
        "actor": "koordinator",
    } | kw
    with use_at(at), session_scope(engine) as session:
        result = svc.review(session, cycle=the_cycle(session), **args)
        return result.created, result.review.verdict, result.submission.version, result.in_stead_of


def use_at(instant: datetime):
    return clock.use_clock(instant)


def test_every_submission_is_a_new_version_and_an_identical_one_adds_nothing(engine):
    assert _submit(engine) == (True, 1, False, False)
    before = counts(engine)
    assert _submit(engine)[:2] == (False, 1)  # same content: nothing written, not even an audit event
    assert counts(engine) == before
    assert _submit(engine, level=4)[:2] == (True, 2)
    assert _submit(engine, level=4, note="ditambah notulen")[:2] == (True, 3)
    with Session(engine) as session:
        versions = session.exec(select(m.Submission).order_by(m.Submission.version)).all()
        assert [(s.version, s.level, s.note) for s in versions] == [
            (1, 3, None),
            (2, 4, None),
            (3, 4, "ditambah notulen"),
        ]
        events = session.exec(select(m.AuditEvent).where(m.AuditEvent.action == "submission.created")).all()
        assert [e.detail["version"] for e in events] == [1, 2, 3]
        assert events[0].actor == "adm-dinkominfo" and events[0].subject == "indicator:1"
        assert events[0].at == SEPT


def test_submit_refuses_unknown_opd_unassigned_indicator_and_bad_values(engine):
    before = counts(engine)
    with pytest.raises(InputError, match=r"unknown OPD 'DINKOMINF'.*did you mean DINKOMINFO"):
        _submit(engine, opd="DINKOMINF")
    with pytest.raises(RefusedError, match=r"indicator 12 is assigned to BAPPERIDA, not DINKOMINFO"):
        _submit(engine, indicator=12)
    with pytest.raises(InputError, match=r"indicator 48 does not exist .*\(1-47\)"):
        _submit(engine, indicator=48)
    for bad, message in [
        (0, "level 0 di luar 1–5"),
        (6, "level 6 di luar 1–5"),
        (3.5, "3.5 bukan bilangan bulat"),
        ("tiga", "'tiga' bukan bilangan bulat"),
        (None, "kosong"),
    ]:
        with pytest.raises(InputError, match=message):
            _submit(engine, level=bad)
    with pytest.raises(InputError, match="bukan tautan http"):
        _submit(engine, evidence=["javascript:alert(1)"])
    with pytest.raises(InputError, match="U\\+0000"):
        _submit(engine, note="a\x00b")
    with pytest.raises(InputError) as many:
        _submit(engine, level=9, evidence=["ftp://x.example/a"], explanation="x" * 5000)
    assert len(many.value.problems) == 3  # every problem at once, not only the first
    assert counts(engine) == before


def test_formula_like_text_is_stored_as_typed(engine):
    _submit(engine, explanation='=HYPERLINK("http://evil.example","klik")', note="+62 812")
    with Session(engine) as session:
        sub = session.exec(select(m.Submission)).one()
        assert sub.explanation.startswith("=HYPERLINK") and sub.note == "+62 812"


def test_late_after_the_self_assessment_deadline_but_not_when_answering_a_revision_request(engine):
    assert _submit(engine, at=SA_DEADLINE)[2] is True  # at the deadline instant the gate counts it passed
    assert _submit(engine, indicator=2, at=SEPT)[2] is False
    _review(engine, indicator=2, verdict="revise", level=None, note="Lampirkan SK yang sudah ditandatangani")
    created, version, late, answers = _submit(
        engine, indicator=2, at=NOV, evidence=[*EVIDENCE, "https://x.example/sk.pdf"]
    )
    assert (created, version, late, answers) == (True, 2, False, True)
    _review(engine, indicator=2, verdict="revise", level=None, note="Masih kurang notulen reviu")
    assert _submit(engine, indicator=2, at=DEC, level=2)[2:] == (True, True)  # after the revision deadline
    # A spontaneous change after self-assessment (no revision requested) is late.
    _review(engine, indicator=1, verdict="accept", level=3)
    assert _submit(engine, indicator=1, at=OCT, level=4)[2:] == (True, False)


def test_review_rules(engine):
    with pytest.raises(RefusedError, match="no submission to review"):
        _review(engine)
    _submit(engine)
    with pytest.raises(RefusedError, match="assigned to assessor asr-03, not asr-04"):
        _review(engine, assessor="asr-04")
    with pytest.raises(InputError, match=r"unknown person .asr-3.*did you mean asr-03"):
        _review(engine, assessor="asr-3")
    with pytest.raises(InputError, match="'maybe' bukan keputusan"):
        _review(engine, verdict="maybe")
    with pytest.raises(InputError, match="accepting needs the validated level"):
        _review(engine, level=None)
    with pytest.raises(InputError, match="level 7 di luar 1–5"):
        _review(engine, level=7)
    with pytest.raises(InputError, match="needs a note"):
        _review(engine, verdict="revise", level=None, note="  ")
    with pytest.raises(RefusedError, match="review is of version 2, but version 1"):
        _review(engine, version=2)
    before = counts(engine)
    assert _review(engine, verdict="terima") == (True, "accept", 1, None)
    assert _review(engine, verdict="accept")[0] is False  # identical repeat: no-op
    assert counts(engine)["review"] == before["review"] + 1
    assert _review(engine, level=2)[0] is True  # a changed mind is a new review; nothing is overwritten
    with Session(engine) as session:
        assert [r.level for r in session.exec(select(m.Review).order_by(m.Review.id))] == [3, 2]


def test_conflict_of_interest_is_enforced_at_review_time(engine):
    _submit(engine)
    with session_scope(engine) as session:  # an assignment made (or edited) without the locus gate's check
        set_assessors(session, the_cycle(session), {1: "asr-01"})  # asr-01 belongs to DINKOMINFO, the owner
    before = counts(engine)
    with pytest.raises(RefusedError, match="conflict of interest: asr-01 belongs to DINKOMINFO"):
        _review(engine, assessor="asr-01")
    # A coordinator standing in is held to the same rule (both coordinators are DINKOMINFO staff).
    with pytest.raises(RefusedError, match="conflict of interest: koordinator belongs to DINKOMINFO"):
        _review(engine, assessor="koordinator")
    assert counts(engine) == before


def test_a_coordinator_may_review_in_the_assessors_stead_and_the_audit_says_so(engine):
    _submit(engine, opd="BAPPERIDA", indicator=12)
    assert _review(engine, indicator=12, assessor="koordinator", level=2) == (True, "accept", 1, "asr-01")
    with Session(engine) as session:
        event = session.exec(select(m.AuditEvent).where(m.AuditEvent.action == "review.recorded")).one()
        assert event.detail["in_stead_of"] == "asr-01" and "stead of asr-01" in event.reason


def test_revision_loop_end_to_end_and_the_thread(engine):
    _submit(engine, explanation="SK Tim SPBE 2025", at=SEPT)
    _review(engine, verdict="revise", level=2, note="SK belum ditandatangani; unggah versi final", at=OCT)
    _submit(engine, evidence=[*EVIDENCE, "https://drive.example.go.id/sk-final.pdf"], note="SK final", at=NOV)
    _review(engine, verdict="accept", level=3, note="Sesuai", at=datetime(2025, 11, 12, 3, tzinfo=UTC))
    with Session(engine) as session:
        cycle = the_cycle(session)
        entries = thread_of(session, cycle=cycle, indicator=1)
        with pytest.raises(InputError, match="indicator 99 does not exist"):
            thread_of(session, cycle=cycle, indicator=99)
    assert [(e.kind, e.version, e.speaker, e.verdict, e.level) for e in entries] == [
        ("submission", 1, "DINKOMINFO", None, 3),
        ("review", 1, "asr-03", "revise", 2),
        ("submission", 2, "DINKOMINFO", None, 3),
        ("review", 2, "asr-03", "accept", 3),
    ]
    assert entries[0].speaker_name == "Dinas Komunikasi dan Informatika" and entries[0].entered_by == "adm-dinkominfo"
    assert entries[1].speaker_name == "Hendra Handayani" and "belum ditandatangani" in entries[1].note
    assert len(entries[2].evidence) == 2 and entries[2].at == NOV
    assert entries[3].as_dict()["at"] == "2025-11-12T03:00:00+00:00"


def test_the_closed_cycle_takes_nothing(engine):
    with session_scope(engine) as session:
        final = session.exec(select(m.Phase).where(m.Phase.name == "final-report")).one()
        final.state = "closed"
        session.add(final)
    with pytest.raises(RefusedError, match="is closed"):
        _submit(engine)


def test_only_the_opds_admin_or_a_coordinator_records_its_claims(engine):
    with pytest.raises(RefusedError, match=r"'asr-03' \(asesor\) tidak boleh mencatat klaim DINKOMINFO"):
        _submit(engine, actor="asr-03")
    refusal = r"'adm-bapperida' \(admin SPBE perangkat daerah\) tidak boleh mencatat klaim DINKOMINFO"
    with pytest.raises(RefusedError, match=refusal):
        _submit(engine, actor="adm-bapperida")
    with pytest.raises(RefusedError, match="'nobody' \\(tidak ada di roster\\)"):
        _submit(engine, actor="nobody")
    assert _submit(engine, actor="koordinator")[0] is True
