"""`spbe history`: the ministry's published results of earlier years (import, list)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from spbe.cli.doors import actor_of
from spbe.cli.output import print_json, table
from spbe.i18n import N_, _

history_app = typer.Typer(
    help="Official results of earlier years: index and domain/aspect indices as the ministry published them.",
    no_args_is_help=True,
)

AsOption = Annotated[
    str | None, typer.Option("--as", help="Act as this roster id (default: SPBE_ACTOR, else the OS user).")
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON.")]


# what `spbe history import` did with a year's result
IMPORT_WORDS = {
    "recorded": N_("recorded"),
    "replaced": N_("replaced"),
    "unchanged": N_("unchanged (already on record)"),
}


def register(app: typer.Typer) -> None:
    app.add_typer(history_app, name="history")


@history_app.command("import")
def import_cmd(
    file: Annotated[
        Path,
        typer.Argument(
            help="CSV (year,kind,name,index[,predicate,framework]) or the ministry's result JSON; see README."
        ),
    ],
    framework: Annotated[
        str | None,
        typer.Option("--framework", "-f", help="Framework of every record (default: the one governing each year)."),
    ] = None,
    replace: Annotated[
        bool, typer.Option("--replace", help="Replace a year already on record (needs --reason).")
    ] = False,
    reason: Annotated[str | None, typer.Option("--reason", help="Why a recorded result is replaced.")] = None,
    as_: AsOption = None,
    as_json: JsonOption = False,
) -> None:
    """Record published results after checking them against the framework's weights (coordinator only)."""
    from spbe.history import KIND_LABEL, places
    from spbe.number_text import decimal_text
    from spbe.services.cycles import current_cycle
    from spbe.services.history import import_results
    from spbe.store.db import require_schema, session_scope

    with session_scope(require_schema()) as session:
        cycle = current_cycle(session)
        outcomes = import_results(
            session,
            cycle=cycle,
            actor=actor_of(as_),
            path=file,
            framework_id=framework,
            replace=replace,
            reason=reason,
        )
        city = cycle.city
    if as_json:
        print_json([o.as_dict() for o in outcomes])
        return
    for o in outcomes:
        r = o.result
        said = _("{city} {year} ({framework}): index {index}").format(
            city=city, year=r.year, framework=r.framework_id, index=decimal_text(r.index, places(r.index))
        )
        if r.groups:
            parts = _(" and ").join(sorted({KIND_LABEL[g.kind] for g in r.groups}))
            said += ", " + _("{n} {kinds} value(s)").format(n=len(r.groups), kinds=parts)
        typer.echo(said + ": " + _(IMPORT_WORDS[o.action]))
        for c in o.checks:
            typer.echo("  " + _("check: {sentence}").format(sentence=c.sentence()))


@history_app.command("list")
def list_cmd(as_: AsOption = None, as_json: JsonOption = False) -> None:
    """The official results on record for the current cycle's city."""
    from spbe.frameworks import load_framework
    from spbe.history import places, predicate_shown
    from spbe.number_text import decimal_text
    from spbe.services.cycles import current_cycle
    from spbe.services.history import official_results
    from spbe.services.people import require_person
    from spbe.store.db import require_schema, session_scope

    with session_scope(require_schema()) as session:
        cycle = current_cycle(session)
        require_person(session, cycle, actor_of(as_), doing=_("see the official results of earlier years"))
        results = official_results(session, city=cycle.city)
        city = cycle.city
    if as_json:
        print_json([r.as_dict() for r in results])
        return
    if not results:
        typer.echo(_("No official results of earlier years for {city} yet: `spbe history import FILE`.").format(city=city))
        return
    rows = [
        (
            r.year,
            r.framework_id,
            decimal_text(r.index, places(r.index)),
            predicate_shown(load_framework(r.framework_id), r),
            len([g for g in r.groups if g.kind == "domain"]),
            len([g for g in r.groups if g.kind == "aspect"]),
            r.source,
        )
        for r in results
    ]
    header = [_("Year"), _("Framework"), _("Index"), _("Predicate"), _("Domain"), _("Aspect"), _("Source")]
    typer.echo(table(rows, header))
