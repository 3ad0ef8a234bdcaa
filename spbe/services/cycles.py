"""Loading a cycle's configuration into the store, and finding the cycle a command works on.

`load_cycle` is idempotent: running it twice changes nothing. A later edit of the config (a new OPD,
a moved deadline) is applied and audited; live state (open phases, manual assignments) is kept.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from sqlmodel import Session, select

from spbe import clock
from spbe.cycle_config import CycleConfig, load_cycle_config
from spbe.domain.reminders import ReminderRules, SendingWindow, window_for
from spbe.errors import SpbeError
from spbe.frameworks import Framework, load_framework
from spbe.roster import Roster, load_roster
from spbe.settings import get_settings
from spbe.store import models as m
from spbe.store.audit import record


@dataclass
class LoadResult:
    cycle: m.Cycle
    created: bool
    changes: list[str] = field(default_factory=list)


def load_cycle(session: Session, *, config: CycleConfig, roster: Roster, actor: str) -> LoadResult:
    framework = config.framework()
    cycle = session.exec(select(m.Cycle).where(m.Cycle.code == config.code)).first()
    created = cycle is None
    changes: list[str] = []
    history = {str(k): str(v) for k, v in sorted(config.history.items())}
    if cycle is None:
        cycle = m.Cycle(
            code=config.code,
            city=config.city,
            year=config.year,
            framework_id=framework.id,
            timezone=config.timezone,
            target_index=str(config.target_index),
            target_predicate=config.target_predicate,
            history=history,
            config_path=str(config.path.resolve()),
            created_at=clock.now(),
        )
        session.add(cycle)
        session.flush()
        changes.append(f"cycle {cycle.code} created")
    else:
        wanted = {
            "target_index": str(config.target_index),
            "target_predicate": config.target_predicate,
            "history": history,
            "timezone": config.timezone,
            "config_path": str(config.path.resolve()),
        }
        for attr, value in wanted.items():
            if getattr(cycle, attr) != value:
                changes.append(f"cycle {attr}: {getattr(cycle, attr)} → {value}")
                setattr(cycle, attr, value)
        if cycle.framework_id != framework.id:
            raise SpbeError(
                f"cycle {cycle.code} is on framework {cycle.framework_id}; the config says {framework.id}. "
                "A cycle keeps its framework: start a new cycle file instead."
            )
    assert cycle.id is not None

    changes += _sync_phases(session, cycle, config)
    changes += _sync_rows(
        session,
        cycle.id,
        m.Indicator,
        "number",
        [
            {"number": i.number, "domain": i.domain, "aspect": i.aspect, "name": i.name, "weight": str(i.weight)}
            for i in framework.indicators
        ],
    )
    changes += _sync_rows(
        session,
        cycle.id,
        m.Opd,
        "code",
        [{"code": o.code, "name": o.name, "admin_key": o.admin_id, "head_key": o.head_id} for o in roster.opds],
    )
    changes += _sync_rows(
        session,
        cycle.id,
        m.Person,
        "key",
        [
            {
                "key": p.id,
                "name": p.name,
                "role": p.role,
                "opd_code": p.opd,
                "email": p.email,
                "phone": p.phone,
                "telegram": p.telegram,
                "channels": list(p.channels),
            }
            for p in roster.people
        ],
    )
    existing = {
        a.indicator_number: a for a in session.exec(select(m.Assignment).where(m.Assignment.cycle_id == cycle.id))
    }
    for ind in framework.indicators:
        if ind.number not in existing:
            session.add(
                m.Assignment(
                    cycle_id=cycle.id,
                    indicator_number=ind.number,
                    owner_opd=roster.owners.get(ind.number),
                    source="config",
                )
            )
            changes.append(f"indicator {ind.number}: default owner {roster.owners.get(ind.number) or '(none)'}")
    if changes:
        record(
            session,
            cycle_id=cycle.id,
            actor=actor,
            action="cycle.loaded" if created else "cycle.updated",
            subject=cycle.code,
            detail={"config": str(config.path), "changes": changes[:200], "count": len(changes)},
        )
    return LoadResult(cycle, created, changes)


def _sync_phases(session: Session, cycle: m.Cycle, config: CycleConfig) -> list[str]:
    changes: list[str] = []
    current = {p.name: p for p in session.exec(select(m.Phase).where(m.Phase.cycle_id == cycle.id))}
    for seq, spec in enumerate(config.phases):
        phase = current.get(spec.name)
        if phase is None:
            session.add(
                m.Phase(
                    cycle_id=cycle.id,
                    name=spec.name,
                    seq=seq,
                    title=spec.title,
                    opens_at=spec.opens,
                    deadline_at=spec.deadline,
                    close_mode=spec.close.value,
                    overlap=spec.overlap,
                    extra=spec.extra,
                )
            )
            changes.append(f"phase {spec.name} created")
            continue
        if phase.opens_at != spec.opens:
            changes.append(f"phase {spec.name} opens: {phase.opens_at.isoformat()} → {spec.opens.isoformat()}")
            phase.opens_at = spec.opens
        if phase.deadline_at != spec.deadline:
            changes.append(
                f"phase {spec.name} deadline: {phase.deadline_at.isoformat()} → {spec.deadline.isoformat()}"
                f" (version {phase.deadline_version + 1})"
            )
            phase.deadline_at = spec.deadline
            phase.deadline_version += 1  # reminders for the old date are cancelled, new ones follow the new date
        for attr, value in (
            ("title", spec.title),
            ("close_mode", spec.close.value),
            ("overlap", spec.overlap),
            ("extra", spec.extra),
        ):
            if getattr(phase, attr) != value:
                changes.append(f"phase {spec.name} {attr}: {getattr(phase, attr)} → {value}")
                setattr(phase, attr, value)
    return changes


def _sync_rows(session: Session, cycle_id: int, model, key: str, rows: list[dict]) -> list[str]:
    """Insert new rows and update changed ones by natural key; rows gone from the config are kept (history)."""
    table = model.__tablename__
    existing = {getattr(r, key): r for r in session.exec(select(model).where(model.cycle_id == cycle_id))}
    changes: list[str] = []
    for row in rows:
        current = existing.get(row[key])
        if current is None:
            session.add(model(cycle_id=cycle_id, **row))
            changes.append(f"{table} {row[key]} added")
            continue
        for attr, value in row.items():
            if getattr(current, attr) != value:
                changes.append(f"{table} {row[key]} {attr} changed")
                setattr(current, attr, value)
    return changes


def load_config_files(path: Path) -> tuple[CycleConfig, Roster]:
    config = load_cycle_config(path)
    return config, load_roster(config.roster_dir, config.framework())


def current_cycle(session: Session, code: str | None = None) -> m.Cycle:
    """The cycle a command works on: `SPBE_CYCLE` (its code) if set, else the newest one in the store."""
    code = code or get_settings().cycle_code
    if code:
        cycle = session.exec(select(m.Cycle).where(m.Cycle.code == code)).first()
        if cycle is None:
            raise SpbeError(f"no cycle {code!r} in the store")
        return cycle
    newest = session.exec(select(m.Cycle).order_by(m.Cycle.year.desc(), m.Cycle.id.desc()).limit(6)).all()
    if not newest:
        raise SpbeError("the store holds no cycle yet: run `spbe init`")
    same_year = [c.code for c in newest if c.year == newest[0].year]
    if len(same_year) > 1:  # a store shared by several cities or agencies: never guess which one is meant
        more = ", …" if len(same_year) == 6 else ""
        raise SpbeError(
            f"the store holds several {newest[0].year} cycles ({', '.join(same_year[:5])}{more}): "
            "set SPBE_CYCLE to the one you mean"
        )
    return newest[0]


@cache
def cycle_config_for(config_path: str) -> CycleConfig:
    """The parsed config a stored cycle came from (its calendar and feature sections)."""
    return load_cycle_config(Path(config_path))


def framework_of(cycle: m.Cycle) -> Framework:
    return load_framework(cycle.framework_id)


def rules_for(cycle: m.Cycle) -> tuple[ReminderRules, SendingWindow]:
    """The cycle's reminder rules and sending window, from the config file it was loaded from."""
    config = cycle_config_for(cycle.config_path)
    rules = ReminderRules.from_section(
        config.section("reminders"), source=f"{Path(cycle.config_path).name} [reminders]"
    )
    return rules, window_for(rules, config.calendar, cycle.timezone)
