"""Interim outbox until the reminders feature lands: notices are appended to a JSON-lines file under
the data directory (the console/file channel). Replaced by the durable outbox table and dispatcher."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from sqlmodel import Session

from spbe.settings import get_settings

if TYPE_CHECKING:
    from spbe.services.notices import Notice


def enqueue(session: Session, *, cycle_id: int, notices: list[Notice]) -> int:
    path = get_settings().data_dir / "notices.jsonl"
    path.parent.mkdir(parents=True, exist_ok=True)
    seen: set[str] = set()
    if path.exists():
        seen = {json.loads(line)["key"] for line in path.read_text(encoding="utf-8").splitlines() if line.strip()}
    new = [n for n in notices if n.key not in seen]
    with path.open("a", encoding="utf-8") as fh:
        for n in new:
            fh.write(json.dumps({"cycle_id": cycle_id, **n.__dict__}, ensure_ascii=False) + "\n")
    return len(new)
