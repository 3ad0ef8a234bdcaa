"""Evidence uploads through the page as real flow runs: a program renamed .pdf and a path for a name are
refused with nothing written; a PDF is stored by its hash and opens for its OPD only."""

from __future__ import annotations

from sqlmodel import Session, select

from spbe.store import models as m
from spbe.store.tables_evidence import EvidenceFile
from tests.spbe.portal.test_pages import portal, signed_in  # noqa: F401  (the fixture)

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def csrf_of(client) -> str:
    return client.get("/opd").text.split('name="csrf" value="')[1].split('"')[0]


def test_uploads_refused_and_accepted(portal, prefect_harness, tmp_path):  # noqa: F811
    engine, app = portal
    client = signed_in(app, engine, "adm-dinkominfo")
    csrf = csrf_of(client)
    form = {"csrf": csrf, "tingkat": "3"}
    exe = client.post("/opd/indikator/1", data=form, files={"berkas": ("sk.pdf", b"MZ\x90\x00" + b"\0" * 100)})
    assert exe.status_code == 400 and "program" in exe.text
    traversal = client.post("/opd/indikator/1", data=form, files={"berkas": ("../../etc/sk.pdf", PDF)})
    assert traversal.status_code == 400
    evidence = tmp_path / "data" / "evidence"
    with Session(engine) as session:
        assert session.exec(select(EvidenceFile)).all() == [] and session.exec(select(m.Submission)).all() == []
    assert not evidence.exists() or not any(p.is_file() for p in evidence.rglob("*"))
    ok = client.post("/opd/indikator/1", data=form, files={"berkas": ("SK Tim SPBE.pdf", PDF)})
    assert ok.status_code == 303, ok.text
    with Session(engine) as session:
        row = session.exec(select(EvidenceFile)).one()
        assert row.opd_code == "DINKOMINFO" and row.name == "SK Tim SPBE.pdf"
    opened = client.get(f"/berkas/{row.sha256}")
    assert opened.status_code == 200 and opened.content == PDF and opened.headers["content-type"] == "application/pdf"
    other = signed_in(app, engine, "adm-bapperida")
    assert other.get(f"/berkas/{row.sha256}").status_code == 404
