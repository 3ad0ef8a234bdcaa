"""The evidence link checker: the address policy (pure), connect-time enforcement against DNS rebinding,
the checker against a real local HTTP server, and the service (statuses, audit, one notice per OPD)."""

from __future__ import annotations

import asyncio
import ipaddress
import json
from datetime import UTC, datetime
from pathlib import Path

import httpcore
import pytest
from sqlmodel import Session, select

from spbe import clock
from spbe.errors import ConfigError
from spbe.linkcheck.checker import LinkChecker
from spbe.linkcheck.net import GuardedBackend, UnsafeAddress, static_resolver
from spbe.linkcheck.policy import EvidenceSettings, address_refusal, blocked_reason, status_for, url_refusal
from spbe.linkcheck.service import check_links
from spbe.store import models as m
from spbe.store.db import session_scope
from spbe.store.tables_reminders import OutboxMessage
from tests.utils.cli import run_spbe
from tests.utils.intake import cycle_file, loaded_store, submit_links, the_cycle
from tests.utils.webserver import head_refused, local_server, redirect, status

LOCAL = EvidenceSettings(timeout_seconds=0.5, allow_networks=(ipaddress.ip_network("127.0.0.1/32"),))
OCT = datetime(2025, 10, 1, 2, 0, tzinfo=UTC)


def ip(text: str):
    return ipaddress.ip_address(text)


# --- policy -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("address", "reason"),
    [
        ("127.0.0.1", "loopback"),
        ("127.8.9.10", "loopback"),
        ("::1", "loopback"),
        ("10.0.0.1", "private network"),
        ("172.16.5.4", "private network"),
        ("192.168.1.1", "private network"),
        ("169.254.169.254", "cloud metadata address"),
        ("fd00:ec2::254", "cloud metadata address"),
        ("169.254.10.10", "link-local"),
        ("fe80::1", "link-local"),
        ("0.0.0.0", "unspecified address"),
        ("::", "unspecified address"),
        ("224.0.0.1", "multicast"),
        ("ff02::1", "multicast"),
        ("240.0.0.1", "reserved range"),
        ("100.64.0.1", "not a public address"),  # carrier-grade NAT
        ("::ffff:127.0.0.1", "loopback (embedded in ::ffff:7f00:1)"),
        ("::ffff:169.254.169.254", "cloud metadata address (embedded"),
        ("64:ff9b::a00:1", "private network (embedded"),  # NAT64 of 10.0.0.1
        ("2002:7f00:1::", "loopback (embedded"),  # 6to4 of 127.0.0.1
        ("fc00::1", "private network"),
    ],
)
def test_addresses_that_are_not_public_are_refused(address: str, reason: str):
    assert blocked_reason(ip(address)).startswith(reason)


@pytest.mark.parametrize("address", ["93.184.216.34", "8.8.8.8", "2606:4700:4700::1111", "103.10.20.30"])
def test_public_addresses_pass(address: str):
    assert blocked_reason(ip(address)) is None


def test_allow_lists_open_an_intranet_but_never_the_metadata_address():
    settings = EvidenceSettings.from_section(
        {
            "allow_hosts": ["intranet.pekalongan.example", "*.dinas.example"],
            "allow_networks": ["10.20.0.0/16", "169.254.0.0/16"],
        }
    )
    assert address_refusal("intranet.pekalongan.example", ip("10.9.9.9"), settings) is None
    assert address_refusal("Intranet.Pekalongan.Example.", ip("127.0.0.1"), settings) is None
    assert address_refusal("docs.dinas.example", ip("192.168.1.1"), settings) is None
    assert address_refusal("dinas.example", ip("192.168.1.1"), settings) is None
    assert address_refusal("evildinas.example", ip("192.168.1.1"), settings) is not None
    assert address_refusal("files", ip("10.20.3.4"), settings) is None
    assert "private network" in address_refusal("files", ip("10.21.3.4"), settings)
    assert "never fetched" in address_refusal("169.254.169.254", ip("169.254.169.254"), settings)
    assert "never fetched" in address_refusal("intranet.pekalongan.example", ip("169.254.169.254"), settings)


