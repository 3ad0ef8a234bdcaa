"""`spbe items`: the Pemdi evidence-item catalog; and scoring a file of item statuses (`spbe score --items`).

Both are read-only and fast: the framework folder and one CSV file, no store, no Prefect.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from spbe.cli.output import print_json, table, unverified_line, waiting_line, warn
from spbe.i18n import _

if TYPE_CHECKING:
    from spbe.frameworks import Framework
    from spbe.items.index import ItemsScore
    from spbe.items.model import ItemsModel
    from spbe.items.rules import ValueRule

DEFAULT_FRAMEWORK = "pemdi-2026"


def register(app: typer.Typer) -> None:
    app.command("items")(items)


def items(
    indicator: Annotated[str | None, typer.Option("--indicator", "-i", help="Only this indicator (I3 or 3).")] = None,
    framework: Annotated[str, typer.Option("--framework", "-f", help="Framework id.")] = DEFAULT_FRAMEWORK,
    catalog: Annotated[
        Path | None, typer.Option("--catalog", help="A city's own items.csv instead of the shipped one.")
    ] = None,
    criteria: Annotated[
        Path | None, typer.Option("--criteria", help="A city's own criteria.csv instead of the shipped one.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """List the evidence items per indicator and level (code, official code, role, text, source, confidence)."""
    from spbe.errors import InputError
    from spbe.formats import number_text
    from spbe.items.catalog import parse_indicator_label

    fw = _framework(framework, catalog, criteria)
    model = _model(fw)
    numbers = list(model.indicator_numbers)
    if indicator is not None:
        number = parse_indicator_label(indicator)
        if number is None or number not in numbers:
            raise InputError(
                _("--indicator {indicator!r}: not an indicator of {framework} (I{first}..I{last})").format(
                    indicator=indicator, framework=fw.id, first=numbers[0], last=numbers[-1]
                )
            )
        numbers = [number]
    _catalog_warnings(fw, model, numbers)
    if as_json:
        print_json(_catalog_dict(fw, model, numbers))
        return
    typer.echo(_("Framework: {framework}").format(framework=fw.label))
    typer.echo(
        _("Item catalogue: {path}  ({n} items)").format(
            path=model.catalog.items_path, n=number_text(len(model.catalog), 0)
        )
    )
    typer.echo(_rule_line(model.value_rule))
    for number in numbers:
        typer.echo("")
        typer.echo(_indicator_heading(fw, model, number))
        spec = model.external(number)
        if spec is not None:
            typer.echo(
                "  "
                + _("Value from {index}: {how} (confidence {confidence})").format(
                    index=spec.source_index, how=spec.describe(), confidence=spec.provenance.confidence.label
                )
            )
            typer.echo(f"  {spec.note}")
        for level in range(1, 6):
            criterion = model.catalog.criterion(number, level)
            typer.echo("  " + _("Level {level} ({name})").format(level=level, name=fw.level_name(level)))
            if criterion is not None:
                typer.echo(f"    {_clip(criterion.text, 220)}")
            rows = model.catalog.items_of(number, level)
            if not rows:
                typer.echo("    " + _("(no items: this level is complete when the level below it is)"))
            for item in rows:
                official = f" [{item.official_code}]" if item.official_code else ""
                conditions = "".join(
                    "\n      " + _("condition: {text}").format(text=c.text) for c in model.conditions_for(item)
                )
                said = _("role {role}; confidence {confidence}").format(
                    role=item.role.label, confidence=item.confidence.label
                )
                source = _("source: {source}").format(source=item.source)
                typer.echo(f"    {item.code}{official}  {said}\n      {item.text}\n      {source}{conditions}")


def score_items_file(path: Path, framework_id: str, *, as_json: bool, rule_id: str | None) -> None:
    """`spbe score --items FILE`: each indicator's value, aspects, exact and shown index, predicate."""
    from spbe.csvio import read_rows, require_header
    from spbe.errors import InputError
    from spbe.items.index import score_items
    from spbe.items.statuses import REQUIRED_COLUMNS, parse_status_rows

    fw = _framework(framework_id, None, None)
    model = _model(fw)
    try:
        rule = model.rule(rule_id)
    except KeyError as exc:
        raise InputError(f"--value-rule: {exc.args[0]}") from None
    header, rows = read_rows(path)
    require_header(header, list(REQUIRED_COLUMNS), path.name)
    sheet = parse_status_rows(rows, model, source=path.name)
    result = score_items(fw, states=sheet.states, readings=sheet.readings, rule_id=rule.id)
    if not fw.verified:
        warn(unverified_line(fw.id))
    if result.waiting_externals:
        warn(waiting_line([f"I{n}" for n in result.waiting_externals]))
    if as_json:
        print_json(result.as_dict())
        return
    _print_score(result)


def score_items_store(*, actor: str, as_json: bool, rule_id: str | None) -> None:
    """`spbe score --store` on an items cycle: the index from the items accepted so far and the recorded
    external values (1 while waiting), read from the store."""
    from sqlmodel import Session

    from spbe.errors import InputError
    from spbe.items.index import score_items
    from spbe.services.cycles import current_cycle, framework_of
    from spbe.services.item_catalog import require_items_model
    from spbe.services.items import external_readings, item_statuses
    from spbe.services.people import require_person
    from spbe.services.snapshot import take_snapshot
    from spbe.store.db import require_schema

    with Session(require_schema()) as session:
        cycle = current_cycle(session)
        require_person(session, cycle, actor, doing=_("compute the index of the cycle"))
        model = require_items_model(cycle, doing=_("compute the index from the items"))
        snap = take_snapshot(session, cycle)
    try:
        rule = model.rule(rule_id)
    except KeyError as exc:
        raise InputError(f"--value-rule: {exc.args[0]}") from None
    fw = framework_of(cycle)
    result = score_items(fw, states=item_statuses(snap), readings=external_readings(snap), rule_id=rule.id)
    if result.waiting_externals:
        warn(waiting_line([f"I{n}" for n in result.waiting_externals]))
    if as_json:
        print_json({"cycle": cycle.code, **result.as_dict()})
        return
    typer.echo(_("Cycle: {cycle} (from the store: the items accepted so far)").format(cycle=cycle.code))
    _print_score(result)


