"""The network guard itself: it must refuse (and record) what leaves the loopback, and let loopback through."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.utils import netguard
from tests.utils.receiver import Receiver


@pytest.fixture
def private_log(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """Send this test's deliberate violations to its own log, not the session's (which fails the test)."""
    log = tmp_path / "violations.log"
    monkeypatch.setenv(netguard.LOG_ENV, str(log))
    return log


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.200.3.4", True),
        ("::1", True),
        ("::ffff:127.0.0.1", True),
        ("10.20.30.4", False),
        ("192.0.2.1", False),
        ("::ffff:169.254.169.254", False),
        ("2001:db8::1", False),
        ("localhost", False),  # a name, not an address: names are checked at lookup
        (None, False),
    ],
)
def test_is_loopback(host, loopback):
    assert netguard.is_loopback(host) is loopback


def test_connect_outside_is_refused_and_recorded(private_log: Path):
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    with sock, pytest.raises(netguard.NetworkGuardViolation, match=r"192\.0\.2\.1"):
        sock.connect(("192.0.2.1", 80))
    assert "connect to ('192.0.2.1', 80)" in private_log.read_text()


def test_lookup_of_a_fixture_host_is_refused(private_log: Path):
    with pytest.raises(netguard.NetworkGuardViolation, match=r"bukti\.example"):
        httpx.get("https://bukti.example/dokumen.pdf", timeout=2)
    assert "name lookup of 'bukti.example'" in private_log.read_text()


def test_datagram_outside_is_refused(private_log: Path):
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    with sock, pytest.raises(netguard.NetworkGuardViolation):
        sock.sendto(b"x", ("198.51.100.7", 53))


def test_loopback_passes():
    with Receiver() as rx:
        assert httpx.post(rx.url + "/x", json={"a": 1}, timeout=5).status_code < 500
        assert httpx.post(rx.url.replace("127.0.0.1", "localhost") + "/x", json={}, timeout=5).status_code < 500
    assert socket.getaddrinfo("localhost", 80)


def test_subprocesses_are_guarded(private_log: Path):
    """A Python process started by a test inherits the guard through sitecustomize on PYTHONPATH."""
    probe = "import socket; socket.getaddrinfo('example.org', 443)"
    proc = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, env=dict(os.environ))
    assert proc.returncode != 0 and "NetworkGuardViolation" in proc.stderr
    assert "name lookup of 'example.org'" in private_log.read_text()
