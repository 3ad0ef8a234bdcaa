"""Starting and finding a Prefect server: the demo and `spbe serve` start a local one when no
PREFECT_API_URL is set, so every run is visible in the UI and nothing pays the temporary-server cost."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from spbe.errors import SpbeError
from spbe.settings import redact_url


@dataclass
class LocalServer:
    api_url: str
    home: Path
    log_path: Path
    process: subprocess.Popen | None = field(default=None, repr=False)

    @property
    def ui_url(self) -> str:
        return self.api_url.removesuffix("/api")

    def stop(self, timeout: float = 15) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(5)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def healthy(api_url: str, timeout: float = 2.0) -> bool:
    import httpx

    # Plain HTTP (the local server) needs no certificates: loading the CA bundle costs 25-40 ms a call here,
    # and every flow run asks first whether its server answers.
    verify = not api_url.startswith("http://")
    try:
        return httpx.get(f"{api_url.rstrip('/')}/health", timeout=timeout, verify=verify).status_code == 200
    except httpx.HTTPError:
        return False


def prefect_cli() -> str:
    candidate = Path(sys.executable).parent / "prefect"
    return str(candidate) if candidate.exists() else "prefect"


def start_local_server(
    *,
    home: Path,
    port: int | None = None,
    database_url: str | None = None,
    timeout: float = 120,
    on_wait: Callable[[float], None] | None = None,
) -> LocalServer:
    """Start `prefect server start` on 127.0.0.1 with its own home (and, if given, a PostgreSQL database:
    `postgresql+asyncpg://...`), and wait until it is healthy."""
    home.mkdir(parents=True, exist_ok=True)
    port = port or free_port()
    api_url = f"http://127.0.0.1:{port}/api"
    env = {
        **os.environ,
        "PREFECT_HOME": str(home),
        "PREFECT_API_URL": api_url,
        "PREFECT_UI_API_URL": api_url,
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT_SERVER_LOGGING_LEVEL": "WARNING",
        "DO_NOT_TRACK": "1",
    }
    if database_url:
        env["PREFECT_SERVER_DATABASE_CONNECTION_URL"] = database_url
    log_path = home / "server.log"
    log = log_path.open("ab")
    process = subprocess.Popen(
        [prefect_cli(), "server", "start", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        start_new_session=True,
    )
    server = LocalServer(api_url, home, log_path, process)
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if process.poll() is not None:
            raise SpbeError(
                f"the Prefect server exited at start (code {process.returncode}); see {log_path}:\n{_tail(log_path)}"
            )
        if healthy(api_url, timeout=1):
            return server
        if on_wait:
            on_wait(time.monotonic() - started)
        time.sleep(0.25)
    server.stop()
    where = f" on {redact_url(database_url)}" if database_url else ""
    raise SpbeError(
        f"the Prefect server{where} was not healthy after {timeout:.0f} s; see {log_path}:\n{_tail(log_path)}"
    )


def _tail(path: Path, lines: int = 15) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"
