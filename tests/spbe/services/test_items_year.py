"""An items cycle end to end at service level (Pemdi 2026 on the shipped catalog): aims, answers, the
three gates judged on items, reviews with a revision round, externals, and the index from the store."""

from __future__ import annotations

from fractions import Fraction

from sqlmodel import Session

from spbe import clock
from spbe.domain.gates import evaluate
from spbe.frameworks import load_framework
from spbe.items.index import score_items
from spbe.services import items as svc
from spbe.services.snapshot import take_snapshot
from spbe.store.db import session_scope
from tests.utils.pemdi import DR_OPEN, OWNERS, REV_OPEN, SA_DEADLINE, SA_OPEN, pemdi_cycle, pemdi_store

LINK = "https://bukti.example/{code}.pdf"


def admin(indicator: int) -> str:
    return f"adm-{OWNERS[indicator].lower()}"


def test_an_items_year(sqlite_url, tmp_path):
    engine = pemdi_store(sqlite_url, tmp_path)
    framework = load_framework("pemdi-2026")
    model = framework.items
    item_indicators = model.item_indicators()
    with clock.use_clock(SA_OPEN), session_scope(engine) as session:
        cycle = pemdi_cycle(session)
        for n in item_indicators:
            svc.aim_level(session, cycle=cycle, actor=admin(n), indicator=n, level=2)
        snap = take_snapshot(session, cycle)
        required = snap.required_items()
        assert required and all(i.level <= 2 and i.counts_as_main for i in required)
        gate = evaluate(snap, "self-assessment", SA_OPEN)
        assert not gate.met and {o.kind for o in gate.outstanding} == {"missing_submission"}
        assert len(gate.outstanding) == len(required)
        for item in required:
            svc.submit_item(
                session,
                cycle=cycle,
                actor=admin(item.indicator),
                code=item.code,
                evidence=[LINK.format(code=item.code)],
            )
        for n, value in ((5, "50"), (6, "3"), (7, "2"), (18, "25")):
            svc.record_external(
                session, cycle=cycle, actor="koordinator", indicator=n, source_value=value, source_date="2026-06-01"
            )
    with Session(engine) as session:
        snap = take_snapshot(session, pemdi_cycle(session))
    assert evaluate(snap, "self-assessment", SA_OPEN).met
    review = evaluate(snap, "document-review", DR_OPEN)
    assert not review.met and review.total == len(required) and review.done == 0

    sent_back = required[0]
    with clock.use_clock(DR_OPEN), session_scope(engine) as session:
        cycle = pemdi_cycle(session)
        for item in required:
            if item.code == sent_back.code:
                svc.review_item(
                    session,
                    cycle=cycle,
                    actor=item.assessor,
                    code=item.code,
                    verdict="revisi",
                    kind="belum_diunggah",
                    note="Lampirkan dokumen yang ditandatangani",
                )
            else:
                svc.review_item(session, cycle=cycle, actor=item.assessor, code=item.code, verdict="diterima")
        snap = take_snapshot(session, cycle)
    assert evaluate(snap, "document-review", DR_OPEN).met
    revision = evaluate(snap, "revision", REV_OPEN)
    assert [(o.kind, o.item) for o in revision.outstanding] == [("revision_requested", sent_back.code)]
    with clock.use_clock(REV_OPEN), session_scope(engine) as session:
        cycle = pemdi_cycle(session)
        answer = svc.submit_item(
            session,
            cycle=cycle,
            actor=admin(sent_back.indicator),
            code=sent_back.code,
            evidence=[LINK.format(code=sent_back.code + "-ttd")],
        )
        assert answer.answers_revision and not answer.late and answer.answer.version == 2
        assert [o.kind for o in evaluate(take_snapshot(session, cycle), "revision", REV_OPEN).outstanding] == [
            "awaiting_rereview"
        ]
        svc.review_item(session, cycle=cycle, actor=sent_back.assessor, code=sent_back.code, verdict="diterima")
        snap = take_snapshot(session, cycle)
    assert evaluate(snap, "revision", REV_OPEN).met
    result = score_items(framework, states=svc.item_statuses(snap), readings=svc.external_readings(snap))
    assert result.waiting_externals == ()
    empty_third = {n for n, level in model.empty_levels() if level == 3}  # I9: no items at level 3 (complete)
    for n in item_indicators:  # levels 1 and 2 complete everywhere: 1 + 0,5 + 1 by the default rule
        expected = Fraction(7, 2) if n in empty_third else Fraction(5, 2)
        assert result.value_of(n).value == expected, n
    assert result.value_of(5).value == Fraction(3)  # 1 + 50/25
    assert evaluate(snap, "self-assessment", SA_DEADLINE).notes == ()
