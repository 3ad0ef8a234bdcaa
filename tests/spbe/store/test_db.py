"""The store on SQLite and PostgreSQL: `spbe init` creates, upgrades, loads, and is idempotent."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlmodel import Session, func, select

from spbe.services.cycles import current_cycle, load_config_files, load_cycle
from spbe.store import models as m
from spbe.store.db import get_engine, head_revision, session_scope, upgrade
from tests.conftest import CYCLE_FILE


def _counts(session: Session) -> dict[str, int]:
    return {
        model.__tablename__: session.exec(select(func.count()).select_from(model)).one()
        for model in (m.Cycle, m.Phase, m.Opd, m.Person, m.Indicator, m.Assignment, m.AuditEvent)
    }


def test_init_twice_changes_nothing(database_url: str):
    engine = get_engine(database_url)
    before, after = upgrade(engine)
    assert before is None and after == head_revision(engine)
    config, roster = load_config_files(CYCLE_FILE)
    with session_scope(engine) as session:
        result = load_cycle(session, config=config, roster=roster, actor="tester")
        assert result.created
    with Session(engine) as session:
        first = _counts(session)
    assert first == {
        "cycle": 1,
        "phase": 6,
        "opd": 40,
        "person": 96,
        "indicator": 47,
        "assignment": 47,
        "auditevent": 1,
    }
    assert upgrade(engine) == (after, after)
    with session_scope(engine) as session:
        again = load_cycle(session, config=config, roster=roster, actor="tester")
        assert not again.created and again.changes == []
    with Session(engine) as session:
        assert _counts(session) == first
        cycle = current_cycle(session)
        assert cycle.code == "pekalongan-2025" and cycle.history == {"2023": "3.29", "2024": "3.76"}
        phase = session.exec(select(m.Phase).where(m.Phase.name == "self-assessment")).one()
        assert phase.deadline_at == datetime(2025, 9, 30, 9, 0, tzinfo=UTC)
        assert phase.state == "pending" and phase.deadline_version == 1


def test_config_change_is_applied_and_audited(database_url: str, tmp_path: Path):
    engine = get_engine(database_url)
    upgrade(engine)
    config, roster = load_config_files(CYCLE_FILE)
    with session_scope(engine) as session:
        load_cycle(session, config=config, roster=roster, actor="tester")
    moved = tmp_path / "cycle.toml"
    moved.write_text(
        CYCLE_FILE.read_text(encoding="utf-8")
        .replace('deadline = "2025-09-30 16:00"', 'deadline = "2025-10-03 16:00"')
        .replace('roster = "roster/pekalongan"', f'roster = "{CYCLE_FILE.parent / "roster/pekalongan"}"')
    )
    config2, _ = load_config_files(moved)
    with session_scope(engine) as session:
        result = load_cycle(session, config=config2, roster=roster, actor="tester")
        assert any("self-assessment deadline" in c for c in result.changes)
    with Session(engine) as session:
        phase = session.exec(select(m.Phase).where(m.Phase.name == "self-assessment")).one()
        assert phase.deadline_version == 2 and phase.deadline_at.day == 3
        events = session.exec(select(m.AuditEvent).order_by(m.AuditEvent.id)).all()
        assert [e.action for e in events] == ["cycle.loaded", "cycle.updated"]
        assert events[1].actor == "tester"


def test_instants_round_trip_in_utc(database_url: str):
    engine = get_engine(database_url)
    upgrade(engine)
    wib = timezone(timedelta(hours=7))
    local = datetime(2025, 9, 30, 16, 0, tzinfo=wib)
    with session_scope(engine) as session:
        session.add(m.AuditEvent(at=local, actor="x", action="test"))
    with Session(engine) as session:
        event = session.exec(select(m.AuditEvent)).one()
        assert event.at == local and event.at.tzinfo is not None and event.at.utcoffset() == timedelta(0)
    with pytest.raises(Exception, match="naive datetime"), session_scope(engine) as session:
        session.add(m.AuditEvent(at=datetime(2025, 1, 1), actor="x", action="test"))
        session.flush()


def test_a_shared_store_never_guesses_the_cycle(sqlite_url: str, monkeypatch: pytest.MonkeyPatch):
    from spbe.errors import SpbeError
    from spbe.settings import get_settings

    engine = get_engine(sqlite_url)
    upgrade(engine)
    config, roster = load_config_files(CYCLE_FILE)
    with session_scope(engine) as session:
        first = load_cycle(session, config=config, roster=roster, actor="tester").cycle
        session.add(
            m.Cycle(
                code="batang-2025",
                city="Kabupaten Batang",
                year=2025,
                framework_id=first.framework_id,
                timezone="Asia/Jakarta",
                target_index="4.00",
                target_predicate="Memuaskan",
                config_path=first.config_path,
                created_at=first.created_at,
            )
        )
    monkeypatch.delenv("SPBE_CYCLE", raising=False)
    get_settings.cache_clear()
    with Session(engine) as session, pytest.raises(SpbeError, match=r"several 2025 cycles .*set SPBE_CYCLE"):
        current_cycle(session)
    monkeypatch.setenv("SPBE_CYCLE", "pekalongan-2025")
    get_settings.cache_clear()  # the settings are read once; a new environment is a new process's
    with Session(engine) as session:
        assert current_cycle(session).code == "pekalongan-2025"


def test_a_lost_connection_is_an_outage_not_a_no():
    """require_schema used to turn an unreachable server into a plain SpbeError: read as a deliberate "no",
    a timekeeper job was never retried. It is StoreUnavailable now, raised by the engine itself."""
    from spbe.errors import RefusedError, StoreUnavailable
    from spbe.store.db import require_schema

    engine = get_engine("postgresql+psycopg://spbe:s3cret@127.0.0.1:9/spbe")
    with pytest.raises(StoreUnavailable) as outage:
        require_schema(engine)
    assert outage.value.exit_code == 3 and not isinstance(outage.value, RefusedError)
    assert "s3cret" not in str(outage.value) and "127.0.0.1:9" in str(outage.value)


def test_which_driver_errors_are_outages():
    import sqlite3

    from spbe.store.db import store_fault

    label = "sqlite:///x.db"
    for text in ("database is locked", "attempt to write a readonly database", "unable to open database file"):
        assert store_fault(sqlite3.OperationalError(text), label=label) is not None, text
    for text in ("no such table: phase", 'near "SELEC": syntax error'):
        assert store_fault(sqlite3.OperationalError(text), label=label) is None, text  # a bug stays a bug
    assert store_fault(sqlite3.IntegrityError("UNIQUE constraint failed"), label=label) is None
    assert store_fault(ValueError("x"), label=label) is None
