"""One place that builds the store: engine, sessions, schema upgrades.

An outage of the store (a PostgreSQL server that does not answer, a database that is gone, a lock held
past the lock timeout, a read-only SQLite file or folder) is raised as `StoreUnavailable` by the engine
itself (its `handle_error` hook), wherever the statement ran: every layer above sees a typed outage,
which tasks and the timekeeper retry and the CLI reports in one line with exit code 3.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import ArgumentError
from sqlmodel import Session, create_engine

from spbe.errors import ConfigError, SpbeError, StoreUnavailable
from spbe.settings import get_settings, normalise_database_url, redact_url

MIGRATIONS = Path(__file__).parent / "migrations"


_engines: dict[str, Engine] = {}


def get_engine(url: str | None = None) -> Engine:
    """One engine per database URL for the life of the process."""
    url = normalise_database_url(url) if url else get_settings().database_url
    if url not in _engines:
        _engines[url] = _build_engine(url)
    return _engines[url]


def sqlite_path(engine: Engine) -> Path | None:
    """The file of a SQLite store (None for PostgreSQL or an in-memory database)."""
    if engine.url.get_backend_name() != "sqlite" or engine.url.database in (None, "", ":memory:"):
        return None
    return Path(engine.url.database)


@contextmanager
def scratch_postgres_database(base_url: str, *, prefix: str = "spbe_scratch") -> Iterator[str]:
    """A new, empty database on the server of `base_url`, dropped afterwards (tests, benchmarks)."""
    import uuid

    from sqlalchemy import text

    base = normalise_database_url(base_url)
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield base.rsplit("/", 1)[0] + "/" + name
    finally:
        dispose_engines()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def dispose_engines() -> None:
    """Close every pooled connection (tests, forked workers)."""
    for engine in _engines.values():
        engine.dispose()
    _engines.clear()


PG_CONNECT_TIMEOUT = 10  # seconds: an unreachable host is an outage reported now, not after minutes of TCP retries


def _build_engine(url: str) -> Engine:
    wait = get_settings().lock_timeout
    try:
        if url.startswith("sqlite"):
            engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": wait})

            @event.listens_for(engine, "connect")
            def _sqlite_pragmas(dbapi_conn, _record) -> None:  # one writer at a time, no lost FKs
                cur = dbapi_conn.cursor()
                cur.execute("PRAGMA foreign_keys=ON")
                cur.execute("PRAGMA journal_mode=WAL")
                cur.execute(f"PRAGMA busy_timeout={int(wait * 1000)}")
                cur.close()

        else:
            engine = create_engine(
                url,
                pool_pre_ping=True,
                pool_size=10,
                max_overflow=10,
                connect_args={"connect_timeout": PG_CONNECT_TIMEOUT},
            )
    except (ArgumentError, ValueError) as exc:  # a port that is not a number, a URL that does not parse
        raise ConfigError(f"SPBE_DATABASE_URL {redact_url(url)} is not a valid database URL: {exc}") from None

    @event.listens_for(engine, "handle_error")
    def _outage(context) -> None:
        if context.is_pre_ping:
            return  # the pool reconnects by itself
        fault = store_fault(context.original_exception, label=redact_url(str(engine.url)), lock_timeout=wait)
        if fault is not None:
            raise fault from context.sqlalchemy_exception

    return engine


# A SQLite OperationalError is also "no such table" or a syntax error (a bug, not an outage): these say outage.
_SQLITE_OUTAGES = (
    ("locked", "terkunci oleh proses lain lebih dari {wait:g} detik (database is locked); coba lagi sebentar lagi"),
    ("readonly", "berkas atau foldernya hanya-baca (read-only); periksa izin tulis berkas dan foldernya"),
    ("read-only", "berkas atau foldernya hanya-baca (read-only); periksa izin tulis berkas dan foldernya"),
    ("unable to open", "berkas atau foldernya tidak dapat dibuka (unable to open database file); periksa izinnya"),
    ("disk i/o", "galat disk (disk I/O error)"),
    ("disk is full", "disk penuh (database or disk is full)"),
)
_PG_STATES = {
    "3D000": "basis data itu tidak ada (database does not exist): dihapus, atau salah nama di SPBE_DATABASE_URL",
    "28P01": "login ditolak (password authentication failed): periksa pengguna dan kata sandinya",
    "28000": "login ditolak (unknown role, or no pg_hba.conf entry): periksa pengguna dan pg_hba.conf",
    "57P01": "koneksi diputus oleh server (server shut down, or the database was dropped)",
    "57P02": "koneksi diputus oleh server (crash shutdown)",
    "57P03": "server belum menerima koneksi (the database system is starting up or shutting down)",
    "55P03": "terkunci oleh transaksi lain (lock not available)",
    "53300": "server kehabisan slot koneksi (too many connections)",
}
_PG_TEXTS = (  # every word must appear
    ("28000", ("role", "does not exist")),
    ("3D000", ("database", "does not exist")),
    ("28P01", ("password authentication failed",)),
    ("28000", ("no pg_hba.conf entry",)),
    ("57P03", ("starting up",)),
    ("57P03", ("shutting down",)),
    ("53300", ("too many connections",)),
)


def store_fault(exc: BaseException, *, label: str, lock_timeout: float = 30.0) -> StoreUnavailable | None:
    """The outage a driver error stands for, said plainly with the store's (redacted) address; None when
    the error is not an outage (a constraint, a bug), which then stays what it is."""
    import sqlite3

    text = str(exc).strip().splitlines()[0] if str(exc).strip() else exc.__class__.__name__
    if isinstance(exc, sqlite3.OperationalError):
        lowered = text.lower()
        why = next((w for key, w in _SQLITE_OUTAGES if key in lowered), None)
        if why is None:
            return None
        return StoreUnavailable(f"penyimpanan {label} tidak tersedia: {why.format(wait=lock_timeout)}")
    try:
        import psycopg
    except ImportError:  # pragma: no cover - psycopg is a dependency
        return None
    if not isinstance(exc, psycopg.OperationalError | psycopg.InterfaceError):
        return None
    lowered = str(exc).lower()  # a failed connection carries no SQLSTATE: its text says which
    state = getattr(exc, "sqlstate", None) or next((s for s, keys in _PG_TEXTS if all(k in lowered for k in keys)), "")
    why = _PG_STATES.get(state)
    text = next((line.strip() for line in str(exc).splitlines() if "FATAL" in line), text)
    if why is None:
        if "refused" in lowered or "timeout" in lowered or "timed out" in lowered or "resolve" in lowered:
            why = "server tidak dapat dihubungi; apakah PostgreSQL berjalan dan alamatnya benar?"
        elif "closed" in lowered or "terminat" in lowered or "lost" in lowered:
            why = "koneksi ke server terputus"
        else:
            why = "galat koneksi"
    return StoreUnavailable(f"penyimpanan {label} tidak tersedia: {why} ({redact_url(text)})")


@contextmanager
def session_scope(engine: Engine | None = None) -> Iterator[Session]:
    """A unit of work: committed when the block ends, rolled back whole on any error."""
    with Session(engine or get_engine(), expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


def _alembic_config(engine: Engine):
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=False).replace("%", "%%"))
    return cfg


def current_revision(engine: Engine) -> str | None:
    """The revision the store is at (None for an empty store), read with one query: importing alembic's
    runtime for it cost a read-only command about 0.25 s of its start."""
    from sqlalchemy import inspect, text

    with engine.connect() as conn:
        if not inspect(conn).has_table("alembic_version"):
            return None
        rows = [row[0] for row in conn.execute(text("SELECT version_num FROM alembic_version"))]
    if len(rows) > 1:  # several heads stamped: alembic's own reading says which, or raises
        from alembic.runtime.migration import MigrationContext

        with engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()
    return rows[0] if rows else None


_REVISION_LINE = re.compile(r"""^(down_revision|revision)\s*(?::[^=]*)?=\s*(.+?)\s*$""", re.MULTILINE)


def head_revision(engine: Engine | None = None) -> str:
    """The newest migration: read from the version files' `revision`/`down_revision` lines (a linear history
    has exactly one revision nobody builds on); alembic's script directory when that reading is not plain."""
    head = _plain_head()
    if head is not None:
        return head
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(_alembic_config(engine or get_engine())).get_current_head() or ""


