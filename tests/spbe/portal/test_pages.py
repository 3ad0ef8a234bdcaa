"""The portal's routes through FastAPI's test client: every role's page, and the refusals."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from spbe import clock
from spbe.services.cycles import current_cycle
from spbe.store import models as m
from spbe.store.db import session_scope
from tests.spbe.portal.test_links import SECRET, token_of
from tests.utils.intake import loaded_store

SEPT = datetime(2025, 9, 10, 3, tzinfo=UTC)


@pytest.fixture
def portal(monkeypatch, sqlite_store_env):
    from spbe.portal.app import create_app
    from spbe.settings import get_settings

    monkeypatch.setenv("SPBE_TEMPLATE_SECRET", SECRET)
    get_settings.cache_clear()
    engine = loaded_store(sqlite_store_env)
    with clock.use_clock(SEPT):
        yield engine, create_app()


def link(engine, person: str) -> str:
    from spbe.portal.links import link_for

    with Session(engine) as session:
        return token_of(link_for(session, current_cycle(session), person))


def signed_in(app, engine, person: str) -> TestClient:
    client = TestClient(app, follow_redirects=False)
    response = client.get(f"/masuk/{link(engine, person)}")
    assert response.status_code == 303, response.text
    return client


def test_an_opd_admin_sees_only_its_own_page_with_security_headers(portal):
    engine, app = portal
    client = signed_in(app, engine, "adm-bapperida")
    page = client.get("/opd")
    assert page.status_code == 200 and "Indikator 12" in page.text and "Indikator 1." not in page.text
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
    assert page.headers["referrer-policy"] == "no-referrer"
    assert client.get("/asesor").status_code == 404 and client.get("/koordinator").status_code == 404


def test_forged_revoked_and_missing_links_get_a_clear_page(portal):
    engine, app = portal
    client = TestClient(app, follow_redirects=False)
    good = link(engine, "adm-dinkominfo")
    forged = good[:-2] + ("AA" if not good.endswith("AA") else "BB")
    for token in (forged, "nonsense", good.split(".")[0] + "." + link(engine, "adm-bapperida").split(".")[1]):
        page = client.get(f"/masuk/{token}")
        assert page.status_code == 403 and "Tautan tidak berlaku" in page.text and "Traceback" not in page.text
    assert client.get("/opd").status_code == 403  # no session


def test_a_form_without_its_csrf_token_changes_nothing(portal):
    engine, app = portal
    client = signed_in(app, engine, "adm-dinkominfo")
    response = client.post("/opd/indikator/1", data={"tingkat": "3", "tautan": "https://bukti.example/a.pdf"})
    assert response.status_code == 403 and "CSRF" in response.text
    with Session(engine) as session:
        assert session.exec(select(m.Submission)).all() == []


def test_an_opd_answers_by_form_and_cannot_answer_another_opds_indicator(portal):
    engine, app = portal
    client = signed_in(app, engine, "adm-dinkominfo")
    csrf = client.get("/opd").text.split('name="csrf" value="')[1].split('"')[0]
    ok = client.post("/opd/indikator/1", data={"csrf": csrf, "tingkat": "3", "tautan": "https://bukti.example/a.pdf"})
    assert ok.status_code == 303
    other = client.post("/opd/indikator/12", data={"csrf": csrf, "tingkat": "3", "tautan": "https://bukti.example/b"})
    assert other.status_code == 403
    with Session(engine) as session:
        subs = session.exec(select(m.Submission)).all()
        assert [(s.indicator_number, s.submitted_by, s.source) for s in subs] == [(1, "adm-dinkominfo", "portal")]


def test_an_upload_over_the_cap_is_refused_from_its_declared_length(portal):
    engine, app = portal
    client = signed_in(app, engine, "adm-dinkominfo")
    response = client.post(
        "/opd/impor",
        content=b"x" * 10,
        headers={"content-length": str(200 * 2**20), "content-type": "multipart/form-data; boundary=b"},
    )
    assert response.status_code == 413


def test_a_revoked_link_stops_at_the_next_click(portal):
    from spbe.portal.links import revoke_link

    engine, app = portal
    client = signed_in(app, engine, "asr-01")
    assert client.get("/asesor").status_code == 200
    with session_scope(engine) as session:
        revoke_link(session, cycle=current_cycle(session), actor="koordinator", kind="assessor", subject="asr-01")
    assert client.get("/asesor").status_code == 403


def test_the_coordinator_page_shows_the_phases_from_a_coordinator_link(portal):
    from spbe.portal.links import issue_link

    engine, app = portal
    with session_scope(engine) as session:
        url = issue_link(
            session, cycle=current_cycle(session), actor="koordinator", kind="coordinator", subject="koordinator"
        ).url
    client = TestClient(app, follow_redirects=False)
    assert client.get(f"/masuk/{token_of(url)}").status_code == 303
    page = client.get("/koordinator")
    assert page.status_code == 200 and "Tahap" in page.text and "Indeks saat ini" in page.text
    assert client.get("/opd").status_code == 404


def test_an_expired_link_gets_a_clear_page_at_the_door_and_in_a_session(portal):
    from datetime import timedelta

    from spbe.portal.links import cycle_end

    engine, app = portal
    client = signed_in(app, engine, "adm-dinkominfo")
    token = link(engine, "adm-dinkominfo")
    with Session(engine) as session:
        end = cycle_end(session, current_cycle(session))
    with clock.use_clock(end + timedelta(seconds=1)):
        for response in (client.get("/opd"), TestClient(app, follow_redirects=False).get(f"/masuk/{token}")):
            assert response.status_code == 410 and "Tautan tidak berlaku" in response.text
            assert "Traceback" not in response.text and token not in response.text


def test_a_200_mb_upload_is_refused_and_nothing_is_written(portal, tmp_path):
    engine, app = portal
    client = signed_in(app, engine, "adm-dinkominfo")
    csrf = client.get("/opd").text.split('name="csrf" value="')[1].split('"')[0]

    def body():  # streamed without a declared length: cut off at the cap, not read to its end
        yield b'--b\r\nContent-Disposition: form-data; name="csrf"\r\n\r\n' + csrf.encode() + b"\r\n"
        yield b'--b\r\nContent-Disposition: form-data; name="berkas"; filename="sk.pdf"\r\n\r\n%PDF-1.4\n'
        for _ in range(200):
            yield b"\0" * 2**20

    response = client.post(
        "/opd/indikator/1", content=body(), headers={"content-type": "multipart/form-data; boundary=b"}
    )
    assert response.status_code == 413 and "20 MB" in response.text
    with Session(engine) as session:
        assert session.exec(select(m.Submission)).all() == []
    incoming = tmp_path / "data" / "portal"
    assert not incoming.exists() or not any(p.is_file() for p in incoming.rglob("*"))
