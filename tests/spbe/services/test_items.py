"""Item-by-item evidence as a service (Pemdi 2026 on the shipped catalog), on SQLite and PostgreSQL:
answers are versions, identical ones add nothing, late flags, who may answer and judge, conflict of
interest through supporting OPDs, ditolak otomatis kept but shown, external values, the snapshot and
the index read from the store."""

from __future__ import annotations

from datetime import date
from fractions import Fraction

import pytest
from sqlmodel import Session, select

from spbe import clock
from spbe.domain.snapshot import ItemStatus
from spbe.errors import InputError, RefusedError
from spbe.frameworks import load_framework
from spbe.items.index import score_items
from spbe.services import items as svc
from spbe.services.snapshot import take_snapshot
from spbe.store import models as m
from spbe.store import tables_items as t
from spbe.store.db import session_scope
from tests.utils.intake import counts
from tests.utils.pemdi import DR_OPEN, REV_OPEN, SA_DEADLINE, SA_OPEN, pemdi_cycle, pemdi_store

LINK = "https://bukti.example/i2/sk.pdf"
ADMIN_I2 = "adm-bag-org"  # I2 is led by BAG-ORG in the fixture, judged by asr-03 (INSPEKTORAT)


@pytest.fixture
def engine(database_url: str, tmp_path):
    return pemdi_store(database_url, tmp_path)


def answer(engine, code="I2-L1-01", *, actor=ADMIN_I2, at=SA_OPEN, evidence=(LINK,), note=None):
    with clock.use_clock(at), session_scope(engine) as session:
        r = svc.submit_item(
            session, cycle=pemdi_cycle(session), actor=actor, code=code, evidence=list(evidence), note=note
        )
        return r.created, r.answer.version, r.late, r.answers_revision


def judge(engine, code="I2-L1-01", *, actor="asr-03", verdict="diterima", kind=None, note=None, at=DR_OPEN, **kw):
    with clock.use_clock(at), session_scope(engine) as session:
        return svc.review_item(
            session, cycle=pemdi_cycle(session), actor=actor, code=code, verdict=verdict, kind=kind, note=note, **kw
        )


def snapshot(engine):
    with Session(engine) as session:
        return take_snapshot(session, pemdi_cycle(session))


def test_answers_are_versions_and_an_identical_answer_adds_nothing(engine):
    assert answer(engine) == (True, 1, False, False)
    before = counts(engine)
    assert answer(engine)[:2] == (False, 1)
    assert counts(engine) == before
    assert answer(engine, note="SK ditandatangani")[:2] == (True, 2)
    assert answer(engine, code="i2-l1-01", note="SK ditandatangani")[:2] == (False, 2)  # codes are case-blind
    with Session(engine) as session:
        rows = session.exec(select(t.ItemAnswer).order_by(t.ItemAnswer.version)).all()
        assert [(a.item_code, a.version, a.opd_code, a.level, a.indicator_number) for a in rows] == [
            ("I2-L1-01", 1, "BAG-ORG", 1, 2),
            ("I2-L1-01", 2, "BAG-ORG", 1, 2),
        ]
        events = session.exec(select(m.AuditEvent).where(m.AuditEvent.action == "item.answered")).all()
        assert [(e.actor, e.subject, e.detail["version"]) for e in events] == [
            (ADMIN_I2, "item:I2-L1-01", 1),
            (ADMIN_I2, "item:I2-L1-01", 2),
        ]


def test_bad_answers_are_refused_naming_the_item_and_change_nothing(engine):
    before = counts(engine)
    with pytest.raises(InputError, match=r"butir 'I2-L1-09' tidak ada .*mungkin maksud Anda I2-L1-02, I2-L1-01"):
        answer(engine, code="I2-L1-09")
    with pytest.raises(InputError, match=r"butir I2-L1-01.*bukan tautan http"):
        answer(engine, evidence=["javascript:alert(1)"])
    with pytest.raises(InputError, match=r"berkas file:sha256:0000.*belum diunggah"):
        answer(engine, evidence=["file:sha256:" + "0" * 64])
    with pytest.raises(RefusedError, match=r"tidak boleh mencatat klaim BAG-ORG"):
        answer(engine, actor="adm-dinkominfo")  # another OPD's admin
    with pytest.raises(RefusedError, match=r"tidak boleh mencatat klaim"):
        answer(engine, actor="asr-03")
    assert counts(engine) == before


def test_late_after_the_deadline_but_not_when_answering_a_revision_request(engine):
    assert answer(engine, at=SA_DEADLINE)[2] is True
    assert answer(engine, code="I2-L1-02")[2] is False
    judge(engine, code="I2-L1-02", verdict="revisi", kind="bukti_tidak_tepat", note="SK belum ditandatangani")
    assert answer(engine, code="I2-L1-02", at=REV_OPEN, note="SK baru") == (True, 2, False, True)


