"""Core commands: init, score, timeline."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from spbe.cli.output import print_json, table, unverified_line, warn
from spbe.i18n import _


def register(app: typer.Typer) -> None:
    app.command("init")(init)
    app.command("score")(score)
    app.command("timeline")(timeline)


def init(
    config: Annotated[
        Path | None, typer.Option("--config", "-c", help="Cycle file (default: config/pekalongan-2025.toml).")
    ] = None,
    as_: Annotated[
        str | None, typer.Option("--as", help="Act as this roster id (default: SPBE_ACTOR, else the OS user).")
    ] = None,
) -> None:
    """Create or upgrade the store's schema and load the cycle configuration (safe to run again; a coordinator
    of the roster being loaded)."""
    from spbe.cli.doors import actor_of
    from spbe.services.cycles import load_config_files, load_cycle
    from spbe.services.people import require_coordinator_in
    from spbe.settings import get_settings
    from spbe.store.db import get_engine, session_scope, upgrade

    settings = get_settings()
    path = config or settings.cycle_file
    cycle_config, roster = load_config_files(path)  # validate before touching the store
    actor = actor_of(as_)
    require_coordinator_in(roster, actor, doing=_("load the cycle from {file}").format(file=path.name))
    engine = get_engine()
    before, after = upgrade(engine)
    with session_scope(engine) as session:
        result = load_cycle(session, config=cycle_config, roster=roster, actor=actor)
        if not result.created:  # a moved deadline or a new title: waiting notices are rewritten or cancelled
            from spbe.services.stale import review_notices

            session.flush()
            review_notices(session, cycle=result.cycle)
        code = result.cycle.code
    from spbe.formats import number_text

    typer.echo(_("store: {store}").format(store=settings.database_label))
    if before is None:
        typer.echo(_("schema: created at {version}").format(version=after))
    elif before == after:
        typer.echo(_("schema: unchanged at {version}").format(version=after))
    else:
        typer.echo(_("schema: upgraded {before} → {after}").format(before=before, after=after))
    if result.created:
        said = _("cycle: {cycle} loaded from {path} ({opds} OPDs, {people} people)").format(
            cycle=code, path=path, opds=number_text(len(roster.opds), 0), people=number_text(len(roster.people), 0)
        )
        typer.echo(said)
    elif result.changes:
        typer.echo(
            _("cycle: {cycle} updated from {path}: {n} change(s)").format(
                cycle=code, path=path, n=number_text(len(result.changes), 0)
            )
        )
        for change in result.changes[:20]:
            typer.echo(f"  - {change}")
    else:
        typer.echo(_("cycle: {cycle} unchanged").format(cycle=code))


def score(
    levels: Annotated[
        Path | None,
        typer.Option("--levels", "-l", help="CSV with header indicator,level (comma or semicolon).", exists=False),
    ] = None,
    framework: Annotated[str, typer.Option("--framework", "-f", help="Framework id.")] = "permenpanrb-59-2020",
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    items: Annotated[
        Path | None,
        typer.Option(
            "--items", help="Pemdi: CSV code,status per item (diterima|revisi|proses|belum); I5,68.75 for externals."
        ),
    ] = None,
    value_rule: Annotated[
        str | None, typer.Option("--value-rule", help="With --items: a value-rule option by id (e.g. tingkat-utuh).")
    ] = None,
    store: Annotated[
        bool, typer.Option("--store", help="Pemdi: score the current cycle from the store (items accepted so far).")
    ] = False,
    as_: Annotated[str | None, typer.Option("--as", help="With --store: act as this roster id.")] = None,
) -> None:
    """Score a full set of capability levels (or, for Pemdi, item statuses) exactly as the regulation does."""
    from spbe.errors import InputError

    if store:
        if levels is not None or items is not None:
            raise InputError(_("--store reads the cycle from the store: give no --levels or --items file"))
        from spbe.cli.cmd_items import score_items_store
        from spbe.cli.doors import actor_of

        score_items_store(actor=actor_of(as_), as_json=as_json, rule_id=value_rule)
        return
    if (levels is None) == (items is None):
        raise InputError(_("give exactly one of --levels FILE.csv or --items FILE.csv (or --store)"))
    if items is not None:
        from spbe.cli.cmd_items import score_items_file

        score_items_file(items, framework, as_json=as_json, rule_id=value_rule)
        return
    from spbe.frameworks import load_framework
    from spbe.levels_file import read_levels
    from spbe.number_text import decimal_text, exact_text
    from spbe.scoring import score as compute

    fw = load_framework(framework)
    result = compute(fw, read_levels(levels, fw))
    if not fw.verified:
        warn(unverified_line(fw.id))
    if as_json:
        print_json(result.as_dict())
        return
    typer.echo(_("Framework: {framework}").format(framework=f"{fw.label} · {fw.name}"))
    typer.echo(
        _("{index_name}: {index} (exactly {exact})  Predicate: {predicate}").format(
            index_name=fw.index_name,
            index=decimal_text(result.index),
            exact=exact_text(result.exact),
            predicate=result.predicate,
        )
    )
    typer.echo(
        _("The predicate is read from the exact value.")
        if fw.predicate_reading == "exact"
        else _("The predicate is read from the shown value (rounded to two decimals).")
    )
    if result.bound_note:
        typer.echo(_("Note: {note}.").format(note=result.bound_note))
    typer.echo("")
    if result.domains:
        rows = [(d.name, decimal_text(d.weight), decimal_text(d.index)) for d in result.domains]
        typer.echo(table(rows, [_("Domain"), _("Weight %"), _("Index")]) + "\n")
    rows = [(a.name, decimal_text(a.weight), decimal_text(a.index)) for a in result.aspects]
    typer.echo(table(rows, [_("Aspect"), _("Weight %"), _("Index")]))


def timeline(
    config: Annotated[
        Path | None,
        typer.Option("--config", "-c", help="Cycle file; default: the stored cycle, else config/pekalongan-2025.toml."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """The cycle's phases on real working days (weekends, holidays and cuti bersama excluded)."""
    from spbe.services.timeline import cycle_timeline

    view = cycle_timeline(config)
    if view.target_note:
        warn(view.target_note)
    if as_json:
        print_json(view.as_dict())
        return
    from spbe.domain.phases import state_text
    from spbe.formats import date_text, datetime_text
    from spbe.number_text import decimal_text

    typer.echo(
        _("{city} {year}: {framework}; target {index} ({predicate})").format(
            city=view.city,
            year=view.year,
            framework=view.framework_label,
            index=decimal_text(view.target_index),
            predicate=view.target_predicate,
        )
    )
    tz = view.tz
    rows = [
        (r.name, state_text(r.state) if r.state else "-", datetime_text(r.opens, tz), datetime_text(r.deadline, tz),
         r.working_days)
        for r in view.rows
    ]
    typer.echo(table(rows, [_("phase"), _("state"), _("opens"), _("deadline"), _("working days")]))
    for r in view.rows:
        if r.requested_deadline and r.requested_deadline != r.deadline:
            moved = _("deadline moved from {day} (a day off)").format(day=date_text(r.requested_deadline, tz))
            typer.echo(f"  {r.name}: {moved}")
        for d, name in r.days_off:
            typer.echo(f"  {r.name}: " + _("day off {day}: {name}").format(day=date_text(d), name=name))
    typer.echo(_("(source: {source})").format(source=view.source))
