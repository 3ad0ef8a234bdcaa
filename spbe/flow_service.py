"""The engine's side of a flow-running command: runs the flows that CLI processes hand over (spbe.flow_client).

It lives in `spbe serve` (a thread beside the deployments and the timekeeper) or, with no `spbe serve`, in a
background process that the first flow-running command starts (`python -m spbe.cli.background`):
that one starts a local Prefect server when no PREFECT_API_URL is set, notes it like `spbe serve` does, and
stops (server included) after SPBE_BACKGROUND_MINUTES idle minutes, on SIGTERM, or when `spbe serve` asks.

Bound to 127.0.0.1 on a free port; each request carries the token from `flow-service.json` (mode 0600 in the
data directory); a request whose settings fingerprint differs from the engine's is declined, and the command
runs its flow itself. Runs are one at a time, in the order they come, as separate commands would on a store.
The command has already checked its door; the flow checks again (as every flow does), so nothing here grants
a privilege.
"""

from __future__ import annotations

import io
import json
import os
import secrets
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from spbe.errors import SpbeError
from spbe.flow_client import INFO_FILE, TOKEN_HEADER, describe_error, fingerprint


class FlowService:
    """An HTTP door on 127.0.0.1 that runs `flows.registry.run_target` for commands of the same settings."""

    def __init__(self, data_dir: Path, *, background: bool, settings: Any) -> None:
        self.data_dir = Path(data_dir)
        self.background = background
        self.fingerprint = fingerprint(settings)
        self.token = secrets.token_urlsafe(32)
        self.last_used = time.monotonic()
        self.stopping = threading.Event()
        self._run_lock = threading.Lock()
        self._read_lock = threading.Lock()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._httpd.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return self._httpd.server_address[1]

    def start(self) -> FlowService:
        self._thread = threading.Thread(target=self._httpd.serve_forever, name="flow-service", daemon=True)
        self._thread.start()
        self._write_info()
        return self

    def close(self) -> None:
        self.stopping.set()
        if self._run_lock.acquire(timeout=120):  # a run in progress finishes and answers first
            self._run_lock.release()
        self._httpd.shutdown()
        self._httpd.server_close()
        path = self.data_dir / INFO_FILE
        try:
            if json.loads(path.read_text(encoding="utf-8")).get("pid") == os.getpid():
                path.unlink()
        except (OSError, ValueError):
            pass

    def _write_info(self) -> None:
        info = {
            "pid": os.getpid(),
            "port": self.port,
            "token": self.token,
            "fingerprint": self.fingerprint,
            "background": self.background,
            "ready": True,
        }
        self.data_dir.mkdir(parents=True, exist_ok=True)
        path = self.data_dir / INFO_FILE
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)  # the token: readers of the folder only
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(info, f)
        tmp.replace(path)

    def run(self, body: dict) -> dict:
        if body.get("fingerprint") != self.fingerprint:
            return {"mismatch": "this engine runs with other settings (store, cycle, clock or Prefect API)"}
        with self._run_lock:
            if self.stopping.is_set():
                return {"mismatch": "this engine is stopping"}
            self.last_used = time.monotonic()
            try:
                from flows.registry import run_target

                return {"result": run_target(str(body["target"]), dict(body.get("params") or {}))}
            except SpbeError as exc:
                return {"error": describe_error(exc)}
            except Exception as exc:
                from spbe.prefect_env import prefect_outage

                outage = prefect_outage(exc)
                if outage is not None:
                    return {"error": describe_error(outage)}
                return {"internal": f"kesalahan internal (internal error) {exc.__class__.__name__}: {str(exc)[:300]}"}
            finally:
                self.last_used = time.monotonic()

    def command(self, body: dict) -> dict:
        """Answer a read command (spbe.cli.entry) as the command would answer it in its own process: the same
        code, for the caller's actor, its output captured for this thread only. Reads run one at a time,
        beside a flow run rather than behind it."""
        if body.get("fingerprint") != self.fingerprint:
            return {"mismatch": "this engine runs with other settings (store, cycle, clock or Prefect API)"}
        from spbe.flow_client import READ_COMMANDS
        from spbe.settings import get_settings

        argv = [str(a) for a in body.get("argv") or []]
        wrong = not argv or argv[0] not in READ_COMMANDS or body.get("language") != get_settings().language
        if wrong or _command_line is None:
            return {"declined": "not a read this engine answers"}
        if argv[0] != "timeline" and not any(a == "--as" or a.startswith("--as=") for a in argv):
            argv += ["--as", str(body.get("actor") or "")]
        with self._read_lock:
            self.last_used = time.monotonic()
            code, out, err = captured_cli(argv)
            self.last_used = time.monotonic()
        return {"code": code, "out": out, "err": err}

    def idle_seconds(self) -> float:
        return 0.0 if self._run_lock.locked() else time.monotonic() - self.last_used