def test_a_given_item_is_answered_by_its_new_owner_only(engine):
    with session_scope(engine) as session:
        cycle = pemdi_cycle(session)
        with pytest.raises(RefusedError, match=r"DINKOMINFO bukan OPD pendukung I2"):
            svc.give_item(session, cycle=cycle, actor="koordinator", code="I2-L2-01", opd="DINKOMINFO")
        with pytest.raises(RefusedError, match=r"hanya koordinator"):
            svc.set_supporting(session, cycle=cycle, actor=ADMIN_I2, indicator=2, opds=["DINKOMINFO"])
        with pytest.raises(InputError, match=r"BAG-ORG adalah OPD pengampu"):
            svc.set_supporting(session, cycle=cycle, actor="koordinator", indicator="I2", opds=["BAG-ORG"])
        assert svc.set_supporting(session, cycle=cycle, actor="koordinator", indicator="I2", opds=["DINKOMINFO"]) == [
            "DINKOMINFO"
        ]
        assert svc.give_item(session, cycle=cycle, actor=ADMIN_I2, code="I2-L2-01", opd="DINKOMINFO").changed
    with pytest.raises(RefusedError, match=r"tidak boleh mencatat klaim DINKOMINFO"):
        answer(engine, code="I2-L2-01")
    assert answer(engine, code="I2-L2-01", actor="adm-dinkominfo")[:2] == (True, 1)
    item = snapshot(engine).item("I2-L2-01")
    assert (item.owner_opd, item.version) == ("DINKOMINFO", 1)
    with session_scope(engine) as session:
        cycle = pemdi_cycle(session)
        with pytest.raises(RefusedError, match=r"I2-L2-01 masih diberikan"):
            svc.set_supporting(session, cycle=cycle, actor="koordinator", indicator=2, opds=[])
        svc.give_item(session, cycle=cycle, actor="koordinator", code="I2-L2-01", opd="BAG-ORG")
        svc.set_supporting(session, cycle=cycle, actor="koordinator", indicator=2, opds=[])
    assert snapshot(engine).item("I2-L2-01").owner_opd == "BAG-ORG"
    assert snapshot(engine).supporting == {}


def test_reviews_who_may_judge_and_what_a_revision_needs(engine):
    answer(engine)
    with pytest.raises(InputError) as bad:
        judge(engine, verdict="revisi")
    assert [p.split(":")[0] for p in bad.value.problems] == ["kind", "note"]
    with pytest.raises(InputError, match=r"kind: 'salah' bukan alasan revisi"):
        judge(engine, verdict="revisi", kind="salah", note="x")
    with pytest.raises(InputError, match=r"alasan hanya untuk revisi"):
        judge(engine, kind="belum diunggah")
    with pytest.raises(RefusedError, match=r"I2 dinilai asesor asr-03, bukan asr-04"):
        judge(engine, actor="asr-04")
    with pytest.raises(RefusedError, match=r"butir I2-L1-02 belum dijawab"):
        judge(engine, code="I2-L1-02")
    result = judge(engine, verdict="revisi", kind="belum diunggah", note="Unggah notulen rapat")
    assert (result.created, result.review.kind, result.review.version) == (True, "belum_diunggah", 1)
    assert not judge(engine, verdict="revisi", kind="belum_diunggah", note="Unggah notulen rapat").created
    item = snapshot(engine).item("I2-L1-01")
    assert (item.status, item.kind, item.revise_rounds, item.shown_status) == (
        ItemStatus.REVISE,
        "belum_diunggah",
        1,
        "revisi (belum diunggah)",
    )
    answer(engine, at=REV_OPEN, note="notulen terlampir")
    with pytest.raises(RefusedError, match=r"penilaian ini untuk versi 1, tetapi versi 2"):
        judge(engine, version=1, at=REV_OPEN)
    stead = judge(engine, actor="koordinator", at=REV_OPEN)
    assert (stead.in_stead_of, stead.review.reviewer) == ("asr-03", "koordinator")
    assert snapshot(engine).item("I2-L1-01").status is ItemStatus.ACCEPTED


def test_conflict_of_interest_covers_supporting_opds(engine):
    answer(engine)
    with session_scope(engine) as session:
        svc.set_supporting(session, cycle=pemdi_cycle(session), actor="koordinator", indicator=2, opds=["INSPEKTORAT"])
    with pytest.raises(RefusedError, match=r"konflik kepentingan: asr-03 dari INSPEKTORAT"):
        judge(engine)


