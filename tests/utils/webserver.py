"""A real HTTP server on 127.0.0.1 for link-check tests: fixed answers per path, and a record of every request.

Routes: a path maps to a function (method, headers) → (status, headers, body). `slow` holds the answer
until the test ends (an event, not a sleep), so a timeout test waits only for the checker's own timeout.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

Answer = tuple[int, dict[str, str], bytes]
Route = Callable[[str, dict[str, str]], Answer]


def status(code: int, body: bytes = b"") -> Route:
    return lambda method, headers: (code, {}, body)


def redirect(location: str, code: int = 302) -> Route:
    return lambda method, headers: (code, {"Location": location}, b"")


def head_refused(get_code: int = 200) -> Route:
    """A server that answers HEAD with 405 (common) and GET properly."""

    def route(method: str, headers: dict[str, str]) -> Answer:
        if method == "HEAD":
            return 405, {"Allow": "GET"}, b""
        ranged = "range" in {k.lower() for k in headers}
        return (206 if ranged and get_code == 200 else get_code), {}, b"%PDF-1.7 ..."

    return route


@dataclass
class LocalServer:
    port: int
    release: threading.Event
    routes: dict[str, Route]
    requests: list[tuple[str, str, dict[str, str]]] = field(default_factory=list)

    def url(self, path: str, host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.port}{path}"

    def paths(self) -> list[str]:
        return [p for _, p, _ in self.requests]

    def slow(self) -> Route:
        def route(method: str, headers: dict[str, str]) -> Answer:
            self.release.wait(timeout=30)
            return 200, {}, b""

        return route


@contextmanager
def local_server(routes: dict[str, Route] | None = None) -> Iterator[LocalServer]:
    state = LocalServer(0, threading.Event(), dict(routes or {}))

    class Handler(BaseHTTPRequestHandler):
        def _answer(self) -> None:
            headers = dict(self.headers.items())
            state.requests.append((self.command, self.path, headers))
            route = state.routes.get(self.path.split("?", 1)[0])
            code, extra, body = route(self.command, headers) if route else (404, {}, b"not here")
            self.send_response(code)
            for k, v in extra.items():
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        do_GET = do_HEAD = _answer

        def log_message(self, *args) -> None:  # quiet
            pass

    class Server(ThreadingHTTPServer):
        request_queue_size = 128  # the default backlog (5) drops concurrent connects: 1 s SYN retries, false timeouts
        daemon_threads = True

    server = Server(("127.0.0.1", 0), Handler)
    state.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, name="test-http", daemon=True)
    thread.start()
    try:
        yield state
    finally:
        state.release.set()
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
