"""Which level each indicator stands at, on each basis, and which of them are assumptions."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from spbe.domain.snapshot import CycleSnapshot, IndicatorState
from spbe.errors import SpbeError
from spbe.services.levels import Assumed, Basis, current_levels, parse_basis

NOW = datetime(2025, 10, 15, 3, 0, tzinfo=UTC)


def state(number: int, **kw) -> IndicatorState:
    return IndicatorState(
        number=number, name=f"ind {number}", weight="1.30", owner_opd="DINKOMINFO", assessor=None, **kw
    )


def snapshot(*items: IndicatorState) -> CycleSnapshot:
    return CycleSnapshot(
        cycle_id=1,
        code="kota-2025",
        year=2025,
        timezone="Asia/Jakarta",
        phases={},
        opds={},
        people={},
        indicators=items,
        attendance={},
        assignments_approved=True,
    )


SNAP = snapshot(
    state(1, version=1, claimed_level=4, submitted_at=NOW, verdict="accept", validated_level=3),  # accepted
    state(2, version=2, claimed_level=5, submitted_at=NOW, verdict="revise", revise_rounds=2),  # sent back
    state(3, version=1, claimed_level=2, submitted_at=NOW),  # awaiting review
    state(4),  # nothing submitted
    state(5, version=3, claimed_level=5, submitted_at=NOW, verdict="accept", validated_level=5),
)


def test_validated_uses_the_assessor_level_and_marks_every_fallback():
    view = current_levels(SNAP, Basis.VALIDATED)
    assert dict(view.levels) == {1: 3, 2: 5, 3: 2, 4: 1, 5: 5}
    assert dict(view.assumed) == {2: Assumed.CLAIMED, 3: Assumed.CLAIMED, 4: Assumed.FLOOR}
    assert view.assumed_claimed == [2, 3] and view.assumed_floor == [4]
    note = view.note()
    assert note is not None
    assert "indikator 2-3 (belum divalidasi)" in note and "level 1 diasumsikan untuk indikator 4" in note
    assert view.as_dict() == {
        "basis": "validated",
        "source": "store, cycle kota-2025",
        "assumed_claimed": [2, 3],
        "assumed_level_1": [4],
    }


def test_claimed_uses_the_latest_claim_and_only_the_floor_is_assumed():
    view = current_levels(SNAP, "claimed")
    assert dict(view.levels) == {1: 4, 2: 5, 3: 2, 4: 1, 5: 5}
    assert dict(view.assumed) == {4: Assumed.FLOOR}
    assert view.note() == "dasar klaim OPD: level 1 diasumsikan untuk indikator 4 (belum ada isian)"


def test_accepted_without_a_level_falls_back_to_the_claim():
    view = current_levels(
        snapshot(state(1, version=1, claimed_level=4, verdict="accept", validated_level=None)), "validated"
    )
    assert dict(view.levels) == {1: 4} and dict(view.assumed) == {1: Assumed.CLAIMED}


def test_nothing_assumed_gives_no_note():
    view = current_levels(
        snapshot(state(1, version=1, claimed_level=2, verdict="accept", validated_level=2)), "validated"
    )
    assert view.note() is None and not view.assumed


@pytest.mark.parametrize("text", ["Validated", " claimed "])
def test_basis_is_read_leniently(text: str):
    assert parse_basis(text) in (Basis.VALIDATED, Basis.CLAIMED)


def test_unknown_basis_is_refused_clearly():
    with pytest.raises(SpbeError, match="basis must be 'validated' or 'claimed', got 'final'"):
        parse_basis("final")
