"""A loaded store for tests: schema upgraded, the Pekalongan 2025 cycle loaded."""

from __future__ import annotations

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from spbe.services.cycles import current_cycle, load_config_files, load_cycle
from spbe.store import models as m
from spbe.store.db import get_engine, session_scope, upgrade
from tests.conftest import CYCLE_FILE


def loaded_store(url: str) -> Engine:
    engine = get_engine(url)
    upgrade(engine)
    config, roster = load_config_files(CYCLE_FILE)
    with session_scope(engine) as session:
        load_cycle(session, config=config, roster=roster, actor="tester")
    return engine


def audit_actions(engine: Engine) -> list[str]:
    with Session(engine) as session:
        return [e.action for e in session.exec(select(m.AuditEvent).order_by(m.AuditEvent.id))]


def phase_state(engine: Engine, name: str) -> str:
    with Session(engine) as session:
        cycle = current_cycle(session)
        return session.exec(select(m.Phase).where(m.Phase.cycle_id == cycle.id, m.Phase.name == name)).one().state
