"""A local webhook receiver for the benchmarks: answers 200 to every POST and counts idempotency keys, so a
benchmark can check that each queued message arrived exactly once.

It runs in its own process (the dispatcher under test must not share a GIL with it). Threaded, HTTP/1.1
keep-alive, a large listen backlog. Listens on 127.0.0.1 only.

    python bench/_receiver.py      # prints its port on the first line of stdout, serves until killed
    GET  /stats  → {"total": N, "unique": N, "repeated": N, "missing_key": N}
    POST /reset  → clears the counts
"""

from __future__ import annotations

import json
import sys
import threading
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

_lock = threading.Lock()
_keys: Counter = Counter()
_totals = {"total": 0, "missing_key": 0}


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive: the dispatcher's pooled client reuses connections

    def _answer(self, body: bytes, status: int = 200) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        if self.path == "/reset":
            with _lock:
                _keys.clear()
                _totals.update(total=0, missing_key=0)
            self._answer(b'{"reset":true}')
            return
        key = self.headers.get("Idempotency-Key")
        with _lock:
            _totals["total"] += 1
            if key:
                _keys[key] += 1
            else:
                _totals["missing_key"] += 1
        self._answer(b'{"ok":true}')

    def do_GET(self) -> None:
        if self.path != "/stats":
            self._answer(b'{"error":"not found"}', 404)
            return
        with _lock:
            stats = {
                **_totals,
                "unique": len(_keys),
                "repeated": sum(1 for n in _keys.values() if n > 1),
            }
        self._answer(json.dumps(stats).encode())

    def log_message(self, format: str, *args) -> None:
        pass  # thousands of requests: no access log


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 1024  # listen backlog: bursts of new connections are not refused


def main() -> None:
    server = _Server(("127.0.0.1", 0), _Handler)
    print(server.server_address[1], flush=True)
    try:
        server.serve_forever(poll_interval=0.5)
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        sys.stdout.flush()


if __name__ == "__main__":
    main()