def test_urls_refused_before_any_network():
    s = EvidenceSettings()
    assert url_refusal("https://drive.google.com/file/d/x/view", s) is None
    assert url_refusal("ftp://files.example/a", s).startswith("scheme ftp")
    assert url_refusal("file:///etc/passwd", s).startswith("scheme file")
    assert url_refusal("javascript:alert(1)", s).startswith("scheme javascript")
    assert url_refusal("http://user:pw@example.com/", s) == "the link carries a user name or password"
    assert url_refusal("http://example.com:99999/", s) == "not a valid URL"
    assert "loopback" in url_refusal("http://127.0.0.1:8080/admin", s)
    assert "loopback" in url_refusal("http://[::1]/", s)
    assert "private network" in url_refusal("http://10.0.0.1/", s)
    assert "cloud metadata" in url_refusal("http://169.254.169.254/latest/meta-data/", s)


def test_settings_are_validated_with_every_problem():
    with pytest.raises(ConfigError) as exc:
        EvidenceSettings.from_section(
            {"timeout_seconds": 0, "max_redirects": 2.5, "concurrency": 500, "allow_networks": ["10.0.0.0/33", "x"]}
        )
    assert len(exc.value.problems) == 5
    shipped = EvidenceSettings.from_section({"timeout_seconds": 10, "max_redirects": 3, "concurrency": 8})
    assert (shipped.timeout_seconds, shipped.max_redirects, shipped.concurrency) == (10.0, 3, 8)


def test_statuses_from_http_codes():
    assert [status_for(c) for c in (200, 206, 416, 404, 410, 401, 403, 451, 429, 500, 503)] == [
        "ok",
        "ok",
        "ok",
        "not_found",
        "not_found",
        "forbidden",
        "forbidden",
        "forbidden",
        "error",
        "error",
        "error",
    ]


# --- connect-time enforcement -------------------------------------------------------------------------


class RecordingBackend(httpcore.AsyncNetworkBackend):
    def __init__(self) -> None:
        self.connected: list[str] = []

    async def connect_tcp(self, host, port, timeout=None, local_address=None, socket_options=None):
        self.connected.append(host)
        raise httpcore.ConnectError("test backend: no network")

    async def sleep(self, seconds: float) -> None:
        pass


def test_the_validated_address_is_the_one_connected_to_dns_rebinding_gains_nothing():
    answers = [["93.184.216.34"], ["127.0.0.1"]]  # a rebinding DNS: public first, loopback next
    calls: list[str] = []

    async def rebinding(host: str, port: int):
        calls.append(host)
        return [ip(a) for a in answers[min(len(calls) - 1, 1)]]

    inner = RecordingBackend()
    backend = GuardedBackend(EvidenceSettings(), rebinding, inner)

    async def scenario():
        with pytest.raises(httpcore.ConnectError):
            await backend.connect_tcp("rebind.example", 80, timeout=1)
        with pytest.raises(UnsafeAddress, match=r"rebind.example → 127.0.0.1: loopback"):
            await backend.connect_tcp("rebind.example", 80, timeout=1)

    asyncio.run(scenario())
    assert calls == ["rebind.example", "rebind.example"]  # one resolution per connection, no second lookup
    assert inner.connected == ["93.184.216.34"]  # the address that was checked, never a fresh answer


def test_any_unsafe_address_among_the_answers_refuses_the_connection():
    inner = RecordingBackend()
    mixed = static_resolver({"mixed.example": ["93.184.216.34", "10.0.0.5"]})
    backend = GuardedBackend(EvidenceSettings(), mixed, inner)
    with pytest.raises(UnsafeAddress, match=r"10\.0\.0\.5: private network"):
        asyncio.run(backend.connect_tcp("mixed.example", 443, timeout=1))
    assert inner.connected == []


# --- the checker against a real local server -----------------------------------------------------------


def test_checker_against_a_local_server():
    with local_server() as srv:
        srv.routes.update(
            {
                "/sk.pdf": status(200),
                "/hilang.pdf": status(404),
                "/privat.pdf": status(403),
                "/lambat.pdf": srv.slow(),
                "/no-head.pdf": head_refused(),
                "/pindah": redirect("/sk.pdf", 301),
                "/drive-private": redirect("https://accounts.google.com/ServiceLogin?continue=x"),
                "/loop": redirect("/loop"),
            }
        )
        checker = LinkChecker(LOCAL)
        paths = [
            "/sk.pdf",
            "/hilang.pdf",
            "/privat.pdf",
            "/lambat.pdf",
            "/no-head.pdf",
            "/pindah",
            "/drive-private",
            "/loop",
        ]
        results = {r.url.rsplit("/", 1)[1]: r for r in checker.check_all_sync([srv.url(p) for p in paths])}
        requests = list(srv.requests)
    got = {k: (r.status, r.http_status) for k, r in results.items()}
    assert got == {
        "sk.pdf": ("ok", 200),
        "hilang.pdf": ("not_found", 404),
        "privat.pdf": ("forbidden", 403),
        "lambat.pdf": ("timeout", None),
        "no-head.pdf": ("ok", 206),
        "pindah": ("ok", 200),
        "drive-private": ("forbidden", None),
        "loop": ("error", None),
    }
    assert "sign-in page" in results["drive-private"].detail
    assert results["loop"].detail == "more than 3 redirects"
    assert results["pindah"].final_url.endswith("/sk.pdf")
    no_head = [(method, h.get("Range")) for method, p, h in requests if p == "/no-head.pdf"]
    assert no_head == [("HEAD", None), ("GET", "bytes=0-0")]  # HEAD first, then one ranged GET
    assert [p for _, p, _ in requests].count("/loop") == 4  # the first request and 3 redirects, no more


