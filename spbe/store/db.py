"""One place that builds the store: engine, sessions, schema upgrades."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlmodel import Session, create_engine

from spbe.errors import SpbeError
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


def _build_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record) -> None:  # one writer at a time, no lost FKs
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()

        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=10)


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
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def head_revision(engine: Engine) -> str:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(_alembic_config(engine)).get_current_head() or ""


def upgrade(engine: Engine | None = None) -> tuple[str | None, str]:
    """Bring the schema to the newest revision; returns (before, after)."""
    from alembic import command

    engine = engine or get_engine()
    path = sqlite_path(engine)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)  # only `spbe init` creates the store
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
    try:
        current = current_revision(engine)
    except Exception as exc:  # unreachable server, bad credentials
        raise SpbeError(
            f"cannot reach the store at {redact_url(str(engine.url))}: {exc.__class__.__name__}: {exc}"
        ) from None
    if current is None:
        raise SpbeError(f"the store at {redact_url(str(engine.url))} is empty: run `spbe init` first")
    if current != head_revision(engine):
        raise SpbeError(f"the store schema is at {current}, the code needs {head_revision(engine)}: run `spbe init`")
    return engine
