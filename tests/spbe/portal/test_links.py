"""Personal links: signed, tied to a generation and a person, revocable, expiring with the cycle."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import Session, select

from spbe import clock
from spbe.errors import RefusedError
from spbe.messages import render
from spbe.portal import links, tokens
from spbe.services.cycles import current_cycle
from spbe.store import models as m
from spbe.store.db import session_scope
from tests.utils.intake import loaded_store

SECRET = "a-portal-test-secret-of-length"
SEPT = datetime(2025, 9, 10, 3, tzinfo=UTC)


@pytest.fixture
def engine(monkeypatch, sqlite_store_env):
    from spbe.settings import get_settings

    monkeypatch.setenv("SPBE_TEMPLATE_SECRET", SECRET)
    monkeypatch.setenv("SPBE_PORTAL_BASE_URL", "https://spbe.pekalongan.example/")
    get_settings.cache_clear()
    return loaded_store(sqlite_store_env)


def token_of(url: str) -> str:
    return url.rsplit("/", 1)[-1]


def test_a_token_holds_only_with_its_key_and_unaltered():
    key = tokens.purpose_key(SECRET.encode())
    claims = tokens.Claims("pekalongan-2025", "opd", "DINKOMINFO", "adm-dinkominfo", 1)
    token = tokens.sign(claims, key)
    assert tokens.verify(token, key) == claims
    with pytest.raises(tokens.BadToken):
        tokens.verify(token, tokens.purpose_key(b"another-secret-of-length"))
    payload, tag = token.split(".")
    forged = tokens.sign(tokens.Claims("pekalongan-2025", "opd", "BAPPERIDA", "adm-bapperida", 1), key).split(".")[0]
    for bad in (f"{forged}.{tag}", token + "x", "", "a.b.c", "é.é", "x" * 700, f"{payload}.!!"):
        with pytest.raises(tokens.BadToken):
            tokens.verify(bad, key)


def test_link_for_admins_and_assessors_only(engine):
    with clock.use_clock(SEPT), Session(engine) as session:
        cycle = current_cycle(session)
        opd_link = links.link_for(session, cycle, "adm-dinkominfo")
        assert opd_link and opd_link.startswith("https://spbe.pekalongan.example/masuk/")
        assert links.link_for(session, cycle, "adm-dinkominfo") == opd_link  # the same link every sweep
        assert links.link_for(session, cycle, "asr-01")
        for nobody in ("koordinator", "sekda", "head-dinkominfo", "mallory"):
            assert links.link_for(session, cycle, nobody) is None
        _, claims = links.open_link(session, token_of(opd_link))
        assert (claims.kind, claims.subject, claims.person) == ("opd", "DINKOMINFO", "adm-dinkominfo")


def test_no_secret_no_link(engine, monkeypatch):
    from spbe.settings import get_settings

    monkeypatch.delenv("SPBE_TEMPLATE_SECRET")
    get_settings.cache_clear()
    with Session(engine) as session:
        assert links.link_for(session, current_cycle(session), "adm-dinkominfo") is None


def test_revoke_ends_the_link_and_a_new_one_is_a_new_generation(engine):
    with clock.use_clock(SEPT), session_scope(engine) as session:
        cycle = current_cycle(session)
        old = links.link_for(session, cycle, "adm-bapperida")
        assert links.revoke_link(session, cycle=cycle, actor="koordinator", kind="opd", subject="BAPPERIDA")
        assert not links.revoke_link(session, cycle=cycle, actor="koordinator", kind="opd", subject="BAPPERIDA")
        assert links.link_for(session, cycle, "adm-bapperida") is None
        with pytest.raises(links.LinkRefused) as refused:
            links.open_link(session, token_of(old))
        assert refused.value.reason == "revoked"
        issued = links.issue_link(session, cycle=cycle, actor="koordinator", kind="opd", subject="BAPPERIDA")
        assert issued.generation == 2 and issued.url != old
        assert links.link_for(session, cycle, "adm-bapperida") == issued.url
        with pytest.raises(links.LinkRefused):
            links.open_link(session, token_of(old))  # never comes back
        links.open_link(session, token_of(issued.url))
        actions = [e.action for e in session.exec(select(m.AuditEvent).where(m.AuditEvent.action.like("portal.%")))]
        assert actions == ["portal.link_revoked", "portal.link_issued"]
        events = session.exec(select(m.AuditEvent).where(m.AuditEvent.action.like("portal.%"))).all()
        assert all(token_of(issued.url) not in str(e.detail) for e in events)


def test_only_coordinators_issue_and_revoke(engine):
    with clock.use_clock(SEPT), session_scope(engine) as session:
        cycle = current_cycle(session)
        for actor in ("adm-dinkominfo", "asr-01", "mallory"):
            with pytest.raises(RefusedError):
                links.issue_link(session, cycle=cycle, actor=actor, kind="opd", subject="DINKOMINFO")
            with pytest.raises(RefusedError):
                links.revoke_link(session, cycle=cycle, actor=actor, kind="assessor", subject="asr-01")
        with pytest.raises(RefusedError):  # a coordinator's link is made by that coordinator only
            links.issue_link(session, cycle=cycle, actor="koordinator", kind="coordinator", subject="koordinator-2")
        with pytest.raises(RefusedError):  # an assessor link for someone who is not an assessor
            links.issue_link(session, cycle=cycle, actor="koordinator", kind="assessor", subject="sekda")


def test_coordinator_links_last_hours_and_others_end_with_the_cycle(engine):
    with clock.use_clock(SEPT), session_scope(engine) as session:
        cycle = current_cycle(session)
        mine = links.issue_link(session, cycle=cycle, actor="koordinator", kind="coordinator", subject="koordinator")
        assessor = links.link_for(session, cycle, "asr-03")
        end = links.cycle_end(session, cycle)
    later = SEPT + timedelta(hours=links.COORDINATOR_HOURS, seconds=1)
    with clock.use_clock(later), Session(engine) as session:
        with pytest.raises(links.LinkRefused) as refused:
            links.open_link(session, token_of(mine.url))
        assert refused.value.reason == "expired"
        links.open_link(session, token_of(assessor))
    with clock.use_clock(end + timedelta(seconds=1)), Session(engine) as session:
        with pytest.raises(links.LinkRefused) as refused:
            links.open_link(session, token_of(assessor))
        assert refused.value.reason == "expired"
        assert links.link_for(session, current_cycle(session), "asr-03") is None


def test_a_new_admin_in_the_roster_ends_the_old_admins_link(engine):
    with clock.use_clock(SEPT), session_scope(engine) as session:
        cycle = current_cycle(session)
        old = links.link_for(session, cycle, "adm-dinkominfo")
        opd = session.exec(select(m.Opd).where(m.Opd.code == "DINKOMINFO")).one()
        opd.admin_key = "adm-bapperida"
        session.flush()
        with pytest.raises(links.LinkRefused):
            links.open_link(session, token_of(old))


def test_templates_say_how_to_answer_when_there_is_a_link():
    cycle = type("C", (), {"year": 2025, "city": "Kota Pekalongan", "timezone": "Asia/Jakarta"})()
    phase = type("P", (), {"title": "Penilaian Mandiri", "deadline_at": SEPT})()
    opd = type("O", (), {"name": "Dinas Komunikasi dan Informatika"})()
    ctx = {"cycle": cycle, "phase": phase, "opd": opd, "items": []}
    _, with_link = render("notice_self_assessment.txt.j2", answer_link="https://x.example/masuk/t", **ctx)
    _, without = render("notice_self_assessment.txt.j2", **ctx)
    assert "https://x.example/masuk/t" in with_link and "halaman pribadi" in with_link
    assert "halaman pribadi" not in without
