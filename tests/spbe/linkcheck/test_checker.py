"""No link can abort the check: a corpus of URL shapes goes through intake and through the checker against a
real server on 127.0.0.1. Names are answered by the checker's injected resolver (`[evidence] hosts`, with
`dns = false`): no test here looks a name up or connects outside 127.0.0.1, and the guard below proves it."""

from __future__ import annotations

import ipaddress
import socket
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlmodel import Session, select

from spbe import clock
from spbe.intake.values import parse_url
from spbe.linkcheck.checker import LinkChecker
from spbe.linkcheck.net import GuardedBackend, resolver_for
from spbe.linkcheck.policy import STATUSES, EvidenceSettings
from spbe.linkcheck.service import check_links, run_link_check
from spbe.store import models as m
from spbe.store.db import session_scope
from tests.utils.intake import cycle_file, loaded_store, the_cycle
from tests.utils.webserver import local_server, redirect, status

FIXTURE_NAMES = (("bukti.example", ("127.0.0.1",)), ("xn--bcher-kva.example", ("127.0.0.1",)))
LOCAL = EvidenceSettings(
    timeout_seconds=0.5, allow_networks=(ipaddress.ip_network("127.0.0.1/32"),), hosts=FIXTURE_NAMES, dns=False
)
OCT = datetime(2025, 10, 1, 2, 0, tzinfo=UTC)


