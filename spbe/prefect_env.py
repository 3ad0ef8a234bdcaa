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


def ui_url(flow_run_id: str) -> str | None:
    """The flow run's page in the Prefect UI when a server is configured."""
    api = os.environ.get("PREFECT_API_URL")
    if not api:
        return None
    base = os.environ.get("PREFECT_UI_URL") or api.rstrip("/").removesuffix("/api")
    return f"{base}/runs/flow-run/{flow_run_id}"
