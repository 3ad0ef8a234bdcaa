"""A loaded store for tests: schema upgraded, the Pekalongan 2025 cycle loaded."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from spbe.services.cycles import current_cycle, load_config_files, load_cycle
from spbe.store import models as m
from spbe.store.db import get_engine, session_scope, upgrade
from tests.conftest import CYCLE_FILE


def loaded_store(url: str, config_file: Path = CYCLE_FILE) -> Engine:
    engine = get_engine(url)
    upgrade(engine)
    config, roster = load_config_files(config_file)
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


def open_store(url: str, phase: str = "self-assessment", config: Path = CYCLE_FILE):
    """A loaded cycle with `phase` open and the phases before it closed."""
    engine = get_engine(url)
    upgrade(engine)
    cfg, roster = load_config_files(config)
    with session_scope(engine) as session:
        cycle = load_cycle(session, config=cfg, roster=roster, actor="tester").cycle
        target = session.exec(select(m.Phase).where(m.Phase.name == phase)).one().seq
        for p in session.exec(select(m.Phase).where(m.Phase.cycle_id == cycle.id)):
            p.state = "open" if p.seq == target else "closed" if p.seq < target else "pending"
    return engine


def submit_claims(engine, numbers: list[int], at: datetime) -> None:
    """Version 1 at level 3 with one evidence link for each of `numbers`, from the owning OPD."""
    with session_scope(engine) as session:
        cycle = session.exec(select(m.Cycle)).one()
        owners = {a.indicator_number: a.owner_opd for a in session.exec(select(m.Assignment))}
        for n in numbers:
            session.add(
                m.Submission(
                    cycle_id=cycle.id,
                    indicator_number=n,
                    opd_code=owners[n],
                    version=1,
                    level=3,
                    evidence=["https://bukti.example/doc.pdf"],
                    submitted_at=at,
                    submitted_by="t",
                )
            )


def future_timeline(engine, *, due_now: str | None = None) -> None:
    """Move the stored timeline around the real clock (the scheduler runs on it): the open phase's
    deadline and later openings lie days ahead; `due_now` opens a minute ago, so its job runs at once."""
    now = datetime.now(UTC)
    with session_scope(engine) as session:
        for p in session.exec(select(m.Phase)):
            p.opens_at = now + timedelta(days=10 * p.seq)
            p.deadline_at = now + timedelta(days=10 * p.seq + 9)
            if p.name == due_now:
                p.opens_at = now - timedelta(minutes=1)


def cycle_file_in_zone(tmp_path: Path, zone: str = "Asia/Makassar") -> Path:
    """The shipped cycle file for a city in another time zone (WITA by default): the same local times
    (openings 08:00, deadlines 16:00, sending 08:00-16:00), now read in `zone`."""
    text = CYCLE_FILE.read_text(encoding="utf-8")
    text = text.replace('timezone = "Asia/Jakarta"', f'timezone = "{zone}"')
    text = text.replace('roster = "roster/pekalongan"', f'roster = "{CYCLE_FILE.parent / "roster/pekalongan"}"')
    path = tmp_path / f"pekalongan-2025-{zone.split('/')[-1].lower()}.toml"
    path.write_text(text, encoding="utf-8")
    return path
