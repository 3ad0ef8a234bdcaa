"""Prefect defaults for this tool, applied before Prefect is imported: quiet, offline-friendly, and
tolerant of a slow first start of the temporary server (see shared/prefect-notes.md)."""

from __future__ import annotations

import os

DEFAULTS = {
    # Runs log INFO to the server (the UI shows what each run did); the terminal shows warnings only.
    "PREFECT_LOGGING_LEVEL": "INFO",
    "PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL": "WARNING",
    "PREFECT_SERVER_LOGGING_LEVEL": "CRITICAL",
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    "DO_NOT_TRACK": "1",
    "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "90",
}


def apply_defaults() -> None:
    for key, value in DEFAULTS.items():
        os.environ.setdefault(key, value)
    if not os.environ.get("PREFECT_API_URL"):
        found = running_local_server()
        if found:
            os.environ["PREFECT_API_URL"] = found
            os.environ.setdefault("PREFECT_UI_URL", found.removesuffix("/api"))


def server_file():
    """Where `spbe serve` notes the local Prefect server it started, for other commands to find."""
    from spbe.settings import get_settings

    return get_settings().data_dir / "prefect-server.json"


def record_local_server(api_url: str) -> None:
    import json

    path = server_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"api_url": api_url, "pid": os.getpid()}), encoding="utf-8")


def forget_local_server() -> None:
    server_file().unlink(missing_ok=True)


def running_local_server() -> str | None:
    """The API URL of a local server that `spbe serve` started and that still answers, else None."""
    import json

    path = server_file()
    try:
        api_url = json.loads(path.read_text(encoding="utf-8"))["api_url"]
    except (OSError, ValueError, KeyError):
        return None
    from spbe.prefect_server import healthy

    return api_url if healthy(api_url, timeout=1.0) else None


def ui_url(flow_run_id: str) -> str | None:
    """The flow run's page in the Prefect UI when a server is configured."""
    api = os.environ.get("PREFECT_API_URL")
    if not api:
        return None
    base = os.environ.get("PREFECT_UI_URL") or api.rstrip("/").removesuffix("/api")
    return f"{base}/runs/flow-run/{flow_run_id}"
