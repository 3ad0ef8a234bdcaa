"""The item model a framework carries when its `framework.toml` says `evidence_model = "items"`.

`spbe.frameworks` calls `parse_items_model` while it loads the framework, so a bad catalog is reported
together with every other problem of the folder. This module never imports `spbe.frameworks` (that
would be a cycle); `with_city_catalog` swaps in a city's own catalog with `dataclasses.replace`.

Two rules hold for every item-valued indicator, checked here because the value rules rely on them:
- level 1 has at least one main item, so that nothing accepted is worth 1 and not more;
- a level without main items (I9 has no Data Dukung at level 3 in the public module) is complete as soon
  as the levels below it are: it neither blocks the levels above nor needs anything. Its width is
  credited together with the level below it. `empty_levels()` lists them so a city can fill them in.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from spbe.errors import ConfigError
from spbe.items.catalog import CRITERIA_FILE, ITEM_LEVELS, ITEMS_FILE, Catalog, Item, indicator_label, parse_catalog
from spbe.items.conditions import EvidenceCondition, parse_conditions
from spbe.items.externals import ExternalSpec, parse_externals
from spbe.items.rules import ValueRule, parse_value_rule

if TYPE_CHECKING:
    from spbe.frameworks import Framework


@dataclass(frozen=True)
class ItemsModel:
    catalog: Catalog
    value_rule: ValueRule  # the framework's rule in force
    value_rule_options: tuple[ValueRule, ...]  # alternatives that can be chosen by id
    externals: tuple[ExternalSpec, ...]
    conditions: tuple[EvidenceCondition, ...]
    indicator_numbers: tuple[int, ...]

    def rule(self, rule_id: str | None = None) -> ValueRule:
        """The rule in force, or the option with this id; KeyError names the known ids."""
        if rule_id is None or rule_id == self.value_rule.id:
            return self.value_rule
        for option in self.value_rule_options:
            if option.id == rule_id:
                return option
        raise KeyError(f"aturan nilai {rule_id!r} tidak dikenal (tersedia: {', '.join(self.rule_ids())})")

    def rule_ids(self) -> tuple[str, ...]:
        return (self.value_rule.id, *(o.id for o in self.value_rule_options))

    def external(self, indicator: int) -> ExternalSpec | None:
        return next((e for e in self.externals if e.indicator == indicator), None)

    def is_external(self, indicator: int) -> bool:
        return self.external(indicator) is not None

    def item_indicators(self) -> tuple[int, ...]:
        """Indicators valued from their items (all but the external ones)."""
        return tuple(n for n in self.indicator_numbers if not self.is_external(n))

    def conditions_for(self, item: Item) -> tuple[EvidenceCondition, ...]:
        return tuple(c for c in self.conditions if c.applies_to(item))

    def empty_levels(self) -> tuple[tuple[int, int], ...]:
        """(indicator, level) of item-valued levels without main items: complete by definition."""
        return tuple(
            (n, level) for n in self.item_indicators() for level in ITEM_LEVELS if not self.catalog.main_items(n, level)
        )


def parse_items_model(
    folder: Path,
    meta: Mapping[str, Any],
    *,
    indicators: Sequence[int],
    problems: list[str],
    items_file: Path | None = None,
    criteria_file: Path | None = None,
) -> ItemsModel | None:
    """Read the item model of a framework folder; problems are appended, None when unusable.

    `items_file`/`criteria_file` replace the folder's `items.csv`/`criteria.csv` (a city's own copy).
    """
    before = len(problems)
    where = "framework.toml"
    rule = None
    raw_rule = meta.get("value_rule")
    if raw_rule is None:
        problems.append(f'{where}: evidence_model = "items" memerlukan tabel [value_rule]')
    else:
        rule_id = str(raw_rule.get("id", "default")).strip() if isinstance(raw_rule, Mapping) else "default"
        rule = parse_value_rule(rule_id, raw_rule, f"{where} [value_rule]", problems)
    options: list[ValueRule] = []
    raw_options = meta.get("value_rule_options", {})
    if not isinstance(raw_options, Mapping):
        problems.append(f"{where}: [value_rule_options] harus tabel berisi tabel per aturan")
        raw_options = {}
    for option_id, table in raw_options.items():
        option = parse_value_rule(option_id, table, f"{where} [value_rule_options.{option_id}]", problems)
        if option is not None:
            options.append(option)
    ids = [r.id for r in ([rule] if rule else []) + options]
    if len(set(ids)) != len(ids):
        problems.append(f"{where}: id aturan nilai berulang: {ids}")
    externals = parse_externals(meta.get("externals"), indicators=indicators, where=where, problems=problems)
    conditions = parse_conditions(meta.get("item_conditions"), indicators=indicators, where=where, problems=problems)
    catalog = parse_catalog(
        items_file or folder / ITEMS_FILE,
        criteria_file or folder / CRITERIA_FILE,
        indicators=indicators,
        problems=problems,
    )
    external_numbers = {e.indicator for e in externals}
    problems.extend(_level_one_problems(catalog, [n for n in indicators if n not in external_numbers]))
    if len(problems) > before or rule is None:
        return None
    return ItemsModel(catalog, rule, tuple(options), externals, conditions, tuple(indicators))


def _level_one_problems(catalog: Catalog, item_indicators: Sequence[int]) -> list[str]:
    name = catalog.items_path.name if catalog.items_path else ITEMS_FILE
    return [
        f"{name}: {indicator_label(n)} tidak punya butir utama di tingkat 1; tanpa itu nilai 'belum ada yang "
        f"diterima' tidak bisa 1 (tambahkan butir tingkat 1 atau jadikan indikator eksternal)"
        for n in item_indicators
        if not catalog.main_items(n, 1)
    ]


def with_city_catalog(
    framework: Framework, *, items_file: Path | None = None, criteria_file: Path | None = None
) -> Framework:
    """The framework with a city's own items and/or criteria file in place of the shipped ones.

    The rules, externals and conditions stay the framework's. Everything is validated as on load;
    ConfigError lists every problem. Returns a new Framework: the cached shipped one is untouched.
    """
    model = framework.items
    if model is None:
        raise ConfigError(f'{framework.id} menilai per tingkat (evidence_model = "levels"), bukan per butir')
    if items_file is None and criteria_file is None:
        return framework
    problems: list[str] = []
    catalog = parse_catalog(
        items_file or model.catalog.items_path or Path(ITEMS_FILE),
        criteria_file or model.catalog.criteria_path,
        indicators=model.indicator_numbers,
        problems=problems,
    )
    problems.extend(_level_one_problems(catalog, model.item_indicators()))
    if problems:
        raise ConfigError(problems, source=f"katalog butir {framework.id}")
    return dataclasses.replace(framework, items=dataclasses.replace(model, catalog=catalog))
