"""Prefect defaults for this tool, applied before Prefect is imported: quiet, offline-friendly, and
tolerant of a slow first start of the temporary server (see shared/prefect-notes.md).

Prefect reads its own configuration from the environment, so this module *writes* it (for the library
in this process and for the server processes it starts); what the engine itself reads comes from
spbe.settings. `api_url()` is the Prefect API this process talks to: PREFECT_API_URL, else the local
server that `spbe serve` started and noted, else None (Prefect then runs a temporary one).
"""

from __future__ import annotations

import os
from pathlib import Path

DEFAULTS = {
    # Runs log INFO to the server (the UI shows what each run did); the terminal shows warnings only.
    "PREFECT_LOGGING_LEVEL": "INFO",
    "PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL": "WARNING",
    "PREFECT_SERVER_LOGGING_LEVEL": "CRITICAL",
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    "DO_NOT_TRACK": "1",
    "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "90",
}
_active: dict[str, str | bool | None] = {}


def quiet_console() -> None:
    """A one-shot command says what happened itself (its result, or one line for a typed error); the run's
    own log, refusals included, is in the Prefect UI. `spbe serve` keeps Prefect's warnings on its terminal;
    SPBE_DEBUG=1 lets Prefect's console log through as configured."""
    from spbe.errors import SpbeError
    from spbe.settings import get_settings

    try:
        debug = get_settings().debug
    except SpbeError:  # a bad variable: the command itself will say so
        debug = False
    if not debug:
        os.environ["PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL"] = "CRITICAL"


def apply_defaults() -> None:
    """Prefect's defaults in the environment, and which server this process talks to (decided once)."""
    for key, value in DEFAULTS.items():
        os.environ.setdefault(key, value)
    if "api" in _active:
        return
    from spbe.settings import get_settings

    settings = get_settings()
    for key, value in (("PREFECT_API_URL", settings.prefect_api_url), ("PREFECT_UI_URL", settings.prefect_ui_url)):
        if value is None:
            os.environ.pop(key, None)  # set but empty means unset, for Prefect as for the engine
    if settings.prefect_api_url:
        use_server(settings.prefect_api_url, settings.prefect_ui_url)
    elif found := running_local_server():
        use_server(found, None)
    else:
        _active.update(api=None, ui=None)
        plain_http_certificates(None)


def use_server(api_url: str, ui_url: str | None) -> None:
    """Talk to this Prefect server from now on (and let the servers and workers this process starts know)."""
    ui = ui_url or api_url.rstrip("/").removesuffix("/api")
    os.environ["PREFECT_API_URL"] = api_url
    os.environ["PREFECT_UI_URL"] = ui
    _active.update(api=api_url, ui=ui)
    plain_http_certificates(api_url)


# A CA certificate whose key was thrown away when it was made: a bundle of it trusts no server at all.
PLAIN_HTTP_BUNDLE = Path(__file__).with_name("prefect_plain_http.pem")


def plain_http_certificates(api_url: str | None) -> None:
    """Prefect builds a verifying TLS context for every API client it makes, about one per flow and task run,
    even for a plain-HTTP server: certifi's bundle takes 25-45 ms to load each time (a fifth of a reminder
    tick in the demo year). For a plain-HTTP API (or the temporary local server, None) no certificate is
    ever checked, so the bundle is one certificate that trusts nobody (0.5 ms); an https API keeps what
    PREFECT_API_SSL_CERT_FILE says, certifi's bundle by default."""
    ours = str(PLAIN_HTTP_BUNDLE)
    if api_url is None or api_url.startswith("http://"):
        # a bundle the person set is kept (setdefault); ours is noted, to be taken back for an https server
        _active["own_bundle"] = os.environ.setdefault("PREFECT_API_SSL_CERT_FILE", ours) == ours
    elif _active.pop("own_bundle", False):
        os.environ.pop("PREFECT_API_SSL_CERT_FILE", None)


def forget_active_server() -> None:
    """Back to what the settings say (tests; a server that was stopped)."""
    _active.clear()


def api_url() -> str | None:
    """The Prefect API this process uses, None when Prefect would start a temporary local server."""
    apply_defaults()
    return _active.get("api")


def prefect_outage(exc: BaseException):
    """A Prefect server that does not answer (refused, timed out, 5xx) is an outage, said in one line;
    None for any other error."""
    import httpx

    from spbe.errors import PrefectUnavailable

    if isinstance(exc, httpx.TransportError):
        why = exc.__class__.__name__
    elif isinstance(exc, httpx.HTTPStatusError) and exc.response.status_code >= 500:
        why = f"HTTP {exc.response.status_code}"
    else:
        return None
    where = _active.get("api") or "sementara (lokal)"
    return PrefectUnavailable(f"server Prefect {where} tidak dapat dihubungi ({why}); coba lagi nanti")


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
    except (OSError, ValueError, KeyError, TypeError):
        return None
    from spbe.prefect_server import healthy

    return api_url if isinstance(api_url, str) and healthy(api_url, timeout=1.0) else None


def ui_url(flow_run_id: str) -> str | None:
    """The flow run's page in the Prefect UI when a server is configured."""
    if not api_url():
        return None
    return f"{_active['ui']}/runs/flow-run/{flow_run_id}"
