"""Assessor assignment that balances workload under the conflict-of-interest rule.

An assessor never reviews an indicator owned by their own OPD. Within that rule the loads differ by
at most one wherever the roster allows it: a max-flow in two rounds (first every assessor up to
floor(n/k), then up to ceil(n/k)); augmenting paths never lower a load already reached, so the first
round's floor survives the second. Fixed (manual) assignments are kept and count toward the load.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass


def conflict_of_interest(assessor_opd: str | None, *owning_opds: str | None) -> bool:
    """The one rule: nobody judges what their own OPD owns (the owner, or under Pemdi a supporting OPD too)."""
    return assessor_opd is not None and assessor_opd in {o for o in owning_opds if o}


@dataclass(frozen=True)
class AssignmentPlan:
    assessor_of: dict[int, str]  # indicator → assessor
    loads: dict[str, int]
    unassignable: tuple[int, ...]  # indicators no assessor may take (every assessor is from the owner OPD)

    @property
    def spread(self) -> int:
        return max(self.loads.values()) - min(self.loads.values()) if self.loads else 0


def balance(
    indicators: Sequence[tuple[int, str | None]],  # (number, owner OPD)
    assessors: Sequence[tuple[str, str | None]],  # (key, own OPD)
    fixed: Mapping[int, str] | None = None,
) -> AssignmentPlan:
    fixed = dict(fixed or {})
    keys = [k for k, _ in assessors]
    opd_of = dict(assessors)
    if not keys:
        return AssignmentPlan({}, {}, tuple(n for n, _ in indicators if n not in fixed))
    loads = dict.fromkeys(keys, 0)
    for key in fixed.values():
        if key in loads:
            loads[key] += 1
    free = [(n, owner) for n, owner in indicators if n not in fixed]
    eligible = {n: [k for k in keys if not conflict_of_interest(opd_of[k], owner)] for n, owner in free}
    unassignable = tuple(n for n, ks in eligible.items() if not ks)
    todo = [n for n, _ in free if eligible[n]]

    total = len(todo) + sum(loads.values())
    floor_cap, ceil_cap = total // len(keys), -(-total // len(keys))
    match: dict[int, str] = {}
    for cap in (floor_cap, ceil_cap, len(todo) + max(loads.values(), default=0)):
        # the last round only runs when the rule makes perfect balance impossible ("where feasible")
        for n in sorted(todo, key=lambda n: (len(eligible[n]), n)):
            if n not in match:
                _augment(n, cap, eligible, match, loads, set())
        if len(match) == len(todo):
            break
    return AssignmentPlan({**fixed, **match}, loads, unassignable)


def _augment(
    n: int, cap: int, eligible: dict[int, list[str]], match: dict[int, str], loads: dict[str, int], seen: set[str]
) -> bool:
    """Find an assessor for indicator n, moving others along an alternating path if needed."""
    for key in sorted(eligible[n], key=lambda k: (loads[k], k)):
        if key in seen:
            continue
        seen.add(key)
        if loads[key] < cap:
            _take(n, key, match, loads)
            return True
        for other, holder in list(match.items()):
            if holder == key and other != n and _augment_shift(other, cap, eligible, match, loads, seen):
                _take(n, key, match, loads)
                return True
    return False


def _augment_shift(n: int, cap: int, eligible, match, loads, seen) -> bool:
    """Re-seat indicator n elsewhere, freeing one slot of its current assessor."""
    current = match[n]
    loads[current] -= 1
    del match[n]
    if _augment(n, cap, eligible, match, loads, seen):
        return True
    match[n] = current
    loads[current] += 1
    return False


def _take(n: int, key: str, match: dict[int, str], loads: dict[str, int]) -> None:
    match[n] = key
    loads[key] += 1
