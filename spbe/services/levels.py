"""The levels a cycle stands at now, read from a snapshot: what `spbe plan` and the report score.

Two bases. "claimed": each indicator's latest submitted level. "validated": the assessor's level where
the latest version was accepted. Before the reviews are done most indicators have no validated level,
so those fall back to the claim (or to 1, the floor, when nothing was submitted) and are listed as
assumed: a plan or a report must never pass an assumption off as a validated result.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from spbe.domain.snapshot import CycleSnapshot
from spbe.errors import SpbeError
from spbe.frameworks import LEVELS
from spbe.levels_file import _ranges


class Basis(StrEnum):
    VALIDATED = "validated"
    CLAIMED = "claimed"


class Assumed(StrEnum):
    CLAIMED = "claimed"  # no accepted review on the latest version: the OPD's claim stands in
    FLOOR = "floor"  # nothing submitted: level 1


BASIS_LABEL = {Basis.VALIDATED: "tervalidasi", Basis.CLAIMED: "klaim OPD"}


@dataclass(frozen=True)
class LevelsView:
    basis: Basis
    levels: Mapping[int, int]  # every indicator of the cycle → 1..5
    assumed: Mapping[int, Assumed] = field(default_factory=dict)
    source: str = "store"

    @property
    def assumed_claimed(self) -> list[int]:
        return sorted(n for n, a in self.assumed.items() if a is Assumed.CLAIMED)

    @property
    def assumed_floor(self) -> list[int]:
        return sorted(n for n, a in self.assumed.items() if a is Assumed.FLOOR)

    def note(self) -> str | None:
        """One line saying which levels are assumptions, or None when every level is what the basis says."""
        parts = []
        if self.assumed_claimed:
            parts.append(f"level klaim dipakai untuk indikator {_ranges(self.assumed_claimed)} (belum divalidasi)")
        if self.assumed_floor:
            parts.append(f"level 1 diasumsikan untuk indikator {_ranges(self.assumed_floor)} (belum ada isian)")
        if not parts:
            return None
        return f"dasar {BASIS_LABEL[self.basis]}: " + "; ".join(parts)

    def as_dict(self) -> dict:
        return {
            "basis": self.basis.value,
            "source": self.source,
            "assumed_claimed": self.assumed_claimed,
            "assumed_level_1": self.assumed_floor,
        }


def parse_basis(text: str) -> Basis:
    try:
        return Basis(text.strip().lower())
    except ValueError:
        raise SpbeError(f"basis must be 'validated' or 'claimed', got {text!r}") from None


def current_levels(snapshot: CycleSnapshot, basis: Basis | str) -> LevelsView:
    basis = parse_basis(basis) if isinstance(basis, str) else basis
    levels: dict[int, int] = {}
    assumed: dict[int, Assumed] = {}
    for item in snapshot.indicators:
        claimed = item.claimed_level if item.claimed_level in LEVELS else None
        validated = item.validated_level if item.validated_level in LEVELS else None
        if basis is Basis.VALIDATED and validated is not None:
            levels[item.number] = validated
        elif claimed is not None:
            levels[item.number] = claimed
            if basis is Basis.VALIDATED:
                assumed[item.number] = Assumed.CLAIMED
        else:
            levels[item.number] = LEVELS[0]
            assumed[item.number] = Assumed.FLOOR
    return LevelsView(basis, levels, assumed, source=f"store, cycle {snapshot.code}")
