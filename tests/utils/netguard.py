"""No test may send a packet outside the loopback range: this makes any attempt fail, loudly.

`install()` wraps the socket module so that connecting (or sending a datagram) to an address outside
127.0.0.0/8 and ::1, or looking up any name other than localhost and this machine's own name, raises
`NetworkGuardViolation` and is recorded. It is stdlib-only and loads by file path, because the same file
guards the subprocesses the tests start (CLI runs, Prefect servers) through `site/sitecustomize.py`,
which the test session puts first on PYTHONPATH.

A violation raises, but code under test may catch broad exceptions (a link checker records failures as a
link's status), so raising alone could pass unnoticed: every violation is also appended to the file named
by `LOG_ENV`, and tests/conftest.py fails the test during which one was written.
"""

from __future__ import annotations

import os
import socket
import sys

LOG_ENV = "SPBE_TEST_NETGUARD_LOG"
_LOCAL_NAMES = {"localhost", "localhost.", "localhost.localdomain", "ip6-localhost", "ip6-loopback"}


class NetworkGuardViolation(RuntimeError):
    """A test tried to reach (or resolve) something outside this machine's loopback."""


# One class per process: a process that sitecustomize guarded before it imported `tests` (an xdist worker
# is such a subprocess) loads this file twice, and `pytest.raises` must catch what either copy raises.
NetworkGuardViolation = getattr(socket, "_spbe_netguard_violation", NetworkGuardViolation)
socket._spbe_netguard_violation = NetworkGuardViolation  # type: ignore[attr-defined]


def is_loopback(host: object) -> bool:
    """True for an IPv4 address in 127.0.0.0/8, ::1 and IPv4-mapped 127.x (literals only, no lookup)."""
    if not isinstance(host, str):
        return False
    host = host.split("%", 1)[0]
    try:
        packed = socket.inet_pton(socket.AF_INET, host)
        return packed[0] == 127
    except OSError:
        pass
    try:
        packed = socket.inet_pton(socket.AF_INET6, host)
    except OSError:
        return False
    if packed == bytes(15) + b"\x01":
        return True
    return packed[:12] == bytes(10) + b"\xff\xff" and packed[12] == 127


def _name_allowed(host: object) -> bool:
    if host is None or host in ("", b""):
        return True  # a passive lookup for binding a server
    if isinstance(host, bytes):
        host = host.decode("ascii", "replace")
    if not isinstance(host, str):
        return False
    name = host.lower()
    if name in _LOCAL_NAMES or name.endswith(".localhost") or is_loopback(name):
        return True
    if name in ("0.0.0.0", "::"):
        return True  # the unspecified address, looked up to bind a listening socket
    own = socket.gethostname().lower()
    return name in (own, own + ".")  # the machine's own name (in /etc/hosts here; smtplib asks for it)


def _violation(what: str) -> NetworkGuardViolation:
    command = " ".join(sys.argv)[:120] or sys.executable
    message = f"network guard: {what} (tests may only reach 127.0.0.0/8 and ::1) [pid {os.getpid()}: {command}]"
    path = os.environ.get(LOG_ENV)
    if path:
        try:
            with open(path, "a", encoding="utf-8") as log:
                log.write(message + "\n")
        except OSError:
            pass
    print(message, file=sys.stderr, flush=True)
    return NetworkGuardViolation(message)


def _check_address(sock: socket.socket, address: object, verb: str) -> None:
    if sock.family not in (socket.AF_INET, socket.AF_INET6):
        return  # AF_UNIX and friends never leave the machine
    host = address[0] if isinstance(address, tuple) and address else address
    if not is_loopback(host):
        raise _violation(f"{verb} to {address!r}")


def install() -> None:
    """Guard this process (idempotent)."""
    if getattr(socket, "_spbe_netguard", False):
        return
    real_connect = socket.socket.connect
    real_connect_ex = socket.socket.connect_ex
    real_sendto = socket.socket.sendto
    real_getaddrinfo = socket.getaddrinfo
    real_gethostbyname = socket.gethostbyname
    real_gethostbyname_ex = socket.gethostbyname_ex
    real_gethostbyaddr = socket.gethostbyaddr

    def connect(self, address):
        _check_address(self, address, "connect")
        return real_connect(self, address)

    def connect_ex(self, address):
        _check_address(self, address, "connect")
        return real_connect_ex(self, address)

    def sendto(self, data, *args):
        _check_address(self, args[-1], "sendto")
        return real_sendto(self, data, *args)

    def getaddrinfo(host, *args, **kwargs):
        if not _name_allowed(host):
            raise _violation(f"name lookup of {host!r}")
        return real_getaddrinfo(host, *args, **kwargs)

    def gethostbyname(host):
        if not _name_allowed(host):
            raise _violation(f"name lookup of {host!r}")
        return real_gethostbyname(host)

    def gethostbyname_ex(host):
        if not _name_allowed(host):
            raise _violation(f"name lookup of {host!r}")
        return real_gethostbyname_ex(host)

    def gethostbyaddr(host):
        if not _name_allowed(host):
            raise _violation(f"reverse lookup of {host!r}")
        return real_gethostbyaddr(host)

    socket.socket.connect = connect
    socket.socket.connect_ex = connect_ex
    socket.socket.sendto = sendto
    socket.getaddrinfo = getaddrinfo
    socket.gethostbyname = gethostbyname
    socket.gethostbyname_ex = gethostbyname_ex
    socket.gethostbyaddr = gethostbyaddr
    socket._spbe_netguard = True