def _print_score(result: ItemsScore) -> None:
    from spbe.items.provenance import number_text
    from spbe.number_text import decimal_text
    from spbe.scoring import report_value

    fw = result.framework
    typer.echo(_("Framework: {framework}").format(framework=fw.label))
    typer.echo(_rule_line(result.rule))
    typer.echo(
        _("Pemdi index: {index} (exactly {exact})  Predicate: {predicate}").format(
            index=decimal_text(result.index), exact=number_text(result.exact, comma=True), predicate=result.predicate
        )
        + "\n"
    )
    rows = []
    for v in result.values:
        if v.basis == "external":
            assert v.external is not None
            basis = _("external")
            how = (
                v.status
                if v.reading is None
                else f"{v.external.source_index}: {number_text(v.reading.source_value, comma=True)}"
            )
        else:
            basis = _("items")
            how = "; ".join(
                f"T{lv.level} {lv.accepted}/{lv.required}"
                for lv in v.levels
                if lv.required and lv.level <= (v.blocking_level or 5)
            )
            if v.blocking_level is not None and v.blocking_level < 5:
                how += "; " + _("above L{level} rejected automatically").format(level=v.blocking_level)
        rows.append((f"I{v.indicator}", decimal_text(report_value(v.value)), basis, how))
    header = [_("Indicator"), _("Value"), _("Basis"), _("Main items accepted per level")]
    typer.echo(table(rows, header) + "\n")
    aspects = [(a.name, decimal_text(a.weight), decimal_text(a.index)) for a in result.score.aspects]
    typer.echo(table(aspects, [_("Aspect"), _("Weight %"), _("Index")]))
    typer.echo(
        "\n"
        + _("Values per indicator by the rule '{rule}' (see its source and confidence above).").format(rule=result.rule.id)
    )


def _framework(framework_id: str, catalog: Path | None, criteria: Path | None) -> Framework:
    from spbe.frameworks import load_framework
    from spbe.items.model import with_city_catalog

    fw = load_framework(framework_id)
    _model(fw)
    return with_city_catalog(fw, items_file=catalog, criteria_file=criteria)


def _model(fw: Framework) -> ItemsModel:
    from spbe.items.index import items_model

    return items_model(fw)


def _rule_line(rule: ValueRule) -> str:
    head = _("Value rule: {name} [{id}]").format(name=rule.name, id=rule.id)
    source = _("source: {source}").format(source=rule.source)
    confidence = _("confidence: {confidence}").format(confidence=rule.provenance.confidence.label)
    return f"{head}\n  {source}\n  {confidence}"


def _indicator_heading(fw: Framework, model: ItemsModel, number: int) -> str:
    ind = fw.indicator(number)
    from spbe.number_text import amount_text

    basis = _("external") if model.is_external(number) else _("scored from its items")
    return _("I{number} {name} (aspect {aspect}, weight {weight}; {basis})").format(
        number=number, name=ind.name, aspect=ind.aspect, weight=amount_text(ind.weight), basis=basis
    )


def _catalog_warnings(fw: Framework, model: ItemsModel, numbers: list[int]) -> None:
    if not fw.verified:
        warn(unverified_line(fw.id))
    generated = model.catalog.generated
    if generated:
        codes = ", ".join(generated[:10]) + (" ..." if len(generated) > 10 else "")
        warn(
            _("{n} item(s) without a code were given a new one ({codes}); write those codes into the file to keep them").format(
                n=len(generated), codes=codes
            )
        )
    empty = [_("I{indicator} level {level}").format(indicator=n, level=lv) for n, lv in model.empty_levels() if n in numbers]
    if empty:
        warn(_("levels without main items (complete when the level below is): {levels}").format(levels=", ".join(empty)))


def _catalog_dict(fw: Framework, model: ItemsModel, numbers: list[int]) -> dict[str, Any]:
    indicators = []
    for number in numbers:
        ind = fw.indicator(number)
        spec = model.external(number)
        levels = []
        for level in range(1, 6):
            criterion = model.catalog.criterion(number, level)
            levels.append(
                {
                    "level": level,
                    "name": fw.level_name(level),
                    "criterion": None if criterion is None else criterion.as_dict(),
                    "items": [
                        {**item.as_dict(), "conditions": [c.id for c in model.conditions_for(item)]}
                        for item in model.catalog.items_of(number, level)
                    ],
                    "without_main_items": not model.catalog.main_items(number, level),
                }
            )
        indicators.append(
            {
                "indicator": f"I{number}",
                "name": ind.name,
                "aspect": ind.aspect,
                "weight": str(ind.weight),
                "basis": "external" if spec else "items",
                "external": None if spec is None else spec.as_dict(),
                "levels": levels,
            }
        )
    return {
        "framework": fw.id,
        "framework_verified": fw.verified,
        "items_file": str(model.catalog.items_path),
        "criteria_file": str(model.catalog.criteria_path),
        "item_count": sum(len(model.catalog.items_of(n)) for n in numbers),
        "generated_codes": list(model.catalog.generated),
        "value_rule": model.value_rule.as_dict(),
        "value_rule_options": [r.as_dict() for r in model.value_rule_options],
        "conditions": [c.as_dict() for c in model.conditions],
        "indicators": indicators,
    }


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
