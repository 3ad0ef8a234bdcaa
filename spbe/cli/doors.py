"""What every command does at its door: who is acting, and the role check before any work.

The checks themselves live in spbe.services.people (and the services' `may_*` rules), shared with the
flows and a future portal; here they run against the store before a command reads, writes or starts a
flow run, so a refusal costs nothing and says why (exit 2).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sqlmodel import Session

    from spbe.store import models as m


def actor_of(as_: str | None) -> str:
    """`--as ID`, else SPBE_ACTOR, else the OS user."""
    from spbe.settings import get_settings

    return as_ or get_settings().actor


def at_the_door(check: Callable[[Session, m.Cycle], Any]) -> Any:
    """Run `check(session, cycle)` in a read-only unit of work on the current cycle; what it raises, the
    command raises before it does anything."""
    from sqlmodel import Session

    from spbe.services.cycles import current_cycle
    from spbe.store.db import require_schema

    with Session(require_schema()) as session:
        return check(session, current_cycle(session))