class _ThreadStreams(threading.local):
    out: io.StringIO | None = None
    err: io.StringIO | None = None


_captures = _ThreadStreams()


class _PerThread:
    """sys.stdout (or stderr) of the engine: what a captured command's thread writes goes to its buffer, what
    any other thread writes (the timekeeper's lines, Prefect's warnings) to the terminal as before. It says
    it is a UTF-8 text stream, so that click (typer.echo) writes to it rather than around it to a `buffer`."""

    encoding = "utf-8"
    errors = "strict"

    def __init__(self, terminal, which: str) -> None:
        self.terminal, self.which = terminal, which

    def _target(self):
        return getattr(_captures, self.which) or self.terminal

    def write(self, text: str) -> int:
        return self._target().write(text)

    def flush(self) -> None:
        self._target().flush()

    def isatty(self) -> bool:
        return self._target().isatty()

    def __getattr__(self, name: str):
        if name == "buffer":
            raise AttributeError(name)
        return getattr(self.terminal, name)


_command_line: Callable[[list[str]], None] | None = None


def answer_commands_with(command_line: Callable[[list[str]], None]) -> None:
    """The CLI's own entry (spbe.cli.main.main) registers itself in an engine process: this module never imports
    the CLI, which imports it (the `serve` command starts an engine)."""
    global _command_line
    _command_line = command_line


def captured_cli(argv: list[str]) -> tuple[int, str, str]:
    """Run `spbe ARGV` in this process (the CLI's entry, its error handling included): exit code and output."""
    import sys

    main = _command_line
    if main is None:
        raise RuntimeError("no command line registered in this engine")
    if not isinstance(sys.stdout, _PerThread):
        sys.stdout, sys.stderr = _PerThread(sys.stdout, "out"), _PerThread(sys.stderr, "err")
    _captures.out, _captures.err = io.StringIO(), io.StringIO()
    code: int = 0
    try:
        main(argv)
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    finally:
        out, err = _captures.out.getvalue(), _captures.err.getvalue()
        _captures.out = _captures.err = None
    return code, out, err


def _handler(service: FlowService) -> type[BaseHTTPRequestHandler]:
    from spbe.cli.output import _default

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

        def _reply(self, status: int, data: dict) -> None:
            body = json.dumps(data, default=_default).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:
            if self.path != "/health" or not secrets.compare_digest(self.headers.get(TOKEN_HEADER, ""), service.token):
                self._reply(404, {})
                return
            self._reply(200, {"ok": True, "background": service.background})

        def do_POST(self) -> None:
            if not secrets.compare_digest(self.headers.get(TOKEN_HEADER, ""), service.token):
                self._reply(401, {})
                return
            try:
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"{}")
            except ValueError:
                self._reply(400, {"internal": "bad request"})
                return
            if self.path == "/run":
                self._reply(200, service.run(body))
            elif self.path == "/command":
                self._reply(200, service.command(body))
            elif self.path == "/stop" and service.background:
                self._reply(200, {"ok": True})
                service.stopping.set()
            else:
                self._reply(404, {})

    return Handler


def run_background() -> None:
    """The background engine: a local Prefect server unless PREFECT_API_URL is set, the flows loaded, the door
    open; until idle, SIGTERM, or a `/stop`."""
    import signal

    from spbe.prefect_env import apply_defaults, forget_local_server, quiet_console, record_local_server, use_server
    from spbe.settings import get_settings

    settings = get_settings()  # before use_server: the fingerprint is that of the commands that started it
    quiet_console()
    apply_defaults()
    service_stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: service_stop.set())
    server = None
    service = None
    try:
        from spbe.prefect_env import api_url

        if not api_url():
            from spbe.prefect_server import start_local_server

            server = start_local_server(home=settings.data_dir / "prefect")
            use_server(server.api_url, server.ui_url)
            record_local_server(server.api_url)
        from flows.registry import all_flows

        all_flows()  # every phase flow imported now, not on the first command
        service = FlowService(settings.data_dir, background=True, settings=settings).start()
        limit = settings.background_minutes * 60
        while not (service_stop.is_set() or service.stopping.is_set()):
            if service.idle_seconds() > limit:
                break
            service_stop.wait(1.0)
    finally:
        if service is not None:
            service.close()
        if server is not None:
            forget_local_server()
            server.stop()
