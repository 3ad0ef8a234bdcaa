"""The portal under Pemdi (items): the OPD page per indicator and level, answers per item with a link, a file
or a note, the aimed level; the assessor judges per item (diterima / revisi with its kind and note), with
ditolak otomatis shown. Every route through the services the CLI uses, audited, role-checked, CSRF-checked."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from spbe import clock
from spbe.services.cycles import current_cycle
from spbe.store import models as m
from spbe.store import tables_items as t
from spbe.store.tables_evidence import EvidenceFile
from tests.spbe.portal.test_links import SECRET, token_of
from tests.utils.pemdi import SA_OPEN, pemdi_store

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def pemdi(monkeypatch, sqlite_store_env, tmp_path):
    from spbe.portal.app import create_app
    from spbe.settings import get_settings

    monkeypatch.setenv("SPBE_TEMPLATE_SECRET", SECRET)
    get_settings.cache_clear()
    engine = pemdi_store(sqlite_store_env, tmp_path)
    with clock.use_clock(SA_OPEN):
        yield engine, create_app()


def signed_in(app, engine, person: str) -> TestClient:
    from spbe.portal.links import link_for

    with Session(engine) as session:
        token = token_of(link_for(session, current_cycle(session), person))
    client = TestClient(app, follow_redirects=False)
    assert client.get(f"/masuk/{token}").status_code == 303
    return client


def csrf_of(client, path: str = "/opd") -> str:
    return client.get(path).text.split('name="csrf" value="')[1].split('"')[0]


def answers(engine) -> list[tuple]:
    with Session(engine) as session:
        return [
            (a.item_code, a.version, a.opd_code, a.submitted_by, a.source, list(a.evidence), a.note)
            for a in session.exec(select(t.ItemAnswer).order_by(t.ItemAnswer.id))
        ]


def audit(engine, prefix: str) -> list[tuple[str, str]]:
    with Session(engine) as session:
        rows = session.exec(select(m.AuditEvent).where(m.AuditEvent.action.like(prefix + "%")))
        return [(e.action, e.actor) for e in rows]


def test_the_opd_page_lists_its_items_per_indicator_and_level(pemdi):
    engine, app = pemdi
    page = signed_in(app, engine, "adm-bapperida").get("/opd")
    assert page.status_code == 200
    text = page.text
    assert "I1. " in text and "OPD pengampu" in text and "Tingkat 1 · " in text and 'id="b-I1-L1-01"' in text
    assert "I2. " not in text  # BAG-ORG's indicator
    assert 'action="/opd/sasaran/1"' in text and 'action="/opd/butir/I1-L1-01"' in text
    assert "Evaluasi Pemdi 2026" in text
    # indicator routes of a levels framework do not exist here
    csrf = csrf_of(signed_in(app, engine, "adm-bapperida"))
    assert signed_in(app, engine, "adm-bapperida").post("/opd/indikator/1", data={"csrf": csrf}).status_code in (
        403,
        404,
    )


def test_an_opd_answers_an_item_by_link_and_note_and_not_another_opds_item(pemdi):
    engine, app = pemdi
    client = signed_in(app, engine, "adm-bapperida")
    csrf = csrf_of(client)
    ok = client.post(
        "/opd/butir/I1-L1-01", data={"csrf": csrf, "tautan": "https://bukti.example/renstra.pdf", "catatan": "Bab 3"}
    )
    assert ok.status_code == 303 and ok.headers["location"] == "/opd?ok=tersimpan#b-I1-L1-01"
    again = client.post(
        "/opd/butir/I1-L1-01", data={"csrf": csrf, "tautan": "https://bukti.example/renstra.pdf", "catatan": "Bab 3"}
    )
    assert again.headers["location"] == "/opd?ok=sama#b-I1-L1-01"  # identical: nothing written
    other = client.post("/opd/butir/I2-L1-01", data={"csrf": csrf, "tautan": "https://bukti.example/x.pdf"})
    assert other.status_code == 403 and "Traceback" not in other.text
    unknown = client.post("/opd/butir/I99-L9-99", data={"csrf": csrf, "tautan": "https://bukti.example/x.pdf"})
    assert unknown.status_code == 400 and "tidak ada dalam katalog" in unknown.text
    no_csrf = client.post("/opd/butir/I1-L1-02", data={"tautan": "https://bukti.example/y.pdf"})
    assert no_csrf.status_code == 403 and "CSRF" in no_csrf.text
    assert answers(engine) == [
        ("I1-L1-01", 1, "BAPPERIDA", "adm-bapperida", "portal", ["https://bukti.example/renstra.pdf"], "Bab 3")
    ]
    assert audit(engine, "item.answered") == [("item.answered", "adm-bapperida")]
    page = client.get("/opd").text
    assert "renstra.pdf" in page and "versi 1" in page


def test_an_item_file_upload_runs_as_a_flow_and_refusals_write_nothing(pemdi, prefect_harness, tmp_path):
    engine, app = pemdi
    client = signed_in(app, engine, "adm-bapperida")
    csrf = csrf_of(client)
    evidence = tmp_path / "data" / "evidence"
    exe = client.post(
        "/opd/butir/I1-L1-01", data={"csrf": csrf}, files={"berkas": ("sk.pdf", b"MZ\x90\x00" + b"\0" * 99)}
    )
    assert exe.status_code == 400 and "program" in exe.text
    path = client.post("/opd/butir/I1-L1-01", data={"csrf": csrf}, files={"berkas": ("../sk.pdf", PDF)})
    assert path.status_code == 400
    refused = client.post("/opd/butir/I2-L1-01", data={"csrf": csrf}, files={"berkas": ("sk.pdf", PDF)})
    assert refused.status_code == 403  # another OPD's item: the stored bytes are taken back
    with Session(engine) as session:
        assert session.exec(select(EvidenceFile)).all() == []
    assert answers(engine) == []
    assert not evidence.exists() or not any(p.is_file() for p in evidence.rglob("*"))
    ok = client.post("/opd/butir/I1-L1-01", data={"csrf": csrf}, files={"berkas": ("Renstra.pdf", PDF)})
    assert ok.status_code == 303, ok.text
    with Session(engine) as session:
        row = session.exec(select(EvidenceFile)).one()
    assert answers(engine)[0][5] == [f"file:sha256:{row.sha256}"] and row.opd_code == "BAPPERIDA"
    assert client.get(f"/berkas/{row.sha256}").content == PDF
    assert signed_in(app, engine, "asr-03").get(f"/berkas/{row.sha256}").status_code == 200  # I1's assessor
    assert signed_in(app, engine, "asr-04").get(f"/berkas/{row.sha256}").status_code == 404
    assert signed_in(app, engine, "adm-bkpsdm").get(f"/berkas/{row.sha256}").status_code == 404


def test_the_lead_opd_sets_its_aimed_level(pemdi):
    engine, app = pemdi
    client = signed_in(app, engine, "adm-bapperida")
    csrf = csrf_of(client)
    assert client.post("/opd/sasaran/1", data={"csrf": csrf, "tingkat": "3"}).headers["location"] == (
        "/opd?ok=sasaran#i1"
    )
    assert client.post("/opd/sasaran/1", data={"csrf": csrf, "tingkat": "9"}).status_code == 400
    assert client.post("/opd/sasaran/2", data={"csrf": csrf, "tingkat": "3"}).status_code == 403  # BAG-ORG leads I2
    assert client.post("/opd/sasaran/1", data={"tingkat": "4"}).status_code == 403  # no CSRF
    with Session(engine) as session:
        aims = [(a.indicator_number, a.level, a.stated_by) for a in session.exec(select(t.AimedLevel))]
    assert aims == [(1, 3, "adm-bapperida")]
    assert audit(engine, "item.aim") == [("item.aim_stated", "adm-bapperida")]
    assert "tingkat sasaran 3" in client.get("/opd").text


def test_the_assessor_judges_per_item_and_ditolak_otomatis_is_shown(pemdi):
    engine, app = pemdi
    opd = signed_in(app, engine, "adm-bapperida")
    csrf = csrf_of(opd)
    for code in ("I1-L1-01", "I1-L2-01"):
        assert (
            opd.post(f"/opd/butir/{code}", data={"csrf": csrf, "tautan": f"https://bukti.example/{code}"}).status_code
            == 303
        )
    assessor = signed_in(app, engine, "asr-03")
    page = assessor.get("/asesor").text
    assert 'action="/asesor/butir/I1-L1-01"' in page and "butir menunggu penilaian" in page
    assert "ditolak otomatis" in page  # I1-L2-01: level 1 is not complete
    token = csrf_of(assessor, "/asesor")
    no_note = assessor.post("/asesor/butir/I1-L1-01", data={"csrf": token, "putusan": "revisi", "versi": "1"})
    assert no_note.status_code == 400 and "kind" in no_note.text
    sent_back = assessor.post(
        "/asesor/butir/I1-L1-01",
        data={
            "csrf": token,
            "putusan": "revisi",
            "jenis": "bukti_tidak_tepat",
            "catatan": "Bukan Renstra",
            "versi": "1",
        },
    )
    assert sent_back.status_code == 303
    stale = assessor.post("/asesor/butir/I1-L1-01", data={"csrf": token, "putusan": "diterima", "versi": "7"})
    assert stale.status_code == 403
    assert assessor.post("/asesor/butir/I1-L1-01", data={"putusan": "diterima", "versi": "1"}).status_code == 403
    dinkominfo = signed_in(app, engine, "adm-dinkominfo")
    mine = {"csrf": csrf_of(dinkominfo), "tautan": "https://bukti.example/i4"}
    assert dinkominfo.post("/opd/butir/I4-L1-01", data=mine).status_code == 303
    other = signed_in(app, engine, "asr-05")  # judges I4, not I1
    other_token = csrf_of(other, "/asesor")
    assert (
        other.post(
            "/asesor/butir/I1-L1-01", data={"csrf": other_token, "putusan": "diterima", "versi": "1"}
        ).status_code
        == 403
    )
    with Session(engine) as session:
        reviews = [
            (r.item_code, r.verdict, r.kind, r.note, r.reviewer, r.source) for r in session.exec(select(t.ItemReview))
        ]
    assert reviews == [("I1-L1-01", "revisi", "bukti_tidak_tepat", "Bukan Renstra", "asr-03", "portal")]
    assert audit(engine, "item.reviewed") == [("item.reviewed", "asr-03")]
    shown = opd.get("/opd").text
    assert "Catatan asesor (bukti tidak tepat):</strong> Bukan Renstra" in shown
    assert "asesor meminta revisi" in shown


def test_an_assessor_cannot_use_the_opd_item_routes_nor_an_opd_the_assessor_ones(pemdi):
    engine, app = pemdi
    opd = signed_in(app, engine, "adm-bapperida")
    csrf = csrf_of(opd)
    assert opd.post("/opd/butir/I1-L1-01", data={"csrf": csrf, "tautan": "https://bukti.example/a"}).status_code == 303
    assert (
        opd.post("/asesor/butir/I1-L1-01", data={"csrf": csrf, "putusan": "diterima", "versi": "1"}).status_code == 404
    )
    assessor = signed_in(app, engine, "asr-03")
    token = csrf_of(assessor, "/asesor")
    assert (
        assessor.post("/opd/butir/I1-L1-01", data={"csrf": token, "tautan": "https://x.example/b"}).status_code == 404
    )
    assert assessor.post("/opd/sasaran/1", data={"csrf": token, "tingkat": "2"}).status_code == 404
    assert len(answers(engine)) == 1
    with Session(engine) as session:
        assert session.exec(select(t.ItemReview)).all() == [] and session.exec(select(t.AimedLevel)).all() == []


def test_the_item_template_downloads_and_imports_through_the_page(pemdi, prefect_harness, tmp_path):
    from spbe.intake import layout as L
    from tests.spbe.intake.test_item_import import fill

    engine, app = pemdi
    client = signed_in(app, engine, "adm-bapperida")
    csrf = csrf_of(client)
    template = tmp_path / "templat.xlsx"
    download = client.get("/opd/templat")
    assert download.status_code == 200 and download.headers["content-disposition"].startswith("attachment;")
    template.write_bytes(download.content)
    fill(template, L.OPD_ITEMS, {"I1-L1-01": {"aim": 7, "evidence": "https://bukti.example/a.pdf"}})
    bad = client.post("/opd/impor", data={"csrf": csrf}, files={"berkas": ("templat.xlsx", template.read_bytes())})
    assert bad.status_code == 400 and "Templat belum diimpor" in bad.text and "<td>2</td>" in bad.text
    assert answers(engine) == []
    template.write_bytes(download.content)
    fill(template, L.OPD_ITEMS, {"I1-L1-01": {"aim": 2, "evidence": "https://bukti.example/a.pdf"}})
    ok = client.post("/opd/impor", data={"csrf": csrf}, files={"berkas": ("templat.xlsx", template.read_bytes())})
    assert ok.status_code == 303 and ok.headers["location"] == "/opd?ok=impor"
    assert [(a[0], a[3], a[5]) for a in answers(engine)] == [
        ("I1-L1-01", "adm-bapperida", ["https://bukti.example/a.pdf"])
    ]
