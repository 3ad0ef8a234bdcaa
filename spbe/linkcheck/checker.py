"""Checking links the way an assessor's browser would reach them, cheaply and safely.

HEAD first; when a server answers HEAD with an error (many do, wrongly), one ranged GET for the first
byte decides. Redirects are followed by hand, at most `max_redirects`, and every hop is checked again: its
URL by the policy, its address at connect time (`net`). A redirect to a sign-in page means the document
is not shared: "forbidden". Concurrency is bounded; each link has a time budget of its own.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, TypeVar

import httpx

from spbe.linkcheck.net import GuardedBackend, GuardedTransport, Resolver, UnsafeAddress
from spbe.linkcheck.policy import EvidenceSettings, is_login_page, status_for, url_problem, url_refusal
from spbe.safe_text import printable

REDIRECTS = (301, 302, 303, 307, 308)
T = TypeVar("T")


@dataclass(frozen=True)
class LinkResult:
    url: str
    status: str  # ok | not_found | forbidden | timeout | unsafe | error
    http_status: int | None = None
    detail: str | None = None
    final_url: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "url": self.url,
            "status": self.status,
            "http_status": self.http_status,
            "detail": self.detail,
            "final_url": self.final_url,
        }


class LinkChecker:
    def __init__(
        self,
        settings: EvidenceSettings,
        *,
        resolver: Resolver | None = None,
        backend: GuardedBackend | None = None,
    ) -> None:
        self.settings = settings
        self.backend = backend or GuardedBackend(settings, resolver)

    def check_all_sync(self, urls: Iterable[str]) -> list[LinkResult]:
        """For callers without an event loop (CLI, sync flows and tasks); safe inside a running loop too."""
        urls = list(urls)
        return run_sync(lambda: self.check_all(urls))

    async def check_all(self, urls: Iterable[str]) -> list[LinkResult]:
        unique = list(dict.fromkeys(urls))
        if not unique:
            return []
        gate = asyncio.Semaphore(self.settings.concurrency)
        transport = GuardedTransport(self.backend, max_connections=self.settings.concurrency)
        timeout = httpx.Timeout(self.settings.timeout_seconds)
        headers = {"User-Agent": self.settings.user_agent, "Accept": "*/*"}
        async with httpx.AsyncClient(
            transport=transport, timeout=timeout, headers=headers, follow_redirects=False, trust_env=False
        ) as client:

            async def one(url: str) -> LinkResult:
                async with gate:
                    return await self.check_one(client, url)

            return list(await asyncio.gather(*(one(u) for u in unique)))

    async def check_one(self, client: httpx.AsyncClient, url: str) -> LinkResult:
        """One link's status; never raises. Whatever goes wrong with one link (a URL the HTTP library cannot
        parse, a server that breaks the protocol, a bug) is that link's status, not the end of the batch."""
        budget = self.settings.timeout_seconds * (self.settings.max_redirects + 2)
        try:
            async with asyncio.timeout(budget):
                return await self._follow(client, url)
        except TimeoutError:
            return LinkResult(url, "timeout", detail=f"no complete answer within {budget:g}s")
        except Exception as exc:
            return LinkResult(url, "error", detail=f"pemeriksaan gagal: {_describe(exc)}")

    async def _follow(self, client: httpx.AsyncClient, url: str) -> LinkResult:
        current = url
        for hop in range(self.settings.max_redirects + 1):
            via = f"redirect to {printable(current, limit=200)}: " if hop else ""
            refusal = url_refusal(current, self.settings)
            if refusal:
                return LinkResult(url, "unsafe", detail=via + refusal, final_url=current)
            problem = url_problem(current)
            if problem:
                return LinkResult(url, "error", detail=f"{via}tautan tidak valid: {problem}", final_url=current)
            if hop and is_login_page(current):
                return LinkResult(
                    url,
                    "forbidden",
                    detail=f"{via}a sign-in page: the document is not shared publicly",
                    final_url=current,
                )
            try:
                response = await self._request(client, current)
            except UnsafeAddress as exc:
                return LinkResult(url, "unsafe", detail=via + str(exc), final_url=current)
            except httpx.TimeoutException:
                return LinkResult(
                    url,
                    "timeout",
                    detail=f"{via}no answer within {self.settings.timeout_seconds:g}s",
                    final_url=current,
                )
            except (httpx.HTTPError, httpx.InvalidURL, UnicodeError) as exc:
                return LinkResult(url, "error", detail=f"{via}{_describe(exc)}", final_url=current)
            location = response.headers.get("location")
            if response.status_code in REDIRECTS and location:
                try:
                    current = str(httpx.URL(current).join(location))
                except (httpx.InvalidURL, UnicodeError, ValueError):
                    return LinkResult(
                        url, "error", response.status_code, f"invalid redirect {printable(location, limit=200)!r}"
                    )
                continue
            status = status_for(response.status_code)
            detail = None if status == "ok" else f"HTTP {response.status_code}"
            return LinkResult(url, status, response.status_code, detail, current)
        return LinkResult(url, "error", detail=f"more than {self.settings.max_redirects} redirects", final_url=current)

    async def _request(self, client: httpx.AsyncClient, url: str) -> httpx.Response:
        response = await client.head(url)
        if response.status_code < 400:
            return response
        request = client.build_request("GET", url, headers={"Range": "bytes=0-0"})
        ranged = await client.send(request, stream=True)
        await ranged.aclose()  # status and headers are all we need; the body is never read
        return ranged


def _describe(exc: BaseException) -> str:
    """An exception as one printable line: a remote server's text may carry terminal escapes."""
    text = printable(exc, limit=200)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def run_sync(make: Callable[[], Awaitable[T]]) -> T:
    """Run a coroutine to completion from sync code, in a fresh thread when this one already runs a loop."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(make())  # type: ignore[arg-type]
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(lambda: asyncio.run(make())).result()  # type: ignore[arg-type]