def test_unsafe_urls_are_refused_and_never_reach_the_server():
    with local_server({"/ok": status(200), "/ke-privat": None, "/ke-metadata": None}) as srv:
        srv.routes["/ke-privat"] = redirect(srv.url("/ok", host="private.test"))
        srv.routes["/ke-metadata"] = redirect("http://169.254.169.254/latest/meta-data/iam/")
        # A fake public name served by the test server: allow-listed by name; its redirect target is not.
        settings = EvidenceSettings(timeout_seconds=0.5, allow_hosts=frozenset({"public.test"}))
        table = {"public.test": ["127.0.0.1"], "private.test": ["127.0.0.1"], "localhost": ["127.0.0.1"]}
        names = static_resolver(table)  # no DNS fallback: nothing here looks a name up
        checker = LinkChecker(settings, resolver=names)
        urls = {
            "loopback": srv.url("/ok"),
            "private": "http://10.0.0.1/sk.pdf",
            "metadata": "http://169.254.169.254/latest/meta-data/",
            "ipv6 loopback": f"http://[::1]:{srv.port}/ok",
            "name resolving to loopback": srv.url("/ok", host="localhost"),
            "redirect to a private name": srv.url("/ke-privat", host="public.test"),
            "redirect to metadata": srv.url("/ke-metadata", host="public.test"),
            "not http": "gopher://example.com/",
        }
        results = dict(zip(urls, checker.check_all_sync(urls.values()), strict=True))
        seen = srv.paths()
    assert {k: r.status for k, r in results.items()} == dict.fromkeys(urls, "unsafe")
    assert "localhost → 127.0.0.1: loopback" in results["name resolving to loopback"].detail
    assert results["redirect to a private name"].detail.startswith(
        f"redirect to http://private.test:{srv.port}/ok: private.test → 127.0.0.1: loopback"
    )
    assert "cloud metadata" in results["redirect to metadata"].detail
    assert sorted(seen) == ["/ke-metadata", "/ke-privat"]  # only the allow-listed first hops were ever fetched


# --- the service: statuses, audit, one notice per OPD ----------------------------------------------------