def test_items_above_an_incomplete_level_are_recorded_but_ditolak_otomatis(engine):
    for code in ("I2-L1-01", "I2-L1-02", "I2-L2-01"):
        answer(engine, code=code)
    judge(engine, code="I2-L1-01")
    upper = judge(engine, code="I2-L2-01")
    assert upper.created and upper.blocking_level == 1 and upper.auto_rejected
    item = snapshot(engine).item("I2-L2-01")
    assert (item.verdict, item.auto_rejected, item.shown_status) == ("diterima", True, "ditolak otomatis")
    done = judge(engine, code="I2-L1-02")
    assert done.blocking_level == 2 and not done.auto_rejected
    snap = snapshot(engine)
    assert not snap.item("I2-L2-01").auto_rejected  # the kept verdict now counts
    assert snap.item("I2-L3-01").auto_rejected  # level 2 has another main item, not yet accepted
    values = score_items(load_framework("pemdi-2026"), states=svc.item_statuses(snap))
    # default rule: 1 + level 1 (0,5) + half of level 2 (1 of 2 main items, width 1) = 2
    assert values.value_of(2).value == Fraction(2)


def test_aimed_levels_are_versioned_and_external_indicators_have_none(engine):
    with session_scope(engine) as session:
        cycle = pemdi_cycle(session)
        assert svc.aim_level(session, cycle=cycle, actor=ADMIN_I2, indicator=2, level=3).created
        assert not svc.aim_level(session, cycle=cycle, actor=ADMIN_I2, indicator="I2", level="3").created
        assert svc.aim_level(session, cycle=cycle, actor="koordinator", indicator=2, level=4).created
        with pytest.raises(RefusedError, match=r"I5 dinilai dari Indeks Satu Data"):
            svc.aim_level(session, cycle=cycle, actor="koordinator", indicator=5, level=3)
        with pytest.raises(InputError, match=r"I2, tingkat sasaran: level 6 di luar 1–5"):
            svc.aim_level(session, cycle=cycle, actor=ADMIN_I2, indicator=2, level=6)
        with pytest.raises(RefusedError, match=r"tidak boleh mencatat klaim BAG-ORG"):
            svc.aim_level(session, cycle=cycle, actor="adm-dinkominfo", indicator=2, level=2)
        with pytest.raises(InputError, match=r"indikator 21 tidak ada"):
            svc.aim_level(session, cycle=cycle, actor=ADMIN_I2, indicator=21, level=2)
    assert snapshot(engine).aimed == {2: 4}


def test_external_values_are_recorded_by_a_coordinator_and_mapped_by_the_framework(engine):
    assert 5 not in snapshot(engine).externals
    with session_scope(engine) as session:
        cycle = pemdi_cycle(session)
        kw = {"session": session, "cycle": cycle, "now": SA_OPEN}
        with pytest.raises(RefusedError, match=r"hanya koordinator"):
            svc.record_external(**kw, actor="asr-03", indicator=5, source_value="68,75", source_date="2026-05-01")
        with pytest.raises(RefusedError, match=r"I3 dinilai dari butirnya"):
            svc.record_external(**kw, actor="koordinator", indicator=3, source_value="3", source_date="2026-05-01")
        with pytest.raises(InputError) as bad:
            svc.record_external(**kw, actor="koordinator", indicator=5, source_value="120", source_date="kemarin")
        assert len(bad.value.problems) == 2
        first = svc.record_external(
            **kw, actor="koordinator", indicator="I5", source_value="68,75", source_date=date(2026, 5, 1)
        )
        assert first.created and first.row.value == "15/4"  # 1 + 68,75/25 = 3,75
        again = svc.record_external(
            **kw, actor="koordinator", indicator=5, source_value="68.75", source_date="2026-05-01"
        )
        assert not again.created
    snap = snapshot(engine)
    assert snap.externals[5].value == Fraction(15, 4) and snap.externals[5].source_date == date(2026, 5, 1)
    result = score_items(
        load_framework("pemdi-2026"), states=svc.item_statuses(snap), readings=svc.external_readings(snap)
    )
    assert result.value_of(5).value == Fraction(15, 4)
    assert result.waiting_externals == (6, 7, 18)  # valued 1 until recorded


def test_the_levels_framework_refuses_item_commands(tmp_path, sqlite_url):
    from tests.utils.intake import loaded_store, the_cycle

    engine = loaded_store(sqlite_url)
    with session_scope(engine) as session:
        with pytest.raises(RefusedError, match=r"dinilai per indikator"):
            svc.submit_item(session, cycle=the_cycle(session), actor="adm-dinkominfo", code="I1-L1-01", evidence=[])
        assert take_snapshot(session, the_cycle(session)).items == ()


def test_the_snapshot_reads_items_in_a_fixed_number_of_queries(engine):
    from sqlalchemy import event

    def queries() -> int:
        seen: list[str] = []

        def count(conn, cursor, statement, *args):
            seen.append(statement)

        event.listen(engine, "before_cursor_execute", count)
        try:
            snapshot(engine)
        finally:
            event.remove(engine, "before_cursor_execute", count)
        return len(seen)

    empty = queries()
    for code in ("I2-L1-01", "I2-L1-02", "I2-L2-01", "I2-L2-02"):
        answer(engine, code=code)
        judge(engine, code=code)
    assert queries() == empty  # set-based: no query per item, answer or review
