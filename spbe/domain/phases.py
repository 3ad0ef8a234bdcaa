"""The phases of a city's evaluation year and the states a phase moves through.

Every cycle has the city's six internal phases (`PHASES`). After them a cycle file may add the ministry's
own stages (`MINISTRY_STAGES`: upload to the ministry's app, interviu with its sanggah, visitasi, the
result), each optional, in this order; they are phases like the others (opened, gated, reminded and closed
by the timekeeper), only their gates ask for what the city records of the ministry's work.

The transition table is the whole state machine: anything not listed is refused.
"""

from __future__ import annotations

from enum import StrEnum

from spbe.i18n import N_, _

PHASES: tuple[str, ...] = (
    "locus",
    "socialization",
    "self-assessment",
    "document-review",
    "revision",
    "final-report",
)
MINISTRY_STAGES: tuple[str, ...] = (
    "ministry-upload",  # the city enters its accepted evidence into the ministry's app
    "ministry-interview",  # interviu with the external assessors, and the city's sanggah
    "ministry-visit",  # visitasi, where the ministry asks for one
    "ministry-result",  # the ministry's result, recorded with `spbe history import`
)
ALL_PHASES: tuple[str, ...] = PHASES + MINISTRY_STAGES


def is_ministry_stage(name: str) -> bool:
    return name in MINISTRY_STAGES


class PhaseState(StrEnum):
    PENDING = "pending"
    OPEN = "open"
    AWAITING_APPROVAL = "awaiting_approval"  # gate held (or deadline passed) and the phase needs a coordinator
    CLOSED = "closed"


STATE_WORDS = {
    PhaseState.PENDING: N_("pending"),
    PhaseState.OPEN: N_("open"),
    PhaseState.AWAITING_APPROVAL: N_("awaiting approval"),
    PhaseState.CLOSED: N_("closed"),
}


def state_text(state: str) -> str:
    """A state as a person reads it ("belum dibuka", "menunggu persetujuan"); the value itself is for JSON."""
    try:
        return _(STATE_WORDS[PhaseState(state)])
    except ValueError:
        return state


class CloseMode(StrEnum):
    AUTO = "auto"
    APPROVAL = "approval"


TRANSITIONS: dict[PhaseState, frozenset[PhaseState]] = {
    PhaseState.PENDING: frozenset({PhaseState.OPEN}),
    PhaseState.OPEN: frozenset({PhaseState.AWAITING_APPROVAL, PhaseState.CLOSED}),
    PhaseState.AWAITING_APPROVAL: frozenset({PhaseState.CLOSED, PhaseState.OPEN}),  # rejected → back to open
    PhaseState.CLOSED: frozenset(),
}


def can_transition(current: PhaseState, target: PhaseState) -> bool:
    return target in TRANSITIONS[current]


def phase_index(name: str) -> int:
    try:
        return ALL_PHASES.index(name)
    except ValueError:
        raise KeyError(f"unknown phase {name!r}; phases are: {', '.join(ALL_PHASES)}") from None
