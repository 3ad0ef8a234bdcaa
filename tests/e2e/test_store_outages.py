"""No store fault shows a traceback, and an outage is told from a "no": the real `spbe` against a read-only
SQLite file or folder, a lock held past the lock timeout, wrong or unreachable PostgreSQL URLs, and a
PostgreSQL database dropped (or its connections cut) while `spbe remind` delivers. Exit 3 and one line."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import tempfile
import threading
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import create_engine, text
from sqlmodel import Session, select

from spbe import clock
from spbe.services.outbox import Notice, enqueue
from spbe.store import models as m
from spbe.store.db import dispose_engines, session_scope
from tests.conftest import POSTGRES_URL, _postgres_database
from tests.utils.cli import SPBE, Result, run_spbe
from tests.utils.receiver import Receiver
from tests.utils.store import open_store

MONDAY_9 = datetime(2025, 9, 22, 9, 0, tzinfo=ZoneInfo("Asia/Jakarta"))
SUBMIT = ("submit", "--opd", "DINKOMINFO", "--indicator", "1", "--level", "3", "--as", "adm-dinkominfo")


def one_line_outage(result: Result) -> str:
    """Exit 3, one `error:` line naming the store, nothing else on stderr."""
    assert result.code == 3, (result.code, result.out, result.err)
    lines = result.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("galat: penyimpanan "), result.err
    assert "tidak tersedia" in lines[0] and "Traceback" not in result.err
    return lines[0]


@pytest.fixture
def shared_dir() -> Iterator[Path]:
    """A folder another user can reach (pytest's tmp_path is private to root)."""
    path = Path(tempfile.mkdtemp(prefix="spbe-store-", dir="/tmp"))
    path.chmod(0o755)
    yield path
    subprocess.run(["chmod", "-R", "u+w", str(path)], check=False)
    shutil.rmtree(path, ignore_errors=True)


def as_unprivileged(*args: str, env: dict[str, str]) -> Result:
    """`spbe` as a user without write access to what root owns: root ignores file modes."""
    prefix: list[str] = []
    if os.geteuid() == 0:
        if not shutil.which("setpriv"):
            pytest.skip("running as root without setpriv: cannot take write access away to test read-only stores")
        prefix = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]
    full = {**os.environ, "SPBE_ACTOR": "koordinator", "HOME": "/tmp", **env}
    proc = subprocess.run([*prefix, str(SPBE), *args], capture_output=True, text=True, env=full, timeout=120)
    return Result(proc.returncode, proc.stdout, proc.stderr)


def _sqlite_env(folder: Path) -> dict[str, str]:
    return {
        "SPBE_DATA_DIR": str(folder),
        "SPBE_DATABASE_URL": f"sqlite:///{folder / 'spbe.db'}",
        "SPBE_NOW": "2025-09-10T10:00:00+07:00",
    }


def _initialised(folder: Path) -> dict[str, str]:
    env = _sqlite_env(folder)
    init = run_spbe("init", env=env)
    assert init.code == 0, init.err
    for path in folder.iterdir():
        path.chmod(0o644 if path.is_file() else 0o755)
    return env


def test_a_read_only_sqlite_file_is_an_outage_in_one_line(shared_dir: Path):
    env = _initialised(shared_dir)
    (shared_dir / "spbe.db").chmod(0o444)
    line = one_line_outage(as_unprivileged(*SUBMIT, env=env))
    assert "read-only" in line or "tidak dapat dibuka" in line


def test_a_read_only_folder_is_an_outage_in_one_line(shared_dir: Path):
    store = shared_dir / "store"
    store.mkdir(mode=0o755)
    env = _initialised(store)
    store.chmod(0o555)  # the file is writable but SQLite cannot create its journal beside it
    one_line_outage(as_unprivileged(*SUBMIT, env=env))
    fresh = shared_dir / "locked-away"
    fresh.mkdir(mode=0o555)  # `spbe init` cannot create the store in a folder it may not write
    one_line_outage(as_unprivileged("init", env=_sqlite_env(fresh / "data")))


def test_a_lock_held_past_the_lock_timeout_is_an_outage_and_changes_nothing(tmp_path: Path):
    env = {**_initialised(tmp_path), "SPBE_LOCK_TIMEOUT": "0.5"}
    holder = sqlite3.connect(tmp_path / "spbe.db", isolation_level=None)
    try:
        holder.execute("BEGIN EXCLUSIVE")  # another process is in the middle of a long write
        line = one_line_outage(run_spbe(*SUBMIT, env=env))
        assert "database is locked" in line and "0.5 detik" in line
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert run_spbe(*SUBMIT, env=env).code == 0  # the lock is gone: the same command goes through


