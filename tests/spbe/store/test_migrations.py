"""The Alembic migrations build exactly the schema the models describe, on SQLite and PostgreSQL."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlmodel import SQLModel

import spbe.store.models  # noqa: F401  (registers every table)
from spbe.store.db import get_engine, upgrade


def test_migrations_match_the_models(database_url: str):
    engine = get_engine(database_url)
    upgrade(engine)
    with engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), SQLModel.metadata) == []


def test_the_quick_head_reading_is_alembics(database_url: str):
    """Read-only commands find the newest revision from the version files' lines, without alembic's
    runtime; it must be the head alembic computes, and the revision an upgraded store is stamped with."""
    from alembic.script import ScriptDirectory

    from spbe.store.db import _alembic_config, _plain_head, current_revision

    engine = get_engine(database_url)
    assert current_revision(engine) is None
    upgrade(engine)
    alembic_head = ScriptDirectory.from_config(_alembic_config(engine)).get_current_head()
    assert _plain_head() == alembic_head == current_revision(engine)
