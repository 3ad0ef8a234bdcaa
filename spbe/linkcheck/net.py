"""Connect-time enforcement of the link policy, against DNS rebinding.

Checking a URL's host name and then letting the HTTP library resolve it again is racy: a hostile DNS
server can answer "public" to the check and "127.0.0.1" to the connection. Here the check and the
connection are one step: httpcore hands every new TCP connection (the first request and every redirect
hop, each on its own origin) to `GuardedBackend.connect_tcp`, which resolves the name once, refuses the
connection if ANY resolved address is not allowed, and then connects to one of exactly those addresses.
TLS still verifies the certificate against the host name (httpcore passes it as SNI), so connecting by
address changes nothing else. Environment proxies are never used (a proxy would connect for us).
"""

from __future__ import annotations

import asyncio
import socket
import ssl
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

import httpcore
import httpx

from spbe.linkcheck.policy import EvidenceSettings, IPAddress, address_refusal, literal_address, normalise_host
from spbe.safe_text import printable

Resolver = Callable[[str, int], Awaitable[list[IPAddress]]]


class UnsafeAddress(Exception):
    """The link leads to an address the policy refuses; nothing was sent to it."""


async def system_resolver(host: str, port: int) -> list[IPAddress]:
    loop = asyncio.get_running_loop()
    infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    out: list[IPAddress] = []
    for *_, sockaddr in infos:
        address = literal_address(str(sockaddr[0]))
        if address is not None and address not in out:
            out.append(address)
    return out


def static_resolver(table: dict[str, list[str]], fallback: Resolver | None = None) -> Resolver:
    """A resolver from a fixed table (tests, and air-gapped installations with a hosts list)."""

    async def resolve(host: str, port: int) -> list[IPAddress]:
        key = normalise_host(host)
        if key in table:
            return [a for a in (literal_address(x) for x in table[key]) if a is not None]
        if fallback is not None:
            return await fallback(host, port)
        raise socket.gaierror(socket.EAI_NONAME, f"{host} is not in the resolver table")

    return resolve


def resolver_for(settings: EvidenceSettings) -> Resolver:
    """The resolver the settings ask for: their `hosts` table first, then DNS unless `dns = false`."""
    if not settings.hosts:
        return system_resolver if settings.dns else static_resolver({})
    return static_resolver(
        {name: list(addresses) for name, addresses in settings.hosts}, system_resolver if settings.dns else None
    )


class GuardedBackend(httpcore.AsyncNetworkBackend):
    def __init__(
        self,
        settings: EvidenceSettings,
        resolver: Resolver | None = None,
        inner: httpcore.AsyncNetworkBackend | None = None,
    ) -> None:
        self.settings = settings
        self.resolver = resolver or resolver_for(settings)
        self.inner = inner or httpcore.AnyIOBackend()

    async def resolve_allowed(self, host: str, port: int, timeout: float | None) -> list[IPAddress]:
        """The addresses to connect to, each one allowed by the policy; raises when any is refused."""
        literal = literal_address(host)
        if literal is not None:
            addresses = [literal]
        else:
            try:
                addresses = await asyncio.wait_for(self.resolver(host, port), timeout)
            except TimeoutError:
                raise httpcore.ConnectTimeout(f"resolving {host} took longer than {timeout}s") from None
            except (OSError, UnicodeError) as exc:
                raise httpcore.ConnectError(f"cannot resolve {host}: {printable(exc, limit=200)}") from None
        if not addresses:
            raise httpcore.ConnectError(f"{host} has no address")
        for address in addresses:
            refusal = address_refusal(host, address, self.settings)
            if refusal:
                raise UnsafeAddress(refusal)
        return addresses

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        addresses = await self.resolve_allowed(host, port, timeout)
        error: Exception | None = None
        for address in addresses:
            try:
                return await self.inner.connect_tcp(
                    str(address), port, timeout=timeout, local_address=local_address, socket_options=socket_options
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                error = exc
        assert error is not None
        raise error

    async def connect_unix_socket(self, path: str, timeout: float | None = None, socket_options=None):
        raise UnsafeAddress("unix sockets are never used for evidence links")

    async def sleep(self, seconds: float) -> None:
        await self.inner.sleep(seconds)


class GuardedTransport(httpx.AsyncHTTPTransport):
    """httpx's transport with the connection pool rebuilt on the guarded backend (no proxies, HTTP/1.1)."""

    def __init__(self, backend: GuardedBackend, *, max_connections: int, verify: ssl.SSLContext | bool = True) -> None:
        super().__init__(verify=verify, trust_env=False)
        if not hasattr(self, "_pool"):  # pragma: no cover - caught by the tests on an httpx upgrade
            raise RuntimeError("httpx internals changed: GuardedTransport needs updating")
        ssl_context = getattr(self._pool, "_ssl_context", None)
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=ssl_context,
            max_connections=max_connections,
            max_keepalive_connections=max_connections,
            keepalive_expiry=5.0,
            http1=True,
            http2=False,
            network_backend=backend,
        )
