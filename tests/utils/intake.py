"""A loaded cycle for intake tests: the shipped Pekalongan config, with assessors assigned directly
(the phase-flows feature's `spbe assign --auto` does this in real use)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy.engine import Engine
from sqlmodel import Session, func, select

from spbe import clock
from spbe.services import submissions as svc
from spbe.services.cycles import load_config_files, load_cycle
from spbe.store import models as m
from spbe.store.db import get_engine, session_scope, upgrade
from spbe.store.tables_reminders import OutboxMessage
from tests.conftest import CYCLE_FILE

# indicator → assessor; none of these belongs to the owning OPD (owners.toml: 12, 13 BAPPERIDA; 14 BAG-ORG;
# 39 INSPEKTORAT; the rest shown here DINKOMINFO).
ASSESSORS = {1: "asr-03", 2: "asr-03", 3: "asr-04", 12: "asr-01", 13: "asr-01", 14: "asr-03", 39: "asr-05"}
COUNTED = (m.Submission, m.Review, m.EvidenceCheck, m.AuditEvent, OutboxMessage)


def loaded_store(url: str, *, cycle_file: Path = CYCLE_FILE, assessors: dict[int, str] | None = None) -> Engine:
    engine = get_engine(url)
    upgrade(engine)
    config, roster = load_config_files(cycle_file)
    with session_scope(engine) as session:
        cycle = load_cycle(session, config=config, roster=roster, actor="tester").cycle
        set_assessors(session, cycle, ASSESSORS if assessors is None else assessors)
    return engine


# Every name a test's evidence link may carry, answered by the checker's own table: with `dns = false`
# no test looks a name up (a name outside the table is an "error" status, never a DNS query).
FIXTURE_HOSTS = (
    '{ "bukti.example" = "127.0.0.1", "data.pekalongan.example" = "127.0.0.1", "spbe.example" = "127.0.0.1" }'
)


def cycle_file(tmp_path: Path, networks: str = '["127.0.0.1/32"]') -> Path:
    """The shipped cycle file with the loopback network allow-listed for link checks, a short timeout, and
    link-check names answered from `FIXTURE_HOSTS` only."""
    text = CYCLE_FILE.read_text(encoding="utf-8")
    text = text.replace('roster = "roster/pekalongan"', f'roster = "{CYCLE_FILE.parent / "roster/pekalongan"}"')
    text = text.replace("allow_networks = []", f"allow_networks = {networks}").replace(
        "timeout_seconds = 10", "timeout_seconds = 0.5"
    )
    text = text.replace("hosts = {}", f"hosts = {FIXTURE_HOSTS}").replace("dns = true", "dns = false")
    assert "dns = false" in text, "the shipped [evidence] section lost its dns key: tests would look names up"
    path = tmp_path / "pekalongan-2025.toml"
    path.write_text(text, encoding="utf-8")
    return path


def submit_links(engine, links: dict[tuple[str, int], list[str]]) -> None:
    with clock.use_clock(datetime(2025, 9, 10, 3, tzinfo=UTC)), session_scope(engine) as session:
        cycle = the_cycle(session)
        for (opd, n), urls in links.items():
            svc.submit(session, cycle=cycle, opd=opd, indicator=n, level=3, evidence=urls, actor=f"adm-{opd.lower()}")


def set_assessors(session: Session, cycle: m.Cycle, assessors: dict[int, str]) -> None:
    rows = {a.indicator_number: a for a in session.exec(select(m.Assignment).where(m.Assignment.cycle_id == cycle.id))}
    for number, key in assessors.items():
        rows[number].assessor_key = key
        session.add(rows[number])


def the_cycle(session: Session) -> m.Cycle:
    return session.exec(select(m.Cycle)).one()


def counts(engine: Engine) -> dict[str, int]:
    """Rows that intake writes, and the audit trail: equal before and after means nothing changed."""
    with Session(engine) as session:
        return {model.__tablename__: session.exec(select(func.count()).select_from(model)).one() for model in COUNTED}
