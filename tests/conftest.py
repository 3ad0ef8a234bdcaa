"""Shared fixtures: a real store on SQLite always, and on PostgreSQL when SPBE_TEST_POSTGRES_URL is set."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.utils import netguard

# Quiet, offline Prefect for every test process (see shared/prefect-notes.md).
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
os.environ.setdefault("PREFECT_SERVER_LOGGING_LEVEL", "CRITICAL")
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("PREFECT_LOGGING_TO_API_ENABLED", "false")
os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "90")
# No background engine from any command a test runs (it would outlive the test): each runs its flow itself,
# on the session's harness or a temporary server. tests/spbe/test_flow_service.py turns it on where it is the point.
os.environ["SPBE_BACKGROUND_MINUTES"] = "0"

ROOT = Path(__file__).resolve().parent.parent

# Nothing a test runs may leave the loopback: this process, and through sitecustomize every Python
# subprocess it starts (they inherit PYTHONPATH and the violation log).
_NETGUARD_SITE = Path(netguard.__file__).parent / "site"
os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(_NETGUARD_SITE), os.environ.get("PYTHONPATH")]))
_fd, _NETGUARD_LOG = tempfile.mkstemp(prefix="spbe-netguard-", suffix=".log")
os.close(_fd)
os.environ[netguard.LOG_ENV] = _NETGUARD_LOG
netguard.install()
CYCLE_FILE = ROOT / "config" / "pekalongan-2025.toml"
POSTGRES_URL = os.environ.get("SPBE_TEST_POSTGRES_URL")


def _postgres_database() -> Iterator[str]:
    """A fresh database per use on the test server, dropped afterwards."""
    from spbe.store.db import scratch_postgres_database

    with scratch_postgres_database(POSTGRES_URL or "", prefix="spbe_test") as url:
        yield url


BACKENDS = [
    "sqlite",
    pytest.param(
        "postgresql",
        marks=pytest.mark.skipif(
            not POSTGRES_URL, reason="SPBE_TEST_POSTGRES_URL not set: PostgreSQL store tests skipped"
        ),
    ),
]


@pytest.fixture(params=BACKENDS)
def database_url(request, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'spbe.db'}"
    else:
        yield from _postgres_database()


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'spbe.db'}"


@pytest.fixture
def store_env(monkeypatch: pytest.MonkeyPatch, database_url: str, tmp_path: Path) -> str:
    """Point settings (and so every command) at a fresh store."""
    _point_settings(monkeypatch, database_url, tmp_path)
    return database_url


@pytest.fixture
def sqlite_store_env(monkeypatch: pytest.MonkeyPatch, sqlite_url: str, tmp_path: Path) -> str:
    _point_settings(monkeypatch, sqlite_url, tmp_path)
    return sqlite_url


def _point_settings(monkeypatch: pytest.MonkeyPatch, url: str, tmp_path: Path) -> None:
    from spbe.settings import get_settings

    monkeypatch.setenv("SPBE_DATABASE_URL", url)
    monkeypatch.setenv("SPBE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("SPBE_ACTOR", "koordinator")
    monkeypatch.delenv("SPBE_NOW", raising=False)
    get_settings.cache_clear()


def pytest_unconfigure(config) -> None:
    Path(_NETGUARD_LOG).unlink(missing_ok=True)


@pytest.fixture(autouse=True)
def _network_guard() -> Iterator[None]:
    """Fail the test during which anything (here or in a subprocess) tried to leave the loopback."""
    log = Path(_NETGUARD_LOG)
    start = log.stat().st_size
    yield
    with log.open("rb") as f:
        f.seek(start)
        written = f.read().decode("utf-8", "replace").strip()
    if written:
        pytest.fail("tried to reach outside the loopback:\n" + written, pytrace=False)


@pytest.fixture(autouse=True)
def _fresh_settings() -> Iterator[None]:
    from spbe.prefect_env import forget_active_server
    from spbe.settings import get_settings
    from spbe.store.db import dispose_engines

    yield
    get_settings.cache_clear()
    forget_active_server()  # which Prefect server to use is decided once per process: again per test
    dispose_engines()


@pytest.fixture(scope="session")
def prefect_harness() -> Iterator[None]:
    """One Prefect test server for the whole session (it takes ~10 s to start): request it, don't build one."""
    from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings
    from prefect.testing.utilities import prefect_test_harness

    with (
        prefect_test_harness(server_startup_timeout=120),
        temporary_settings({PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}),
    ):
        yield
