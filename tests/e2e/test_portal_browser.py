"""The portal as its users see it, in real headless Chromium driven over the DevTools protocol.

A real store (SQLite) and the real portal served by uvicorn on 127.0.0.1 at a random port; a reminder swept
and dispatched to a real webhook receiver on 127.0.0.1 carries the OPD admin's link. The admin opens it,
uploads a filled template with one bad row and reads the error (row and column), fixes it, uploads a PDF as
evidence; the assessor opens their link and sends that indicator back with a note; the admin reads the
note. Every step is kept as a screenshot under tests/artifacts/portal/ (printed at the end).

One browser for the whole module; each person gets their own browser context (their own cookies), as two
people on two machines would. Chromium's resolver answers only for 127.0.0.1 and localhost, so nothing the
pages or the browser ask for can leave the machine."""

from __future__ import annotations

import base64
import contextlib
import itertools
import json
import re
import shutil
import socket
import subprocess
import threading
import urllib.request
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import Session, select

from spbe import clock
from spbe.store import models as m
from spbe.store.db import session_scope
from tests.conftest import ROOT
from tests.e2e.test_prefect_ui import FLAGS
from tests.spbe.portal.test_links import SECRET
from tests.utils.intake import ASSESSORS, set_assessors
from tests.utils.receiver import Receiver
from tests.utils.store import open_store
from tests.utils.xlsx import fill

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
ARTIFACTS = ROOT / "tests" / "artifacts" / "portal"
WIB = ZoneInfo("Asia/Jakarta")
NOW = datetime(2025, 9, 19, 9, 0, tzinfo=WIB)  # H-7 of the self-assessment deadline: a reminder is due
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
STEP = 60  # seconds: a guard against a hung browser, never an assertion about speed
BROWSER_FLAGS = [f for f in FLAGS if not f.startswith("--virtual-time-budget")]
NOTE = "SK Walikota belum ditandatangani; unggah versi yang sudah ditandatangani."