@functools.cache
def _plain_head() -> str | None:
    import ast

    revisions: set[str] = set()
    parents: set[str] = set()
    for path in sorted((MIGRATIONS / "versions").glob("*.py")):
        found = dict(m.group(1, 2) for m in _REVISION_LINE.finditer(path.read_text(encoding="utf-8")))
        try:
            revision, down = ast.literal_eval(found["revision"]), ast.literal_eval(found.get("down_revision", "None"))
        except (KeyError, ValueError, SyntaxError):
            return None
        if not isinstance(revision, str):
            return None
        revisions.add(revision)
        parents.update([down] if isinstance(down, str) else list(down or ()))
    heads = revisions - parents
    return heads.pop() if len(heads) == 1 else None


def upgrade(engine: Engine | None = None) -> tuple[str | None, str]:
    """Bring the schema to the newest revision; returns (before, after)."""
    from alembic import command

    engine = engine or get_engine()
    path = sqlite_path(engine)
    if path is not None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)  # only `spbe init` creates the store
        except OSError as exc:
            raise StoreUnavailable(
                f"penyimpanan {redact_url(str(engine.url))} tidak tersedia: folder {path.parent} tidak dapat "
                f"dibuat ({exc.strerror or exc.__class__.__name__})"
            ) from None
    before = current_revision(engine)
    cfg = _alembic_config(engine)
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")
    return before, current_revision(engine) or ""


def require_schema(engine: Engine | None = None) -> Engine:
    """Refuse to work on a store that was never initialised or is behind the code."""
    engine = engine or get_engine()
    path = sqlite_path(engine)
    if path is not None and not path.exists():  # never create an empty file on a read
        raise SpbeError(f"the store at {redact_url(str(engine.url))} is empty: run `spbe init` first")
    current = current_revision(engine)  # an unreachable server raises StoreUnavailable (an outage), not a "no"
    if current is None:
        raise SpbeError(f"the store at {redact_url(str(engine.url))} is empty: run `spbe init` first")
    if current != head_revision(engine):
        raise SpbeError(f"the store schema is at {current}, the code needs {head_revision(engine)}: run `spbe init`")
    return engine
