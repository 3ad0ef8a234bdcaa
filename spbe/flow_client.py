"""How a command runs its flow: through the engine already running for this data directory when there is one,
else by starting one in the background, else in its own process.

A flow run in a fresh process costs the Prefect import and client start-up (about 1 s of a 2.5-5 s `spbe phase
check` here) and, with no server, a temporary Prefect server every time (10-20 s). The engine (`spbe serve`,
or the background one a first command starts) has Prefect loaded and its server up: the command checks its
door in its own process (before anything heavy), then hands the run to the engine over 127.0.0.1 and prints
what comes back. This module imports neither Prefect nor httpx.

The engine is found through `flow-service.json` in the data directory (address, a token only readers of that
folder know, and a fingerprint of the settings that decide what a run does: store, data directory, cycle, frozen
clock, Prefect API). A command whose settings differ from the engine's runs its flow itself. The background
engine stops after SPBE_BACKGROUND_MINUTES idle minutes (30; 0 turns it off, as the tests do).
"""

from __future__ import annotations

import contextlib
import hashlib
import http.client
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from spbe.errors import InputError, SpbeError

INFO_FILE = "flow-service.json"
LOG_FILE = "flow-service.log"
LOCK_FILE = "flow-service.lock"
TOKEN_HEADER = "X-Spbe-Token"
READ_COMMANDS = ("status", "audit", "timeline")  # what the engine answers for a command (spbe.cli.entry)
START_TIMEOUT = 180.0  # a fresh Prefect server takes 11 s here, and far longer on a loaded machine


class EngineGone(Exception):
    """The noted engine does not answer (stopped, or another one took the port): run the flow another way."""


def fingerprint(settings: Any) -> str:
    """What must be the same in a command and the engine for the engine's run to be the command's run."""
    parts = (
        settings.database_url,
        str(Path(settings.data_dir).resolve()),
        str(Path(settings.config_dir).resolve()),
        str(Path(settings.cycle_file).resolve()),
        settings.cycle_code,
        settings.now.isoformat() if settings.now else None,
        settings.prefect_api_url,
        hashlib.sha256((settings.template_secret or "").encode()).hexdigest(),
    )
    return hashlib.sha256(repr(parts).encode()).hexdigest()


def info_path(data_dir: Path) -> Path:
    return Path(data_dir) / INFO_FILE