class Chromium:
    """Just enough of the DevTools protocol: one browser, a context per person, navigate, fill, click,
    read, screenshot. Commands and events are read in order from one websocket (flat sessions)."""

    def __init__(self, tmp: Path) -> None:
        from websockets.sync.client import connect

        profile = tmp / "chromium-profile"
        self.proc = subprocess.Popen(
            [CHROMIUM, *BROWSER_FLAGS, f"--user-data-dir={profile}", "--remote-debugging-port=0", "about:blank"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        url = None
        assert self.proc.stderr is not None
        for line in self.proc.stderr:  # Chromium prints its DevTools address once it listens
            if found := re.search(r"DevTools listening on (ws://\S+)", line):
                url = found.group(1)
                break
        if url is None:
            self.proc.wait(timeout=STEP)
            raise RuntimeError(f"Chromium exited {self.proc.returncode} before listening for DevTools")
        threading.Thread(target=lambda: [None for _ in self.proc.stderr or ()], daemon=True).start()  # drain
        self.ws = connect(url, max_size=64 * 2**20, open_timeout=STEP)
        self.ids = itertools.count(1)
        self.events: list[dict] = []
        self.shots = itertools.count(1)

    def send(self, method: str, session: str | None = None, **params) -> dict:
        call = next(self.ids)
        message = {"id": call, "method": method, "params": params}
        if session:
            message["sessionId"] = session
        self.ws.send(json.dumps(message))
        while True:
            answer = json.loads(self.ws.recv(timeout=STEP))
            if answer.get("id") == call:
                if "error" in answer:
                    raise RuntimeError(f"{method}: {answer['error']}")
                return answer.get("result", {})
            self.events.append(answer)

    def wait_for(self, method: str, session: str) -> dict:
        while True:
            for i, e in enumerate(self.events):
                if e.get("method") == method and e.get("sessionId") == session:
                    return self.events.pop(i)
            self.events.append(json.loads(self.ws.recv(timeout=STEP)))

    def page(self) -> Page:
        context = self.send("Target.createBrowserContext")["browserContextId"]
        target = self.send("Target.createTarget", url="about:blank", browserContextId=context)["targetId"]
        session = self.send("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
        self.send("Page.enable", session)
        self.send(
            "Emulation.setDeviceMetricsOverride", session, width=1000, height=1400, deviceScaleFactor=1, mobile=False
        )
        return Page(self, session)

    def close(self) -> None:
        with contextlib.suppress(Exception):  # it may already be gone
            self.send("Browser.close")
        self.ws.close()
        try:
            self.proc.wait(timeout=STEP)
        except subprocess.TimeoutExpired:
            self.proc.kill()


class Page:
    def __init__(self, browser: Chromium, session: str) -> None:
        self.b, self.s = browser, session
        self.shots: list[Path] = []

    def _loaded_after(self, action) -> None:
        self.b.events = [e for e in self.b.events if e.get("sessionId") != self.s]
        action()
        self.b.wait_for("Page.loadEventFired", self.s)

    def goto(self, url: str) -> None:
        self._loaded_after(lambda: self.b.send("Page.navigate", self.s, url=url))

    def js(self, expression: str):
        result = self.b.send("Runtime.evaluate", self.s, expression=expression, returnByValue=True)
        if "exceptionDetails" in result:
            raise RuntimeError(f"{expression}: {result['exceptionDetails']}")
        return result["result"].get("value")

    def click(self, selector: str) -> None:
        """Click and wait for the page it leads to (every button here submits a form)."""
        self._loaded_after(lambda: self.js(f"document.querySelector({json.dumps(selector)}).click()"))

    def fill(self, selector: str, text: str) -> None:
        self.js(f"document.querySelector({json.dumps(selector)}).value = {json.dumps(text)}")

    def choose_file(self, selector: str, path: Path) -> None:
        root = self.b.send("DOM.getDocument", self.s)["root"]["nodeId"]
        node = self.b.send("DOM.querySelector", self.s, nodeId=root, selector=selector)["nodeId"]
        assert node, selector
        self.b.send("DOM.setFileInputFiles", self.s, nodeId=node, files=[str(path)])

    @property
    def url(self) -> str:
        return self.js("location.href")

    @property
    def text(self) -> str:
        return self.js("document.body.innerText")

    def cookie_header(self) -> str:
        cookies = self.b.send("Network.getCookies", self.s, urls=[self.url])["cookies"]
        return "; ".join(f"{c['name']}={c['value']}" for c in cookies)

    def screenshot(self, name: str, at: str = "body") -> Path:
        """The viewport with `at` scrolled to its top (a whole page of 37 indicators is unreadable)."""
        self.js(f"document.querySelector({json.dumps(at)}).scrollIntoView()")
        data = self.b.send("Page.captureScreenshot", self.s, format="png")["data"]
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        path = ARTIFACTS / f"{next(self.b.shots):02d}-{name}.png"  # one numbering over every page
        path.write_bytes(base64.b64decode(data))
        self.shots.append(path)
        return path


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    if CHROMIUM is None:
        pytest.skip(
            "Chromium is not installed (Debian package `chromium`; `make ui-deps` installs it where apt is "
            "available): portal browser test skipped"
        )
    try:
        chromium = Chromium(tmp_path_factory.mktemp("browser"))
    except Exception as exc:  # a machine where Chromium cannot start (no sandbox, no /dev/shm)
        pytest.skip(f"Chromium ({CHROMIUM}) cannot run here: {exc}")
    yield chromium
    chromium.close()


@pytest.fixture
def served(monkeypatch, sqlite_store_env, prefect_harness):
    """The real portal on 127.0.0.1 at a random port, over a store with self-assessment open."""
    import uvicorn

    from spbe.portal.app import create_app
    from spbe.settings import get_settings

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    base = f"http://127.0.0.1:{port}"
    monkeypatch.setenv("SPBE_TEMPLATE_SECRET", SECRET)
    monkeypatch.setenv("SPBE_PORTAL_BASE_URL", base)
    get_settings.cache_clear()
    engine = open_store(sqlite_store_env)
    with session_scope(engine) as session:
        set_assessors(session, session.exec(select(m.Cycle)).one(), ASSESSORS)
    with clock.use_clock(NOW):
        server = uvicorn.Server(uvicorn.Config(create_app(), log_level="warning", access_log=False))
        thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
        thread.start()
        while not server.started:
            if not thread.is_alive():
                raise RuntimeError("the portal did not start")
            thread.join(0.05)
        try:
            yield engine, base
        finally:
            server.should_exit = True
            thread.join(STEP)
            sock.close()


def reminder_link(engine, tmp_path: Path, recipient: str) -> str:
    """Sweep the reminders and dispatch them to a webhook receiver; the link the recipient's message carries."""
    from spbe.services.cycles import rules_for
    from spbe.services.delivery_settings import settings_from_section
    from spbe.services.dispatch import dispatch_now
    from spbe.services.reminders import sweep

    with Receiver() as rx:
        with session_scope(engine) as session:
            cycle = session.exec(select(m.Cycle)).one()
            sweep(session, cycle=cycle)
            rules, window = rules_for(cycle)
            cycle_id = cycle.id
        section = {"order": ["webhook"], "webhook": {"url": rx.url + "/spbe"}, "timeout_seconds": 5}
        st = settings_from_section(section, rules=rules, window=window, env={}, data_dir=tmp_path)
        dispatch_now(cycle_id=cycle_id, settings=st, engine=engine)
    mine = [r for r in rx.requests if r.answer == 200 and r.body.get("recipient") == recipient]
    assert mine, [r.body.get("recipient") for r in rx.requests]
    found = re.search(r"http://127\.0\.0\.1:\d+/masuk/\S+", mine[0].body["body"])
    assert found, mine[0].body["body"]
    return found.group(0)


def test_an_opd_answers_and_an_assessor_sends_back_in_the_browser(browser, served, tmp_path):
    from spbe.portal.links import link_for
    from spbe.store.tables_evidence import EvidenceFile

    engine, base = served
    opd = browser.page()
    opd.goto(reminder_link(engine, tmp_path, "adm-dinkominfo"))
    assert opd.url == f"{base}/opd" and "Dinas Komunikasi dan Informatika" in opd.text
    assert "Yang masih kurang" in opd.text
    opd.screenshot("opd-dari-pengingat")

    # the signed template, downloaded with the admin's own session
    request = urllib.request.Request(f"{base}/opd/templat", headers={"Cookie": opd.cookie_header()})
    with urllib.request.urlopen(request, timeout=STEP) as answer:  # 127.0.0.1 only
        template = tmp_path / "templat.xlsx"
        template.write_bytes(answer.read())
    good = {"level": 3, "evidence": "https://bukti.example/sk-arsitektur.pdf"}
    bad = fill(
        template, {1: good, 2: {"level": 9, "evidence": "https://bukti.example/peta.pdf"}}, out=tmp_path / "a.xlsx"
    )
    opd.choose_file("#templat", bad)
    opd.click("form[action$='/opd/impor'] button[type=submit]")
    shown = opd.text
    assert "Templat belum diimpor" in shown and "Tidak ada yang disimpan" in shown
    rows = opd.js("[...document.querySelectorAll('#masalah tr')].slice(1).map(r => [...r.cells].map(c => c.innerText))")
    assert opd.js("[...document.querySelectorAll('#masalah th')].map(c => c.innerText)") == [
        "Baris",
        "Kolom",
        "Masalah",
    ]
    assert [r[:2] for r in rows] == [["3", "F (Level diklaim (1-5))"]] and "di luar 1–5" in rows[0][2]
    opd.screenshot("templat-baris-salah", at="#masalah")
    with Session(engine) as session:
        assert session.exec(select(m.Submission)).all() == []  # all or nothing

    fixed = fill(
        template, {1: good, 2: {"level": 2, "evidence": "https://bukti.example/peta.pdf"}}, out=tmp_path / "b.xlsx"
    )
    opd.choose_file("#templat", fixed)
    opd.click("form[action$='/opd/impor'] button[type=submit]")
    assert "Templat diimpor." in opd.text, opd.text[:500]
    opd.screenshot("templat-diimpor")

    evidence = tmp_path / "SK Arsitektur SPBE.pdf"
    evidence.write_bytes(PDF)
    opd.js("document.querySelector('#i1 details').open = true")
    opd.choose_file("#f1", evidence)
    opd.fill("#c1", "SK terlampir.")
    opd.click("form[action$='/opd/indikator/1'] button[type=submit]")
    assert "Tersimpan." in opd.text
    assert opd.js("[...document.querySelectorAll('#i1 a')].some(a => a.innerText === 'SK Arsitektur SPBE.pdf')")
    opd.screenshot("bukti-pdf-terunggah", at="#i1")
    with Session(engine) as session:
        stored = session.exec(select(EvidenceFile)).one()
        latest = session.exec(
            select(m.Submission).where(m.Submission.indicator_number == 1).order_by(m.Submission.version.desc())
        ).first()
        assert stored.opd_code == "DINKOMINFO" and f"file:sha256:{stored.sha256}" in latest.evidence
        assert "https://bukti.example/sk-arsitektur.pdf" in latest.evidence and latest.source == "portal"

    with Session(engine) as session:
        from spbe.services.cycles import current_cycle

        assessor_link = link_for(session, current_cycle(session), "asr-03")
    assessor = browser.page()
    assessor.goto(assessor_link)
    assert assessor.url == f"{base}/asesor" and "Indikator 1." in assessor.text
    assert assessor.js("[...document.querySelectorAll('#i1 a')].some(a => a.innerText === 'SK Arsitektur SPBE.pdf')")
    assessor.fill("#n1", NOTE)
    assessor.click("form[action$='/asesor/indikator/1'] button[value=revise]")
    assert "Tersimpan." in assessor.text and NOTE in assessor.text
    assessor.screenshot("asesor-mengembalikan", at="#i1")

    opd.goto(f"{base}/opd")
    section = opd.js("document.querySelector('#i1').innerText")
    assert "perlu perbaikan" in section and f"Catatan asesor: {NOTE}" in section
    assert "asesor meminta perbaikan" in opd.text  # in what is still missing
    opd.screenshot("opd-membaca-catatan", at="#i1")
    with Session(engine) as session:
        review = session.exec(select(m.Review)).one()
        assert (review.verdict, review.assessor_key, review.note) == ("revise", "asr-03", NOTE)
        actors = {e.actor for e in session.exec(select(m.AuditEvent).where(m.AuditEvent.action.like("submission.%")))}
        assert "adm-dinkominfo" in actors

    for shot in opd.shots + assessor.shots:
        assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    print("\nscreenshots kept:\n  " + "\n  ".join(str(p) for p in sorted(opd.shots + assessor.shots)))
