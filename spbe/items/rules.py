"""How accepted items become an indicator's value: a registry of rule kinds, chosen by framework data.

The ministry has not published the rule. Its official values are fractional (1,17; 1,25; 1,3; 2,5 ...)
and the best public reading fits nine of ten of them: value = 1 + the widths of the levels fully
accepted + the share of the first incomplete level's main items accepted times its width, nothing above
it (widths 0,5 / 1 / 1 / 0,5 / 1, summing to 4 so that values span 1..5). That reading ships as the
default and the strict whole-level variant as an option, both the kind `level_widths`.

A rule sees only a `LevelTally` per level, computed after the automatic rejection: the accepted count of
every level above the first incomplete one is already 0. So whatever a rule does, statuses above an
automatically rejected level cannot change the value. The other invariants (nothing accepted → 1,
everything accepted → 5, one more accepted item never lowers the value) are checked for every
registered kind by the property tests. A real rule, once known, is a new kind: a parse function for its
TOML table and a value function, registered with `register_rule_kind`, then named in `framework.toml`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from spbe.items.provenance import Provenance, number_text, parse_number, read_provenance

LOWEST, HIGHEST = Fraction(1), Fraction(5)


@dataclass(frozen=True, slots=True)
class LevelTally:
    """One level of one indicator as a rule sees it."""

    level: int
    required: int  # main items (utama, or role unknown) on this level
    accepted: int  # of those, accepted and not automatically rejected

    @property
    def complete(self) -> bool:
        """All main items accepted; a level without main items is complete (see `valuation`)."""
        return self.accepted >= self.required


ParseParams = Callable[[Mapping[str, Any], str, list[str]], Any]
ValueOf = Callable[[Any, Sequence[LevelTally]], Fraction]
DescribeParams = Callable[[Any], dict[str, Any]]


@dataclass(frozen=True)
class RuleKind:
    """A family of rules: how its TOML parameters are read and how it values five tallies."""

    name: str
    parse: ParseParams  # (table, where, problems) -> params; appends problems, never raises
    value: ValueOf  # (params, tallies for levels 1..5) -> exact value in 1..5
    describe: DescribeParams  # params -> JSON-friendly dict


_KINDS: dict[str, RuleKind] = {}


def register_rule_kind(kind: RuleKind) -> None:
    """Make a rule kind available to `framework.toml` (`[value_rule] kind = "<name>"`)."""
    if kind.name in _KINDS and _KINDS[kind.name] is not kind:
        raise ValueError(f"a value-rule kind named {kind.name!r} is already registered")
    _KINDS[kind.name] = kind


def rule_kinds() -> tuple[str, ...]:
    return tuple(sorted(_KINDS))


def rule_kind(name: str) -> RuleKind:
    return _KINDS[name]


@dataclass(frozen=True)
class ValueRule:
    """One configured rule: a kind with its parameters, a name people read, and its provenance."""

    id: str
    kind: str
    name: str
    provenance: Provenance
    params: Any

    def value(self, tallies: Sequence[LevelTally]) -> Fraction:
        return _KINDS[self.kind].value(self.params, tallies)

    @property
    def source(self) -> str:
        return self.provenance.source

    @property
    def confidence(self) -> str:
        return self.provenance.confidence.value

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "name": self.name,
            **self.provenance.as_dict(),
            "params": _KINDS[self.kind].describe(self.params),
        }


def parse_value_rule(rule_id: str, raw: Mapping[str, Any], where: str, problems: list[str]) -> ValueRule | None:
    """Read one `[value_rule]` (or `[value_rule_options.<id>]`) table; None if it cannot be used."""
    before = len(problems)
    if not isinstance(raw, Mapping):
        problems.append(f"{where}: harus berupa tabel TOML")
        return None
    kind_name = str(raw.get("kind", "")).strip()
    name = str(raw.get("name", "")).strip()
    if not name:
        problems.append(f"{where}: `name` wajib diisi (nama aturan yang dibaca orang)")
    provenance = read_provenance(raw, where, problems)
    kind = _KINDS.get(kind_name)
    if kind is None:
        problems.append(f"{where}: `kind` {kind_name!r} tidak dikenal (tersedia: {', '.join(rule_kinds())})")
        return None
    params = kind.parse(raw, where, problems)
    if len(problems) > before:
        return None
    return ValueRule(rule_id, kind_name, name, provenance, params)


# --- the shipped kind: level widths, with or without the share of the first incomplete level -------------


@dataclass(frozen=True, slots=True)
class LevelWidths:
    widths: tuple[Fraction, ...]  # one per level, summing to 4
    partial: bool  # credit the share of the first incomplete level (the default reading) or not (strict)


def _parse_level_widths(raw: Mapping[str, Any], where: str, problems: list[str]) -> LevelWidths:
    widths_raw = raw.get("widths")
    widths: list[Fraction] = []
    if not isinstance(widths_raw, list) or len(widths_raw) != 5:
        problems.append(f"{where}: `widths` harus daftar lima angka (satu per tingkat), ada {widths_raw!r}")
    else:
        for n, w in enumerate(widths_raw, start=1):
            value = parse_number(w)
            if value is None or value < 0:
                problems.append(f"{where}: `widths` tingkat {n}: {w!r} bukan angka >= 0")
            else:
                widths.append(value)
        if len(widths) == 5 and sum(widths) != HIGHEST - LOWEST:
            problems.append(
                f"{where}: `widths` berjumlah {number_text(sum(widths), comma=True)}, "
                "harus 4 (nilai membentang 1 sampai 5)"
            )
    partial = raw.get("partial", True)
    if not isinstance(partial, bool):
        problems.append(f"{where}: `partial` harus true atau false, ada {partial!r}")
        partial = True
    return LevelWidths(tuple(widths), partial)


def _level_widths_value(params: LevelWidths, tallies: Sequence[LevelTally]) -> Fraction:
    value = LOWEST
    for tally, width in zip(tallies, params.widths, strict=True):
        if tally.complete:
            value += width
            continue
        if params.partial:
            value += width * Fraction(tally.accepted, tally.required)
        break
    return value


def _describe_level_widths(params: LevelWidths) -> dict[str, Any]:
    return {"widths": [number_text(w) for w in params.widths], "partial": params.partial}


LEVEL_WIDTHS = RuleKind("level_widths", _parse_level_widths, _level_widths_value, _describe_level_widths)
register_rule_kind(LEVEL_WIDTHS)
