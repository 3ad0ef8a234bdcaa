"""A local stand-in for the outside world during the demo: it receives webhook messages (the reminders
really go out, to 127.0.0.1) and serves evidence documents, some missing (404) and some private (403)."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path


class DemoReceiver:
    def __init__(self, log_path: Path) -> None:
        self.log_path = log_path
        self.received: list[dict] = []
        self.keys: set[str] = set()
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as the dispatcher's pooled client expects

            def log_message(self, *args) -> None:  # quiet
                pass

            def _answer(self, status: int, body: bytes = b"", kind: str = "application/pdf") -> None:
                self.send_response(status)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(body)

            def do_HEAD(self) -> None:
                self._evidence()

            def do_GET(self) -> None:
                self._evidence()

            def _evidence(self) -> None:
                if self.path.startswith("/evidence/missing/"):
                    self._answer(404, b"not found", "text/plain")
                elif self.path.startswith("/evidence/private/"):
                    self._answer(403, b"you need access", "text/html")
                elif self.path.startswith("/evidence/"):
                    self._answer(200, b"%PDF-1.4 demo evidence\n")
                else:
                    self._answer(404, b"", "text/plain")

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                try:
                    message = json.loads(body)
                except ValueError:
                    self._answer(400, b"bad json", "text/plain")
                    return
                receiver.record(message, self.headers.get("Idempotency-Key"))
                self._answer(200, b'{"ok": true}', "application/json")

        class Server(ThreadingHTTPServer):
            request_queue_size = 128  # the dispatcher opens several connections at once
            daemon_threads = True

        self.server = Server(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, name="demo-receiver", daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def record(self, message: dict, key: str | None) -> None:
        with self._lock:
            duplicate = bool(key) and key in self.keys
            if key:
                self.keys.add(key)
            self.received.append(message | {"duplicate": duplicate})
            with self.log_path.open("a", encoding="utf-8") as fh:
                fh.write(json.dumps(message, ensure_ascii=False) + "\n")

    def start(self) -> DemoReceiver:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
