"""Pemdi evidence item by item: the catalog of evidence items per indicator level and the pure rules on it.

From 2026 (PermenPANRB 8/2026) the ministry's app asks for evidence per numbered item (butir bukti
dukung) on each level of each indicator, and the indicator's value follows from the items accepted.
This package is the pure domain of that model: no Prefect, no store, no I/O beyond reading the catalog
files of a framework folder.

Modules (import from them directly; this package re-exports nothing so that `spbe.frameworks` can load
the catalog without an import cycle):

- `catalog`: `Item`, `Criterion`, `Catalog`, `parse_catalog` (items.csv and criteria.csv, validated).
- `status`: `ItemStatus`, `RevisionKind`, `ItemState`: what an assessor or the rules say of an item.
- `rules`: the value-rule registry (`ValueRule`, `LevelTally`, `RuleKind`, `register_rule_kind`).
- `externals`: indicators valued from another agency's index (`ExternalSpec`, `ExternalReading`).
- `conditions`: evidence conditions on items (IKASANDI verified by BSSN, at most 12 months old).
- `model`: `ItemsModel`, the bundle a framework with `evidence_model = "items"` carries.
- `valuation`: automatic rejection and an indicator's value (`indicator_value`, `IndicatorValue`).
- `index`: aspect and Pemdi indices from item states (`score_items`, `ItemsScore`).
- `planner`: the cheapest set of items to reach a target index (`plan_items`, `ItemPlan`).
- `statuses`: reading `code,status` rows (the `spbe score --items` file) into states and readings.
"""
