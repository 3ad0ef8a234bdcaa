"""A real HTTP receiver on 127.0.0.1 for delivery tests: webhook, Telegram-shaped and WhatsApp-shaped posts.

It records every request, and accepts each idempotency key the way a careful gateway would: a repeat of an
accepted key is answered 200 and counted in `duplicates`, so a test can tell exactly which keys arrived
twice. Faults can be injected for a share of requests (seeded, so runs repeat): 500, 429 with Retry-After,
or a stall longer than the client's timeout (nothing is accepted then). `max_faults_per_key` bounds the
faults one key meets, so "everything arrives" is a fair expectation.
"""

from __future__ import annotations

import json
import random
import select
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

from spbe import clock


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: Any  # parsed JSON, a form as {field: value}, or text
    key: str | None
    answer: int
    at: datetime | None = None  # the engine's clock (spbe.clock) when it arrived: simulated time in tests


@dataclass
class Faults:
    share: float = 0.0  # of requests that meet a fault
    kinds: tuple[str, ...] = ("500", "429", "stall")
    retry_after: float = 1.0  # seconds, sent with 429
    stall_seconds: float = 1.0
    max_faults_per_key: int = 2
    match: str | None = None  # only keys containing this meet faults
    seed: int = 7


@dataclass
class Receiver:
    faults: Faults = field(default_factory=Faults)
    delay: float = 0.0  # seconds of work per accepted request (to catch a dispatcher mid-batch)
    refuse: dict[str, int] = field(default_factory=dict)  # path prefix → status answered for good (e.g. 400)
    refuse_text: str | None = None  # a plain-text body for those answers; "{path}" is the request path and query
    requests: list[Received] = field(default_factory=list)
    accepted: Counter = field(default_factory=Counter)  # key → times accepted (1 unless a repeat arrived)
    faults_met: Counter = field(default_factory=Counter)

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._arrived = threading.Condition(self._lock)  # notified whenever a key is accepted
        self._closing = threading.Event()  # ends a stall early when the test is done with the receiver
        self._active = 0  # requests being handled right now
        self._rng = random.Random(self.faults.seed)
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:  # quiet
                pass

            def do_POST(self) -> None:
                receiver._handle(self)

        class Server(ThreadingHTTPServer):
            request_queue_size = 256  # the default backlog of 5 turns a burst of connects into timeouts

            def handle_error(self, request: Any, client_address: Any) -> None:
                pass  # a client that went away (timed out, killed) is part of the tests, not news

            def process_request(self, request: Any, client_address: Any) -> None:
                with receiver._arrived:  # counted from the accept, before its thread starts
                    receiver._active += 1
                super().process_request(request, client_address)

            def process_request_thread(self, request: Any, client_address: Any) -> None:
                try:
                    super().process_request_thread(request, client_address)
                finally:
                    with receiver._arrived:
                        receiver._active -= 1
                        receiver._arrived.notify_all()

        self.server = Server(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def __enter__(self) -> Receiver:
        self.thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._closing.set()
        self.server.shutdown()
        self.server.server_close()

    @property
    def keys(self) -> set[str]:
        return set(self.accepted)

    @property
    def duplicates(self) -> set[str]:
        return {k for k, n in self.accepted.items() if n > 1}

    def wait_for(self, count: int, timeout: float = 10.0) -> bool:
        """Block until `count` distinct keys were accepted (True) or `timeout` seconds passed (False)."""
        with self._arrived:
            return self._arrived.wait_for(lambda: len(self.accepted) >= count, timeout=timeout)

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """Block until no connection waits to be accepted and none is being handled (True), e.g. after a
        client was killed mid-batch: what it had sent is answered and counted before the test looks."""
        deadline = time.monotonic() + timeout
        with self._arrived:
            while self._active or select.select([self.server.socket], [], [], 0)[0]:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._arrived.wait(min(remaining, 0.05))  # woken by each finished request; rechecks the backlog
            return True

    def _fault_for(self, key: str | None) -> str | None:
        f = self.faults
        with self._lock:
            if not f.share or (key and self.faults_met[key] >= f.max_faults_per_key):
                return None
            if f.match and (not key or f.match not in key):
                return None
            if self._rng.random() >= f.share:
                return None
            kind = self._rng.choice(f.kinds)
            if key:
                self.faults_met[key] += 1
            return kind

    def _handle(self, h: BaseHTTPRequestHandler) -> None:
        length = int(h.headers.get("Content-Length") or 0)
        raw = h.rfile.read(length) if length else b""
        ctype = h.headers.get("Content-Type", "")
        if "json" in ctype:
            body: Any = json.loads(raw or b"null")
        elif "form" in ctype:
            body = {k: v[0] for k, v in parse_qs(raw.decode()).items()}
        else:
            body = raw.decode("utf-8", "replace")
        key = h.headers.get("Idempotency-Key")
        fault = self._fault_for(key)
        headers = dict(h.headers.items())
        refused = next((status for prefix, status in self.refuse.items() if h.path.startswith(prefix)), None)
        if refused:
            with self._lock:
                self.requests.append(Received(h.path, headers, body, key, refused))
            if self.refuse_text is not None:  # a careless gateway: echoes what it was sent, escapes and all
                self._answer_text(h, refused, self.refuse_text.replace("{path}", h.path))
                return
            # Echo the request line the way many gateways' error pages do: a secret in the URL must not
            # survive the trip into an error message.
            self._answer(h, refused, {"ok": False, "description": "Bad Request: chat not found", "request": h.path})
            return
        if fault == "stall":
            with self._lock:
                self.requests.append(Received(h.path, headers, body, key, 0))
            self._closing.wait(self.faults.stall_seconds)  # a real stall: the client's real timeout is under test
            h.close_connection = True  # the client gave up long ago; nothing was accepted
            return
        if fault in ("500", "429"):
            status = int(fault)
            with self._lock:
                self.requests.append(Received(h.path, headers, body, key, status))
            extra = {"Retry-After": f"{self.faults.retry_after:g}"} if status == 429 else {}
            self._answer(h, status, {"error": "injected fault"}, extra)
            return
        if self.delay:
            self._closing.wait(self.delay)  # simulated work; ends early once the test is done
        with self._lock:
            self.requests.append(Received(h.path, headers, body, key, 200, clock.now()))
            if key:
                self.accepted[key] += 1
                self._arrived.notify_all()
        if "/sendMessage" in h.path:
            answer: dict[str, Any] = {"ok": True, "result": {"message_id": len(self.requests)}}
        elif "form" in ctype:
            answer = {"status": True, "detail": "success! message in queue"}
        else:
            answer = {"ok": True}
        self._answer(h, 200, answer)

    @staticmethod
    def _answer_text(h: BaseHTTPRequestHandler, status: int, text: str) -> None:
        data = text.encode("utf-8")
        h.send_response(status)
        h.send_header("Content-Type", "text/plain; charset=utf-8")
        h.send_header("Content-Length", str(len(data)))
        h.end_headers()
        h.wfile.write(data)

    @staticmethod
    def _answer(h: BaseHTTPRequestHandler, status: int, payload: dict, headers: dict[str, str] | None = None) -> None:
        data = json.dumps(payload).encode()
        h.send_response(status)
        h.send_header("Content-Type", "application/json")
        h.send_header("Content-Length", str(len(data)))
        for k, v in (headers or {}).items():
            h.send_header(k, v)
        h.end_headers()
        h.wfile.write(data)
