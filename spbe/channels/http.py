"""What an HTTP answer means for delivery: 2xx delivered; 408, 425, 429 and 5xx worth retrying (429 and
503 with the server's Retry-After); any other 4xx refused for good. Transport errors and timeouts are
retried: the idempotency key lets the receiver drop a repeat if the first try did arrive. An answer, or a
failure to connect, proves the message was not taken, so the next channel may be tried at once.

Error texts never carry the request URL (a webhook's signature or a bot token lives there); what a remote
server or the HTTP library says is kept to one printable line with any URL query cut off."""

from __future__ import annotations

from datetime import UTC
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from spbe import clock
from spbe.channels.base import Outcome, endpoint, without_query
from spbe.safe_text import printable

RETRYABLE_STATUS = {408, 425, 429, 500, 502, 503, 504}


def retry_after_seconds(value: str | None) -> float | None:
    """Retry-After is either seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max((when - clock.now()).total_seconds(), 0.0)


def classify(response: httpx.Response) -> Outcome:
    status = response.status_code
    if 200 <= status < 300:
        return Outcome.ok(status)
    reason = printable(f"HTTP {status} {response.reason_phrase}", limit=80)
    detail = _short(response.text)
    text = f"{reason}: {detail}" if detail else reason
    if status in RETRYABLE_STATUS:
        return Outcome.retry(text, retry_after=retry_after_seconds(response.headers.get("Retry-After")), status=status)
    return Outcome.refused(text, status=status)


UNCERTAIN = (httpx.ReadTimeout, httpx.ReadError, httpx.RemoteProtocolError, httpx.WriteTimeout, httpx.WriteError)


def transport_failure(exc: Exception) -> Outcome:
    """Connect errors prove the message did not arrive; a failure after the request went out does not."""
    kind = "timeout" if isinstance(exc, httpx.TimeoutException) else "connection failed"
    text = without_query(printable(exc, limit=200))
    return Outcome.retry(f"{kind}: {exc.__class__.__name__}: {text}", uncertain=isinstance(exc, UNCERTAIN))


async def post(client: httpx.AsyncClient, url: str, *, key: str, shown: str | None = None, **kwargs: Any) -> Outcome:
    """POST and judge the answer. `shown`: how an error names the endpoint (default scheme://host/path; a
    channel whose path holds a secret, like Telegram's bot token, passes its own)."""
    where = shown or endpoint(url)
    headers = {"Idempotency-Key": key, **kwargs.pop("headers", {})}
    try:
        response = await client.post(url, headers=headers, **kwargs)
    except httpx.UnsupportedProtocol as exc:  # configuration: certainly not sent, and will not be
        return Outcome.refused(f"alamat kanal tidak dapat dipakai ({where}): {exc.__class__.__name__}")
    except (httpx.TransportError, httpx.TimeoutException) as exc:
        return transport_failure(exc)
    except (httpx.InvalidURL, UnicodeError) as exc:  # a URL (or token in it) httpx cannot send: nothing left
        return Outcome.refused(f"alamat kanal tidak valid ({where}): {exc.__class__.__name__}")
    return classify(response)


def _short(text: str, limit: int = 200) -> str:
    """A remote server's body as one printable line: it may carry terminal escapes or echo our URL."""
    return without_query(printable(text, limit=limit))
