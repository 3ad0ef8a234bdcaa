"""`spbe export ministry --out DIR`: accepted evidence per item code with a manifest (coordinators)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from spbe.cli.output import print_json
from spbe.i18n import _

export_app = typer.Typer(help="Exports for other systems.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(export_app, name="export")


@export_app.command("ministry")
def ministry(
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder to lay the evidence out in (created).")],
    as_: Annotated[str | None, typer.Option("--as", help="Act as this roster id.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """The evidence the internal review accepted, per item code, with manifest.csv/json, for the ministry's
    app (coordinators). Running it again gives the same folder."""
    from spbe import clock
    from spbe.cli.doors import actor_of, at_the_door
    from spbe.services.cycles import current_cycle
    from spbe.services.ministry_export import export_ministry
    from spbe.services.people import require_coordinator
    from spbe.settings import get_settings
    from spbe.store.db import require_schema, session_scope

    actor = actor_of(as_)
    doing = _("build the evidence export for the ministry's application")
    at_the_door(lambda session, cycle: require_coordinator(session, cycle, actor, doing=doing))
    if out.exists() and not out.is_dir():
        from spbe.errors import InputError

        raise InputError(_("--out {out}: not a folder").format(out=out))
    with session_scope(require_schema()) as session:
        result = export_ministry(
            session,
            cycle=current_cycle(session),
            actor=actor,
            out=out,
            data_dir=get_settings().data_dir,
            now=clock.now(),
        )
    if as_json:
        print_json(result.as_dict())
        return
    said = _("{items} item(s) accepted: {files} file(s) and {links} link(s) in {out} (manifest.csv, manifest.json)").format(
        items=result.items, files=result.files, links=result.links, out=out
    )
    if result.removed:
        said += "; " + _("{n} old file(s) removed").format(n=result.removed)
    typer.echo(said)