def read_info(data_dir: Path) -> dict | None:
    """The noted engine, if its process is alive (a stale note from a killed engine is ignored)."""
    try:
        info = json.loads(info_path(data_dir).read_text(encoding="utf-8"))
        pid, port, token = int(info["pid"]), int(info["port"]), str(info["token"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if not _alive(pid):
        return None
    return {**info, "pid": pid, "port": port, "token": token}


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def request(info: dict, method: str, path: str, body: dict | None = None, timeout: float | None = None) -> dict:
    """One JSON request to the engine; EngineGone when nothing (or not our engine) answers."""
    conn = http.client.HTTPConnection("127.0.0.1", info["port"], timeout=timeout)
    try:
        payload = json.dumps(body or {}).encode()
        conn.request(
            method, path, body=payload, headers={"Content-Type": "application/json", TOKEN_HEADER: info["token"]}
        )
        response = conn.getresponse()
        data = response.read()
    except OSError as exc:
        raise EngineGone(str(exc)) from None
    finally:
        conn.close()
    if response.status in (401, 404):
        raise EngineGone(f"HTTP {response.status}")
    try:
        return json.loads(data)
    except ValueError:
        raise EngineGone("not a JSON answer") from None


def run_flow_command(target: str, params: dict[str, Any], *, warn: Callable[[str], None] | None = None) -> dict:
    """Run the CLI's flow `target` (see flows.registry.run_target) and return its result; a run that ended
    on a typed error raises it, with the run's id, as if it had run here."""
    from spbe.settings import get_settings

    settings = get_settings()
    mine = fingerprint(settings)
    info = read_info(settings.data_dir)
    if info is not None and info.get("fingerprint") == mine:
        try:
            return _answer(request(info, "POST", "/run", {"target": target, "params": params, "fingerprint": mine}))
        except EngineGone:
            pass
    if settings.background_minutes > 0 and (info is None or info.get("background")):
        started = start_background(settings, mine, warn=warn)
        if started is not None:
            try:
                return _answer(
                    request(started, "POST", "/run", {"target": target, "params": params, "fingerprint": mine})
                )
            except EngineGone:
                pass
    return _run_here(target, params, warn=warn)


def _run_here(target: str, params: dict[str, Any], *, warn: Callable[[str], None] | None) -> dict:
    from flows.registry import run_target, temporary_server_note

    if (note := temporary_server_note()) and warn:
        warn(note)
    return run_target(target, params)


def _answer(answer: dict) -> dict:
    if "result" in answer:
        return answer["result"]
    if "error" in answer:
        raise rebuild_error(answer["error"])
    if "mismatch" in answer:
        raise EngineGone(answer["mismatch"])
    raise RuntimeError(answer.get("internal") or f"unexpected answer from the engine: {str(answer)[:200]}")


def describe_error(exc: SpbeError) -> dict:
    return {
        "type": exc.__class__.__name__,
        "state_name": exc.state_name,
        "message": str(exc),
        "flow_run_id": exc.flow_run_id,
        "ui_url": exc.ui_url,
    }


def rebuild_error(data: dict) -> SpbeError:
    """The engine's typed error, as this process would have raised it (same class, message and run id)."""
    from spbe import errors

    cls = getattr(errors, str(data.get("type")), None)
    if not (isinstance(cls, type) and issubclass(cls, SpbeError)):
        cls = errors.KINDS.get(str(data.get("state_name")), SpbeError)
    exc = cls.__new__(cls)
    Exception.__init__(exc, data.get("message") or "")
    if isinstance(exc, InputError):
        exc.problems, exc.source = [str(data.get("message") or "")], None
    exc.flow_run_id, exc.ui_url = data.get("flow_run_id"), data.get("ui_url")
    return exc


def start_background(settings: Any, mine: str, *, warn: Callable[[str], None] | None) -> dict | None:
    """Start the background engine for this data directory (one at a time: other commands wait on a lock),
    and wait until it answers. None when it could not start (the command then runs its flow itself)."""
    import fcntl

    data_dir = Path(settings.data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    with (data_dir / LOCK_FILE).open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        info = read_info(data_dir)
        if info is not None:
            if info.get("fingerprint") == mine:
                return info
            if info.get("background"):  # a background engine for other settings: this command's takes over
                with contextlib.suppress(EngineGone):
                    request(info, "POST", "/stop", timeout=10)
                _wait_gone(info["pid"])
        if warn:
            server = "" if settings.prefect_api_url else " and a local Prefect server (about 10 s, once)"
            warn(
                f"starting the background engine{server}: later commands reuse it; it stops after "
                f"{settings.background_minutes:g} idle minutes (SPBE_BACKGROUND_MINUTES=0 turns it off)"
            )
        log = (data_dir / LOG_FILE).open("ab")
        process = subprocess.Popen(
            [sys.executable, "-m", "spbe.cli.background"],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # not in the terminal's process group: Ctrl-C on a command leaves it up
        )
        log.close()
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if process.poll() is not None:
                if warn:
                    warn(f"the background engine did not start (see {data_dir / LOG_FILE}); running here")
                return None
            info = read_info(data_dir)
            if info is not None and info.get("pid") == process.pid and info.get("ready"):
                return info
            time.sleep(0.1)
        process.terminate()
        if warn:
            warn(f"the background engine was not ready after {START_TIMEOUT:.0f} s (see {data_dir / LOG_FILE})")
        return None


def _wait_gone(pid: int, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while _alive(pid) and time.monotonic() < deadline:
        time.sleep(0.1)


def stop_background(data_dir: Path, timeout: float = 30) -> bool:
    """Stop the background engine of a data directory, if one runs (`spbe serve` takes over; tests clean up)."""
    info = read_info(data_dir)
    if info is None or not info.get("background"):
        return False
    with contextlib.suppress(EngineGone):
        request(info, "POST", "/stop", timeout=10)
    _wait_gone(info["pid"], timeout)
    return True