def test_check_links_records_statuses_audits_and_tells_each_opd_once(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setenv("SPBE_DATA_DIR", str(tmp_path / "data"))
    engine = loaded_store(database_url, cycle_file=cycle_file(tmp_path))
    with local_server({"/ok.pdf": status(200), "/hilang.pdf": status(404), "/privat.pdf": status(403)}) as srv:
        submit_links(
            engine,
            {
                ("DINKOMINFO", 1): [srv.url("/ok.pdf"), srv.url("/hilang.pdf")],
                ("DINKOMINFO", 2): [srv.url("/privat.pdf"), "http://10.0.0.1/sk.pdf"],
                ("BAPPERIDA", 12): [srv.url("/ok.pdf")],
                ("BAG-ORG", 14): [srv.url("/hilang.pdf")],
            },
        )

        def run():
            with clock.use_clock(OCT), session_scope(engine) as session:
                return check_links(session, cycle=the_cycle(session), now=clock.now())

        report = run()
        assert report.counts() == {"ok": 1, "not_found": 1, "forbidden": 1, "unsafe": 1}
        assert report.notices_queued == 2 and report.notified_opds == ["BAG-ORG", "DINKOMINFO"]
        with Session(engine) as session:
            checks = {c.url.rsplit("/", 1)[1]: c for c in session.exec(select(m.EvidenceCheck))}
            notices = session.exec(select(OutboxMessage).where(OutboxMessage.key.contains("evidence-links"))).all()
            event = session.exec(select(m.AuditEvent).where(m.AuditEvent.action == "evidence.checked")).one()
        assert {k: (c.status, c.http_status) for k, c in checks.items()} == {
            "ok.pdf": ("ok", 200),
            "hilang.pdf": ("not_found", 404),
            "privat.pdf": ("forbidden", 403),
            "sk.pdf": ("unsafe", None),
        }
        assert checks["ok.pdf"].checked_at == OCT
        assert event.detail["changed_count"] == 4 and event.detail["counts"]["not_found"] == 1
        dinkominfo = next(n for n in notices if n.recipient == "adm-dinkominfo")
        assert (
            dinkominfo.subject
            == "[SPBE 2025] 3 tautan bukti dukung Dinas Komunikasi dan Informatika tidak dapat dibuka"
        )
        assert "Indikator 1:" in dinkominfo.body and "Status: tautan tidak dapat dibuka (404)" in dinkominfo.body
        assert (
            "alamat tidak diizinkan" in dinkominfo.body and "Jumat, 31 Oktober 2025 pukul 16.00 WIB" in dinkominfo.body
        )
        assert {n.recipient for n in notices} == {"adm-dinkominfo", "adm-bag-org"}

        again = run()  # same result: statuses refreshed, nothing changed, no new notice
        assert again.notices_queued == 0 and again.changed == 0
        srv.routes["/hilang.pdf"] = status(200)  # BAG-ORG fixed its document; DINKOMINFO's list changes too
        third = run()
        assert third.notified_opds == ["DINKOMINFO"] and third.notices_queued == 1
    with Session(engine) as session:
        assert len(session.exec(select(m.EvidenceCheck)).all()) == 4  # one row per URL: the latest check
        assert len(session.exec(select(m.AuditEvent).where(m.AuditEvent.action == "evidence.checked")).all()) == 3
        assert len(session.exec(select(OutboxMessage).where(OutboxMessage.key.contains("evidence-links"))).all()) == 3


def test_spbe_links_as_a_command(tmp_path: Path):
    url = f"sqlite:///{tmp_path / 'data/spbe.db'}"
    env = {"SPBE_DATA_DIR": str(tmp_path / "data"), "SPBE_DATABASE_URL": url, "SPBE_NOW": "2025-10-01T09:00:00+07:00"}
    engine = loaded_store(url, cycle_file=cycle_file(tmp_path))
    with local_server({"/ok.pdf": status(200)}) as srv:
        submit_links(engine, {("BAPPERIDA", 12): [srv.url("/ok.pdf"), srv.url("/hilang.pdf")]})
        result = run_spbe("links", "--json", env=env)
        text = run_spbe("links", env=env)
    assert result.code == 0, result.err
    data = json.loads(result.out)
    assert data["counts"] == {"ok": 1, "not_found": 1} and data["notified_opds"] == ["BAPPERIDA"]
    assert [(r["indicator"], r["opd"], r["status"]) for r in data["results"]] == [
        (12, "BAPPERIDA", "ok"),
        (12, "BAPPERIDA", "not_found"),
    ]
    lines = text.out.splitlines()
    assert lines[0] == "pekalongan-2025: 2 tautan bukti diperiksa: tautan tidak dapat dibuka (404): 1; dapat dibuka: 1"
    assert lines[1].split() == ["indikator", "OPD", "status", "tautan", "rincian"]  # the broken links' table
    assert lines[3].startswith("12         BAPPERIDA  tautan tidak dapat dibuka (404)  http://127.0.0.1:")
    assert lines[-1] == "pemberitahuan diantrekan: 0 (OPD dengan tautan rusak: BAPPERIDA)"
    assert not any(word in text.out for word in ("checked", "notices queued", "indicator", "link ", "detail"))


def test_spbe_links_without_links_says_so_in_indonesian(tmp_path: Path):
    url = f"sqlite:///{tmp_path / 'data/spbe.db'}"
    env = {"SPBE_DATA_DIR": str(tmp_path / "data"), "SPBE_DATABASE_URL": url, "SPBE_NOW": "2025-10-01T09:00:00+07:00"}
    loaded_store(url, cycle_file=cycle_file(tmp_path))
    text = run_spbe("links", env=env)
    assert text.code == 0, text.err
    assert text.out.splitlines() == [
        "pekalongan-2025: 0 tautan bukti diperiksa: belum ada tautan",
        "pemberitahuan diantrekan: 0 (OPD dengan tautan rusak: tidak ada)",
    ]