@pytest.mark.parametrize(
    ("url", "code", "said"),
    [
        ("postgresql+psycopg://spbe:s3cret@127.0.0.1:1/spbe", 3, "server tidak dapat dihubungi"),
        ("postgresql://spbe@127.0.0.1:5432/spbe?password=s3cret&connect_timeout=2", None, None),
        ("postgresql+psycopg://spbe:s3cret@127.0.0.1:nope/spbe", 1, "is not a valid database URL"),
        ("postgresql+asyncpg://spbe:s3cret@127.0.0.1/spbe", 1, "unsupported driver"),
    ],
)
def test_init_on_a_wrong_or_unreachable_postgres_url(tmp_path: Path, url: str, code: int | None, said: str | None):
    """Never a traceback, never the password. A server on 5432 (if any) answers for the second URL: an
    unknown role or database is an outage of that store as configured (exit 3), a missing server too."""
    result = run_spbe("init", env={"SPBE_DATA_DIR": str(tmp_path), "SPBE_DATABASE_URL": url})
    assert "Traceback" not in result.err and "s3cret" not in result.err + result.out
    assert len(result.err.strip().splitlines()) == 1, result.err
    if code is None:  # whatever 5432 holds here: refused, unknown role, unknown database
        assert result.code == 3, result.err
    else:
        assert result.code == code and said in result.err, result.err


# --- PostgreSQL going away while `spbe remind` delivers ------------------------------------------------


pg_only = pytest.mark.skipif(not POSTGRES_URL, reason="SPBE_TEST_POSTGRES_URL not set: PostgreSQL outage tests skipped")


def _queued(url: str, count: int) -> list[str]:
    engine = open_store(url)
    with session_scope(engine) as session:  # nothing open: only these keys travel
        for phase in session.exec(select(m.Phase)):
            phase.state = "pending"
    with Session(engine) as session:
        cycle = session.exec(select(m.Cycle)).one()
        people = [p.key for p in session.exec(select(m.Person).order_by(m.Person.id))]
    keys = [f"padam/{i:04d}" for i in range(count)]
    with clock.use_clock(MONDAY_9), session_scope(engine) as session:
        enqueue(
            session,
            cycle_id=cycle.id,
            notices=[Notice(people[i % len(people)], f"S {k}", "Isi\n", key=k) for i, k in enumerate(keys)],
        )
    dispose_engines()
    return keys


def _remind_env(url: str, tmp_path: Path, rx: Receiver) -> dict[str, str]:
    return {
        "SPBE_DATABASE_URL": url,
        "SPBE_DATA_DIR": str(tmp_path / "data"),
        "SPBE_NOW": MONDAY_9.isoformat(),
        "SPBE_WEBHOOK_URL": rx.url + "/hook",
        "SPBE_FORCE_CHANNEL": "webhook",
    }


def _when_delivered(rx: Receiver, count: int, action) -> threading.Thread:
    def run() -> None:
        if rx.wait_for(count, timeout=60):
            action()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def _admin(sql: str) -> None:
    admin = create_engine(POSTGRES_URL.replace("postgresql://", "postgresql+psycopg://"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(sql))
    admin.dispose()


@pytest.fixture
def pg_url() -> Iterator[str]:
    yield from _postgres_database()


@pg_only
def test_the_database_dropped_during_remind_is_one_line_and_every_message_carried_its_key(tmp_path: Path, pg_url):
    url = pg_url
    keys = _queued(url, 300)
    name = url.rsplit("/", 1)[1]
    with Receiver(delay=0.01) as rx:
        dropper = _when_delivered(rx, 40, lambda: _admin(f'DROP DATABASE "{name}" WITH (FORCE)'))
        result = run_spbe("remind", "--no-flow", env=_remind_env(url, tmp_path, rx))
        dropper.join(5)
    one_line_outage(result)
    # nothing is lost silently: every request carried the outbox key as its Idempotency-Key, so a store
    # restored from its backup sends the undelivered ones again and the receiver knows the rest
    assert rx.requests and all(r.key in keys for r in rx.requests)
    assert all(r.headers.get("Idempotency-Key") == r.key for r in rx.requests)
    assert len(rx.keys) < len(keys)  # it really was cut short


@pg_only
def test_connections_cut_during_remind_then_run_again_deliver_every_key(tmp_path: Path, pg_url):
    url = pg_url
    keys = _queued(url, 300)
    name = url.rsplit("/", 1)[1]
    cut = f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}' AND pid <> pg_backend_pid()"
    with Receiver(delay=0.01) as rx:
        cutter = _when_delivered(rx, 40, lambda: _admin(cut))
        first = run_spbe("remind", "--no-flow", env=_remind_env(url, tmp_path, rx))
        cutter.join(5)
        assert first.code in (0, 3) and "Traceback" not in first.err, first.err
        if first.code == 3:
            one_line_outage(first)
        again = run_spbe("remind", "--no-flow", env=_remind_env(url, tmp_path, rx))
        assert again.code == 0, again.err
    assert rx.keys == set(keys)  # everything arrived; what was sent but not recorded went again by key
    assert all(r.headers.get("Idempotency-Key") == r.key for r in rx.requests)
