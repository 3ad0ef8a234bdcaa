"""Messages still true when they arrive: a queued notice whose phase closed, whose deadline moved, whose
assignment changed or whose decree was approved is cancelled or written again before it goes out."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlmodel import Session, select

from spbe import clock
from spbe.services import assignments
from spbe.services.cycles import current_cycle, load_config_files, load_cycle
from spbe.services.delivery_settings import settings_for
from spbe.services.opening_work import OPENING_WORK
from spbe.services.outbox_leases import claim
from spbe.services.phases import close_phase, open_phase
from spbe.services.stale import review_notices
from spbe.store import models as m
from spbe.store.db import session_scope
from spbe.store.tables_reminders import OutboxMessage
from tests.conftest import CYCLE_FILE
from tests.utils.store import loaded_store, open_store

JUNE = datetime(2025, 6, 2, 2, 0, tzinfo=UTC)
SEPTEMBER = datetime(2025, 9, 1, 2, 0, tzinfo=UTC)


def _rows(engine, **where) -> list[OutboxMessage]:
    with Session(engine) as session:
        query = select(OutboxMessage).order_by(OutboxMessage.id)
        for k, v in where.items():
            query = query.where(getattr(OutboxMessage, k) == v)
        return list(session.exec(query))


def _open(engine, name: str, now: datetime) -> None:
    with clock.use_clock(now), session_scope(engine) as session:
        open_phase(session, cycle=current_cycle(session), name=name, actor="koordinator", now=now,
                   opening_work=OPENING_WORK[name])


def _claimable(engine, now: datetime, tmp_path: Path) -> list:
    with Session(engine) as session:
        cycle = current_cycle(session)
        settings = settings_for(cycle, env={}, data_dir=tmp_path)
    return claim(engine, cycle.id, now, 500, "test", settings)


def test_a_notice_queued_for_a_phase_that_then_closed_is_never_delivered(sqlite_url: str, tmp_path: Path):
    engine = open_store(sqlite_url, phase="socialization")
    with session_scope(engine) as session:
        session.exec(select(m.Phase).where(m.Phase.name == "self-assessment")).one().state = "pending"
        session.exec(select(m.Phase).where(m.Phase.name == "socialization")).one().state = "closed"
    _open(engine, "self-assessment", SEPTEMBER)
    waiting = _rows(engine, phase="self-assessment")
    assert waiting and all(r.state == "queued" and r.deadline_version == 1 for r in waiting)
    assert all(r.about == "opening:self-assessment" for r in waiting)
    later = SEPTEMBER + timedelta(days=40)
    with clock.use_clock(later), session_scope(engine) as session:
        close_phase(session, cycle=current_cycle(session), name="self-assessment", actor="koordinator", now=later,
                    force=True, reason="uji")
    rows = _rows(engine, phase="self-assessment")
    assert {r.state for r in rows} == {"cancelled"} and {r.cancel_reason for r in rows} == {"phase_closed"}
    claimed = _claimable(engine, later, tmp_path)
    assert [c for c in claimed if c.row["key"].startswith("pekalongan-2025:self-assessment")] == []


def test_a_moved_deadline_rewrites_the_waiting_opening_notice(sqlite_url: str, tmp_path: Path):
    engine = open_store(sqlite_url, phase="socialization")
    with session_scope(engine) as session:
        session.exec(select(m.Phase).where(m.Phase.name == "self-assessment")).one().state = "pending"
        session.exec(select(m.Phase).where(m.Phase.name == "socialization")).one().state = "closed"
    _open(engine, "self-assessment", SEPTEMBER)
    before = _rows(engine, phase="self-assessment")[0]
    assert "30 September 2025" in before.body
    moved = tmp_path / "moved.toml"
    text = CYCLE_FILE.read_text(encoding="utf-8").replace(
        'roster = "roster/pekalongan"', f'roster = "{CYCLE_FILE.parent / "roster/pekalongan"}"'
    )
    assert "2025-09-30" in text
    moved.write_text(text.replace("2025-09-30", "2025-10-07"), encoding="utf-8")
    config, roster = load_config_files(moved)
    with clock.use_clock(SEPTEMBER + timedelta(days=1)), session_scope(engine) as session:
        load_cycle(session, config=config, roster=roster, actor="koordinator")  # what `spbe init` runs
        session.flush()
        review_notices(session, cycle=current_cycle(session))
    after = _rows(engine, id=before.id)[0]
    assert after.state == "queued" and after.deadline_version == 2
    assert "7 Oktober 2025" in after.body and "30 September" not in after.body


def test_reassigning_an_indicator_tells_the_old_and_the_new_assessor(sqlite_url: str):
    engine = loaded_store(sqlite_url)
    _open(engine, "locus", JUNE)
    with Session(engine) as session:
        row = session.exec(select(m.Assignment).where(m.Assignment.indicator_number == 12)).one()
        old, owner = row.assessor_key, row.owner_opd
        people = session.exec(select(m.Person).where(m.Person.role == "assessor").order_by(m.Person.key)).all()
        free = [p.key for p in people if p.key != old and p.opd_code != owner]
    with clock.use_clock(JUNE + timedelta(hours=1)), session_scope(engine) as session:
        assignments.assign(session, cycle=current_cycle(session), indicator=12, actor="koordinator",
                           assessor=free[0])
    gained = _rows(engine, about=f"assignment:12:{free[0]}")
    lost = _rows(engine, about=f"unassigned:12:{old}")
    assert len(gained) == 1 and len(lost) == 1
    assert gained[0].recipient == free[0] and "ditugaskan sebagai asesor internal Indikator 12" in gained[0].body
    assert "spbe template --assessor" in gained[0].body  # how to answer, until the portal gives a link
    assert lost[0].recipient == old and "tidak perlu menilainya lagi" in lost[0].body
    opening = _rows(engine, key=f"pekalongan-2025:locus:opened:{old}")[0]
    assert "Indikator 12:" not in opening.body  # the old assessor's waiting list no longer lists it
    with clock.use_clock(JUNE + timedelta(hours=2)), session_scope(engine) as session:  # changed again
        assignments.assign(session, cycle=current_cycle(session), indicator=12, actor="koordinator",
                           assessor=free[1])
    assert _rows(engine, id=gained[0].id)[0].state == "cancelled"
    assert _rows(engine, id=gained[0].id)[0].cancel_reason == "assignment_changed"
    assert len(_rows(engine, about=f"assignment:12:{free[1]}")) == 1


def test_approving_the_decree_updates_notices_that_said_it_was_pending(sqlite_url: str):
    engine = loaded_store(sqlite_url)
    _open(engine, "locus", JUNE)
    waiting = [r for r in _rows(engine, phase="locus") if "masih menunggu penetapan" in r.body]
    assert waiting
    with clock.use_clock(JUNE + timedelta(hours=1)), session_scope(engine) as session:
        assert assignments.approve(session, cycle=current_cycle(session), actor="koordinator") > 0
    for r in waiting:
        now = _rows(engine, id=r.id)[0]
        assert now.state == "queued" and "masih menunggu penetapan" not in now.body
        assert "telah ditetapkan (SK)" in now.body


def test_a_document_review_opening_to_an_assessor_who_finished_is_cancelled(sqlite_url: str):
    from tests.utils.store import submit_claims

    engine = open_store(sqlite_url, phase="revision")
    with session_scope(engine) as session:
        for name, state in (("document-review", "pending"), ("self-assessment", "closed")):
            session.exec(select(m.Phase).where(m.Phase.name == name)).one().state = state
        session.exec(select(m.Phase).where(m.Phase.name == "revision")).one().state = "pending"
        cycle = current_cycle(session)
    with session_scope(engine) as session:
        assignments.auto_assign(session, cycle=current_cycle(session), actor="koordinator")
    submit_claims(engine, [1], SEPTEMBER)
    october = datetime(2025, 10, 1, 2, 0, tzinfo=UTC)
    _open(engine, "document-review", october)
    with Session(engine) as session:
        assessor = session.exec(select(m.Assignment).where(m.Assignment.indicator_number == 1)).one().assessor_key
        sub = session.exec(select(m.Submission)).one()
    notice = _rows(engine, key=f"{cycle.code}:document-review:opened:{assessor}")[0]
    assert notice.state == "queued"
    with session_scope(engine) as session:
        session.add(m.Review(cycle_id=sub.cycle_id, submission_id=sub.id, indicator_number=1, assessor_key=assessor,
                             verdict="accept", level=3, reviewed_at=october + timedelta(hours=1)))
    with clock.use_clock(october + timedelta(hours=1)), session_scope(engine) as session:
        review_notices(session, cycle=current_cycle(session))
    done = _rows(engine, id=notice.id)[0]
    assert done.state == "cancelled" and done.cancel_reason == "nothing_left"