@pytest.fixture
def lookups(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every name the process tries to look up (addresses pass): must stay empty."""
    seen: list[str] = []
    real = socket.getaddrinfo

    def guarded(host, *args, **kwargs):
        text = host.decode() if isinstance(host, bytes) else str(host)
        try:
            ipaddress.ip_address(text)
        except ValueError:
            seen.append(text)
            raise socket.gaierror(socket.EAI_NONAME, f"test guard: no lookup of {text}") from None
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", guarded)
    return seen


def corpus(port: int) -> list[tuple[str, str | None, str]]:
    """(url, what intake says: None = accepted, else a phrase of its refusal, what the checker records)."""
    p = port
    return [
        # reachable, by address and by fixture name
        (f"http://127.0.0.1:{p}/ok", None, "ok"),
        (f"http://bukti.example:{p}/ok", None, "ok"),
        (f"HTTP://BUKTI.EXAMPLE:{p}/ok", None, "ok"),
        (f"http://bukti.example.:{p}/ok", None, "ok"),
        (f"http://bücher.example:{p}/ok", None, "ok"),
        (f"http://xn--bcher-kva.example:{p}/ok", None, "ok"),
        (f"http://127.0.0.1:{p}/ok?usp=sharing#page=2", None, "ok"),
        (f"http://127.0.0.1:{p}/hilang", None, "not_found"),
        (f"http://127.0.0.1:{p}/ok/%E2%9C%93", None, "not_found"),
        (f"http://127.0.0.1:{p}/privat", None, "forbidden"),
        (f"http://127.0.0.1:{p}/ke-ok-relatif", None, "ok"),
        (f"http://127.0.0.1:{p}/lambat", None, "timeout"),
        (f"http://127.0.0.1:{p}/putar", None, "error"),
        # redirects to what intake would have refused
        (f"http://127.0.0.1:{p}/ke-oktal", None, "error"),  # httpx itself refuses to parse that Location
        (f"http://127.0.0.1:{p}/ke-metadata-v6", None, "unsafe"),
        (f"http://127.0.0.1:{p}/ke-punycode-rusak", None, "error"),
        (f"http://127.0.0.1:{p}/ke-escape", None, "error"),
        (f"http://127.0.0.1:{p}/ke-idna-rusak", None, "error"),
        # reachable only through what the policy refuses
        (f"http://[::1]:{p}/ok", None, "unsafe"),
        (f"http://[::ffff:7f00:1]:{p}/ok", None, "unsafe"),
        (f"https://127.0.0.1:{p}/ok", None, "error"),  # TLS to a plain HTTP server
        (f"http://127.0.0.1:{_closed_port()}/ok", None, "error"),
        (f"http://localhost:{p}/ok", None, "error"),  # not in the table, and dns = false: never looked up
        ("http://tidak-terdaftar.example/x", None, "error"),
        # well-formed, refused by the policy only
        ("http://169.254.169.254/latest/meta-data/", None, "unsafe"),
        ("http://[::ffff:169.254.169.254]/", None, "unsafe"),
        ("http://[64:ff9b::a9fe:a9fe]/", None, "unsafe"),
        ("http://[2002:a9fe:a9fe::]/", None, "unsafe"),
        ("http://[2001:0:a9fe:a9fe::1]/", None, "unsafe"),
        ("http://[::169.254.169.254]/", None, "unsafe"),
        ("http://100.100.100.200/", None, "unsafe"),
        ("http://[fd00:ec2::254]/", None, "unsafe"),
        ("http://10.0.0.1/sk.pdf", None, "unsafe"),
        ("http://192.168.1.1/", None, "unsafe"),
        ("http://0.0.0.0/", None, "unsafe"),
        # IPv4 written the ways browsers read differently from other clients
        ("http://10.20.030.4/x", "peramban membacanya sebagai 10.20.24.4", "unsafe"),
        ("http://0177.0.0.1/", "peramban membacanya sebagai 127.0.0.1", "unsafe"),
        ("http://0x7f.0.0.1/", "peramban membacanya sebagai 127.0.0.1", "unsafe"),
        ("http://0x7f.1/", "peramban membacanya sebagai 127.0.0.1", "unsafe"),
        ("http://127.1/", "peramban membacanya sebagai 127.0.0.1", "unsafe"),
        ("http://2130706433/", "peramban membacanya sebagai 127.0.0.1", "unsafe"),
        ("http://017700000001/", "peramban membacanya sebagai 127.0.0.1", "unsafe"),
        (f"http://127.0.0.1.:{p}/ok", None, "ok"),  # a trailing dot is the DNS root: the same address everywhere
        ("http://127.1./", "peramban membacanya sebagai 127.0.0.1", "unsafe"),
        ("http://169.254.43518/latest/", "peramban membacanya sebagai 169.254.169.254", "unsafe"),
        ("http://1.2.3.4.5/", "bukan nama host maupun alamat IPv4", "error"),
        ("http://999999999999/", "bukan nama host maupun alamat IPv4", "error"),
        ("http://256.1.1.1/", "bukan nama host maupun alamat IPv4", "error"),
        ("http://a.123/", "bukan nama host maupun alamat IPv4", "error"),
        # names that are not valid IDNA or not names at all
        ("http://Ⅻ.example/", "IDNA", "error"),
        ("http://ﬀ.example/", "IDNA", "error"),
        ("http://xn--a.example/", "punycode", "error"),
        ("http://xn--ls8h.la/", "punycode", "error"),
        ("http://exa\u200dmple.com/", "karakter kendali", "error"),
        ("http://a..b/", "label kosong", "error"),
        ("http://-a.example/", "tidak valid", "error"),
        ("http://%41.example/", "tidak valid", "error"),
        ("http://ex ample.com/", "spasi atau karakter kendali", "error"),
        ("http://bukti.example\x00.com/", "karakter kendali", "error"),
        ("http://bukti.example/\x1b[31mmerah", "karakter kendali", "error"),
        ("http://[::1/", "bukan tautan yang sah", "unsafe"),
        ("http://[fe80::1%25eth0]/", "zone id", "unsafe"),
        ("http://[1::2::3]/", "bukan tautan yang sah", "unsafe"),
        ("http://example.com:99999/", "bukan tautan yang sah", "unsafe"),
        ("http://" + "a" * 64 + ".example/", "tidak valid", "error"),
        (f"http://bukti.example:{p}/" + "x" * 2100, "lebih panjang dari 2048", "not_found"),
        # not http(s), or carrying credentials
        ("http://user:pw@bukti.example/", "nama pengguna atau kata sandi", "unsafe"),
        ("ftp://bukti.example/x", "bukan tautan http(s)", "unsafe"),
        ("javascript:alert(1)", "bukan tautan http(s)", "unsafe"),
        ("file:///etc/passwd", "bukan tautan http(s)", "unsafe"),
        ("gopher://127.0.0.1:70/", "bukan tautan http(s)", "unsafe"),
        ("http:/bukti.example/x", "tidak punya nama host", "unsafe"),
        ("http://", "tidak punya nama host", "unsafe"),
    ]


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _routes(srv) -> None:
    srv.routes.update(
        {
            "/ok": status(200),
            "/privat": status(403),
            "/lambat": srv.slow(),
            "/putar": redirect("/putar"),
            "/ke-ok-relatif": redirect(f"//bukti.example:{srv.port}/ok"),
            "/ke-oktal": redirect("http://0177.0.0.1/"),
            "/ke-metadata-v6": redirect("http://[::ffff:169.254.169.254]/latest/"),
            "/ke-punycode-rusak": redirect("http://xn--a.example/"),
            "/ke-escape": redirect("/\x1b]52;c;cGF3bmVk\x07"),
            "/ke-idna-rusak": redirect("http://Ⅻ.example/".encode().decode("latin-1")),  # UTF-8 bytes on the wire
        }
    )


def test_every_url_shape_is_refused_at_intake_or_given_a_status_and_none_aborts_the_batch(lookups, capsys):
    with local_server() as srv:
        _routes(srv)
        shapes = corpus(srv.port)
        refused, accepted, crashed, wrong = 0, 0, [], []
        for url, expected, _ in shapes:
            try:
                parse_url(url)
            except ValueError as exc:
                refused += 1
                if expected is None or expected not in str(exc) or "\x1b" in str(exc) or "\x00" in str(exc):
                    wrong.append((url, "intake", str(exc)))
                continue
            except Exception as exc:
                crashed.append((url, "intake", repr(exc)))
                continue
            accepted += 1
            if expected is not None:
                wrong.append((url, "intake", "accepted"))
        # The checker gets every shape, refused ones too: links stored before intake refused them exist.
        try:
            results = LinkChecker(LOCAL).check_all_sync([url for url, _, _ in shapes])
        except Exception as exc:
            crashed.append(("(batch)", "checker", repr(exc)))
            results = []
    by_url = {r.url: r for r in results}
    for url, _, status_expected in shapes:
        result = by_url.get(url)
        if result is None:
            continue
        if result.status != status_expected or result.status not in STATUSES:
            wrong.append((url, "checker", f"{result.status}: {result.detail}"))
        if result.detail and any(ch in result.detail for ch in "\x1b\x07\x00\r\n"):
            wrong.append((url, "checker detail not printable", repr(result.detail)))
    with capsys.disabled():
        print(
            f"\n[URL corpus] tried {len(shapes)} / refused cleanly at intake {refused} / accepted {accepted} / "
            f"checked with a status {len(results)} / crashed {len(crashed)}"
        )
    assert len(shapes) >= 60
    assert crashed == []
    assert len(results) == len({u for u, _, _ in shapes})
    assert wrong == [], "\n".join(map(str, wrong))
    assert lookups == []  # every name was answered by the injected table


def test_the_resolver_comes_from_the_settings_and_never_falls_back_to_dns_when_told_not_to(lookups):
    import asyncio

    table_only = resolver_for(LOCAL)
    assert [str(a) for a in asyncio.run(table_only("BUKTI.example.", 80))] == ["127.0.0.1"]
    with pytest.raises(socket.gaierror, match="not in the resolver table"):
        asyncio.run(table_only("other.example", 80))
    backend = GuardedBackend(LOCAL)
    assert [str(a) for a in asyncio.run(backend.resolve_allowed("bukti.example", 80, 1))] == ["127.0.0.1"]
    assert lookups == []


def test_a_stored_link_the_http_library_cannot_parse_is_one_status_not_the_end_of_the_check(
    sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, lookups
):
    """Links stored before intake refused them (here: inserted directly) crashed `spbe links` for the city."""
    monkeypatch.setenv("SPBE_DATA_DIR", str(tmp_path / "data"))
    engine = loaded_store(sqlite_url, cycle_file=cycle_file(tmp_path))
    with local_server({"/ok.pdf": status(200)}) as srv:
        bad = ["http://10.20.030.4/x", "http://0177.0.0.1/", "http://xn--a.example/", "http://Ⅻ.example/"]
        with session_scope(engine) as session:
            cycle = the_cycle(session)
            owners = {a.indicator_number: a.owner_opd for a in session.exec(select(m.Assignment))}
            for n, urls in ((12, [srv.url("/ok.pdf"), *bad[:2]]), (1, bad[2:])):
                session.add(
                    m.Submission(
                        cycle_id=cycle.id,
                        indicator_number=n,
                        opd_code=owners[n],
                        version=1,
                        level=3,
                        evidence=urls,
                        submitted_at=OCT,
                        submitted_by="t",
                    )
                )
        with clock.use_clock(OCT), session_scope(engine) as session:
            report = check_links(session, cycle=the_cycle(session), now=clock.now())
        assert report.counts() == {"ok": 1, "unsafe": 2, "error": 2}
        assert report.notified_opds == ["BAPPERIDA", "DINKOMINFO"]
        monkeypatch.setenv("SPBE_DATABASE_URL", sqlite_url)
        from spbe.settings import get_settings

        get_settings.cache_clear()
        again = run_link_check()  # the CLI's path: read, fetch with no transaction open, write
    assert again.counts() == {"ok": 1, "unsafe": 2, "error": 2}
    with Session(engine) as session:
        details = {c.url: c.detail for c in session.exec(select(m.EvidenceCheck))}
    assert "punycode" in details["http://xn--a.example/"] and "IDNA" in details["http://Ⅻ.example/"]
    assert "10.20.24.4" in details["http://10.20.030.4/x"]
    assert lookups == []


def test_an_unexpected_failure_inside_the_checker_is_that_links_status(monkeypatch: pytest.MonkeyPatch, lookups):
    checker = LinkChecker(LOCAL)
    real = checker._follow

    async def flaky(client, url):
        if "meledak" in url:
            raise RuntimeError("bug \x1b[2J di pemeriksa")
        return await real(client, url)

    monkeypatch.setattr(checker, "_follow", flaky)
    with local_server({"/ok": status(200)}) as srv:
        results = checker.check_all_sync([srv.url("/ok"), srv.url("/meledak")])
    assert [r.status for r in results] == ["ok", "error"]
    assert results[1].detail == "pemeriksaan gagal: RuntimeError: bug di pemeriksa"
