"""A small Pemdi 2026 cycle for item-by-item tests: the shipped pemdi-2026 framework (its real catalog),
the Pekalongan roster with owners for the 20 Pemdi indicators, the 2025 timeline moved to 2026.

`pemdi_cycle_file(tmp_path)` writes the cycle file and its roster folder; `pemdi_store(url, tmp_path)`
loads it into a fresh store with assessors assigned (none from an owning OPD)."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from spbe.services.cycles import load_config_files, load_cycle
from spbe.store import models as m
from spbe.store.db import get_engine, session_scope, upgrade
from tests.conftest import CYCLE_FILE
from tests.utils.intake import set_assessors

# Pemdi indicator → lead OPD (test data, not a claim about Pekalongan's real decree).
OWNERS = {1: "BAPPERIDA", 2: "BAG-ORG", 3: "BKPSDM", **{n: "DINKOMINFO" for n in range(4, 21)}}
# indicator → assessor: asr-03/asr-04 are INSPEKTORAT, asr-05 BAPPERIDA; none judges its own OPD's indicator.
ASSESSORS = {1: "asr-03", 2: "asr-03", 3: "asr-04", **{n: ("asr-03" if n % 2 else "asr-05") for n in range(4, 21)}}

SA_OPEN = datetime(2026, 7, 1, 3, tzinfo=UTC)  # during self-assessment (deadline 31 Jul 2026 16:00 WIB)
SA_DEADLINE = datetime(2026, 7, 31, 9, tzinfo=UTC)
DR_OPEN = datetime(2026, 8, 5, 3, tzinfo=UTC)  # document review
REV_OPEN = datetime(2026, 9, 2, 3, tzinfo=UTC)  # revision (deadline 30 Sep 2026 16:00 WIB)

PHASES_2026 = {
    ('opens = "2025-06-02 08:00"', 'deadline = "2025-07-31 16:00"'): ("2026-06-08 08:00", "2026-06-19 16:00"),
    ('opens = "2025-08-01 08:00"', 'deadline = "2025-08-29 16:00"'): ("2026-06-22 08:00", "2026-06-30 16:00"),
    ('opens = "2025-09-01 08:00"', 'deadline = "2025-09-30 16:00"'): ("2026-07-01 08:00", "2026-07-31 16:00"),
    ('opens = "2025-10-01 08:00"', 'deadline = "2025-10-31 16:00"'): ("2026-08-03 08:00", "2026-08-31 16:00"),
    ('opens = "2025-11-03 08:00"', 'deadline = "2025-11-28 16:00"'): ("2026-09-01 08:00", "2026-09-30 16:00"),
    ('opens = "2025-12-01 08:00"', 'deadline = "2025-12-30 16:00"'): ("2026-10-01 08:00", "2026-10-30 16:00"),
}


def pemdi_cycle_file(folder: Path) -> Path:
    roster = folder / "roster-pemdi"
    roster.mkdir(parents=True, exist_ok=True)
    shipped = CYCLE_FILE.parent / "roster" / "pekalongan"
    for name in ("opds.toml", "people.toml"):
        shutil.copy(shipped / name, roster / name)
    owners = "\n".join(f'{n} = "{opd}"' for n, opd in sorted(OWNERS.items()))
    (roster / "owners.toml").write_text(f"[owners]\n{owners}\n", encoding="utf-8")
    text = CYCLE_FILE.read_text(encoding="utf-8")
    text = text.replace("year = 2025", "year = 2026").replace(
        'framework = "permenpanrb-59-2020"', 'framework = "pemdi-2026"'
    )
    text = text.replace('roster = "roster/pekalongan"', f'roster = "{roster}"')
    text = text.replace('2023 = "3.29"\n2024 = "3.76"\n', "")
    for (opens, deadline), (new_open, new_deadline) in PHASES_2026.items():
        assert opens in text and deadline in text, opens
        text = text.replace(opens, f'opens = "{new_open}"').replace(deadline, f'deadline = "{new_deadline}"')
    text = text.replace('when = "2025-08-12 09:00"', 'when = "2026-06-24 09:00"')
    text = text.replace("dns = true", "dns = false")
    path = folder / "pekalongan-2026.toml"
    path.write_text(text, encoding="utf-8")
    return path


def pemdi_store(url: str, folder: Path, *, phase: str | None = "self-assessment") -> Engine:
    """A loaded Pemdi cycle, assessors set; `phase` open and the phases before it closed."""
    engine = get_engine(url)
    upgrade(engine)
    config, roster = load_config_files(pemdi_cycle_file(folder))
    with session_scope(engine) as session:
        cycle = load_cycle(session, config=config, roster=roster, actor="tester").cycle
        set_assessors(session, cycle, ASSESSORS)
        if phase is not None:
            target = session.exec(select(m.Phase).where(m.Phase.cycle_id == cycle.id, m.Phase.name == phase)).one()
            for p in session.exec(select(m.Phase).where(m.Phase.cycle_id == cycle.id)):
                p.state = "open" if p.seq == target.seq else "closed" if p.seq < target.seq else "pending"
    return engine


def pemdi_cycle(session: Session) -> m.Cycle:
    return session.exec(select(m.Cycle).where(m.Cycle.year == 2026)).one()
