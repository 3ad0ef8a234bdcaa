"""The six phases of a city's SPBE year and the states a phase moves through.

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
        return PHASES.index(name)
    except ValueError:
        raise KeyError(f"unknown phase {name!r}; phases are: {', '.join(PHASES)}") from None
