"""Core commands: init, score, timeline."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from spbe.cli.output import print_json, table, warn
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
    typer.echo(f"store:  {settings.database_label}")
    if before is None:
        typer.echo(f"schema: created at {after}")
    elif before == after:
        typer.echo(f"schema: unchanged at {after}")
    else:
        typer.echo(f"schema: upgraded {before} → {after}")
    if result.created:
        typer.echo(f"cycle:  {code} loaded from {path} ({len(roster.opds)} OPDs, {len(roster.people)} people)")
    elif result.changes:
        typer.echo(f"cycle:  {code} updated from {path}: {len(result.changes)} change(s)")
        for change in result.changes[:20]:
            typer.echo(f"  - {change}")
    else:
        typer.echo(f"cycle:  {code} unchanged")


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
            raise InputError("--store reads the cycle from the store: give no --levels or --items file")
        from spbe.cli.cmd_items import score_items_store
        from spbe.cli.doors import actor_of

        score_items_store(actor=actor_of(as_), as_json=as_json, rule_id=value_rule)
        return
    if (levels is None) == (items is None):
        raise InputError("give exactly one of --levels FILE.csv or --items FILE.csv (or --store)")
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
        warn(f"kerangka {fw.id} BELUM TERVERIFIKASI: bobot dan batas predikat dari sumber sekunder")
    if as_json:
        print_json(result.as_dict())
        return
    typer.echo(f"Kerangka: {fw.label} · {fw.name}")
    typer.echo(
        f"{fw.index_name}: {decimal_text(result.index)} (tepat {exact_text(result.exact)})  Predikat: {result.predicate}"
    )
    reading = "nilai tepat" if fw.predicate_reading == "exact" else "nilai tampil (dibulatkan dua desimal)"
    typer.echo(f"Predikat dibaca dari {reading}.")
    if result.bound_note:
        typer.echo(f"Catatan: {result.bound_note}.")
    typer.echo("")
    if result.domains:
        rows = [(d.name, decimal_text(d.weight), decimal_text(d.index)) for d in result.domains]
        typer.echo(table(rows, ["Domain", "Bobot %", "Indeks"]) + "\n")
    rows = [(a.name, decimal_text(a.weight), decimal_text(a.index)) for a in result.aspects]
    typer.echo(table(rows, ["Aspek", "Bobot %", "Indeks"]))


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
    typer.echo(f"{view.city} {view.year}: {view.framework_label}; target {view.target_index} ({view.target_predicate})")
    tz = view.tz
    rows = []
    for r in view.rows:
        rows.append(
            (
                r.name,
                r.state or "-",
                f"{r.opens.astimezone(tz):%a %d %b %Y %H:%M}",
                f"{r.deadline.astimezone(tz):%a %d %b %Y %H:%M}",
                r.working_days,
            )
        )
    from spbe.messages import zone_name

    zone = zone_name(view.rows[0].opens.astimezone(tz)) if view.rows else str(tz)
    typer.echo(table(rows, ["phase", "state", f"opens ({zone})", f"deadline ({zone})", "working days"]))
    for r in view.rows:
        if r.requested_deadline and r.requested_deadline != r.deadline:
            typer.echo(f"  {r.name}: deadline moved from {r.requested_deadline.astimezone(tz):%a %d %b} (a day off)")
        for d, name in r.days_off:
            typer.echo(f"  {r.name}: libur {d:%a %d %b %Y}: {name}")
    typer.echo(f"(source: {view.source})")
