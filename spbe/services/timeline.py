"""The timeline view shared by `spbe timeline`, `spbe status` and the demo: from the store when the
cycle is there (it holds moved deadlines and live states), else straight from the cycle file."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

from spbe.cycle_config import CycleConfig, load_cycle_config, target_note
from spbe.timeline import TimelineRow, timeline_row


@dataclass
class TimelineView:
    city: str
    year: int
    framework_label: str
    timezone: str
    target_index: Decimal
    target_predicate: str
    target_note: str | None
    rows: list[TimelineRow]
    source: str

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def as_dict(self) -> dict:
        return {
            "city": self.city,
            "year": self.year,
            "framework": self.framework_label,
            "timezone": self.timezone,
            "target": {"index": str(self.target_index), "predicate": self.target_predicate, "note": self.target_note},
            "phases": [
                r.as_dict() | {"opens": _local_iso(r.opens, self.tz), "deadline": _local_iso(r.deadline, self.tz)}
                for r in self.rows
            ],
        }


def _local_iso(instant, tz: ZoneInfo) -> str:
    return instant.astimezone(tz).isoformat()


def from_config(config: CycleConfig, source: str) -> TimelineView:
    fw = config.framework()
    rows = [
        timeline_row(
            config.calendar,
            name=p.name,
            title=p.title,
            opens=p.opens,
            deadline=p.deadline,
            requested_deadline=p.requested_deadline,
        )
        for p in config.phases
    ]
    return TimelineView(
        config.city,
        config.year,
        fw.label,
        config.timezone,
        config.target_index,
        config.target_predicate,
        target_note(fw, config.target_index, config.target_predicate),
        rows,
        source,
    )


def cycle_timeline(config_path: Path | None) -> TimelineView:
    if config_path is not None:
        return from_config(load_cycle_config(config_path), str(config_path))
    stored = _from_store()
    if stored is not None:
        return stored
    from spbe.settings import get_settings

    path = get_settings().cycle_file
    return from_config(load_cycle_config(path), f"{path} (store not initialised)")


def _from_store() -> TimelineView | None:
    from sqlalchemy.exc import SQLAlchemyError
    from sqlmodel import Session, select

    from spbe.errors import SpbeError
    from spbe.services.cycles import current_cycle, cycle_config_for
    from spbe.settings import get_settings
    from spbe.store import models as m
    from spbe.store.db import get_engine

    settings = get_settings()
    if settings.is_sqlite and not Path(settings.database_url.split("///", 1)[-1]).exists():
        return None
    engine = get_engine()
    with Session(engine) as session:
        try:
            cycle = current_cycle(session)
        except (SpbeError, SQLAlchemyError):  # no schema or no cycle yet: fall back to the file
            return None
        phases = session.exec(select(m.Phase).where(m.Phase.cycle_id == cycle.id).order_by(m.Phase.seq)).all()
        config = cycle_config_for(cycle.config_path)
        fw = config.framework()
        requested = {p.name: p.requested_deadline for p in config.phases}
        rows = [
            timeline_row(
                config.calendar,
                name=p.name,
                title=p.title,
                opens=p.opens_at,
                deadline=p.deadline_at,
                requested_deadline=requested.get(p.name) if requested.get(p.name) != p.deadline_at else None,
                state=p.state,
            )
            for p in phases
        ]
        target = Decimal(cycle.target_index)
        return TimelineView(
            cycle.city,
            cycle.year,
            fw.label,
            cycle.timezone,
            target,
            cycle.target_predicate,
            target_note(fw, target, cycle.target_predicate),
            rows,
            f"store {settings.database_label}, cycle {cycle.code}",
        )
