"""`spbe portal`: serve the self-service pages; print or revoke a personal link."""

from __future__ import annotations

from typing import Annotated

import typer

from spbe.cli.doors import actor_of
from spbe.i18n import _

portal_app = typer.Typer(help="The self-service portal: pages, personal links.", no_args_is_help=False)


def register(app: typer.Typer) -> None:
    app.add_typer(portal_app, name="portal")


def _subject(opd: str | None, assessor: str | None, coordinator: str | None) -> tuple[str, str]:
    from spbe.errors import InputError

    given = [(k, v) for k, v in (("opd", opd), ("assessor", assessor), ("coordinator", coordinator)) if v]
    if len(given) != 1:
        raise InputError(_("give exactly one of --opd CODE, --assessor ID or --coordinator ID"))
    return given[0]


@portal_app.callback(invoke_without_command=True)
def portal(
    ctx: typer.Context,
    host: Annotated[str, typer.Option("--host", help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="Port to listen on.")] = 8400,
) -> None:
    """Serve the portal (links use SPBE_PORTAL_BASE_URL)."""
    if ctx.invoked_subcommand is None:
        from spbe.portal.app import serve

        serve(host, port)


@portal_app.command("link")
def link(
    opd: Annotated[str | None, typer.Option("--opd", help="OPD code.")] = None,
    assessor: Annotated[str | None, typer.Option("--assessor", help="Assessor id.")] = None,
    coordinator: Annotated[
        str | None, typer.Option("--coordinator", help="Your own coordinator id (12 hours).")
    ] = None,
    as_: Annotated[str | None, typer.Option("--as", help="Act as this roster id.")] = None,
) -> None:
    """Print a personal link (a revoked one comes back as a new link)."""
    from spbe.portal.links import issue_link
    from spbe.services.cycles import current_cycle
    from spbe.store.db import require_schema, session_scope

    kind, subject = _subject(opd, assessor, coordinator)
    with session_scope(require_schema()) as session:
        issued = issue_link(session, cycle=current_cycle(session), actor=actor_of(as_), kind=kind, subject=subject)
    typer.echo(issued.url)


@portal_app.command("revoke")
def revoke(
    opd: Annotated[str | None, typer.Option("--opd", help="OPD code.")] = None,
    assessor: Annotated[str | None, typer.Option("--assessor", help="Assessor id.")] = None,
    coordinator: Annotated[str | None, typer.Option("--coordinator", help="Coordinator id.")] = None,
    as_: Annotated[str | None, typer.Option("--as", help="Act as this roster id.")] = None,
) -> None:
    """End a personal link now."""
    from spbe.portal.links import revoke_link
    from spbe.services.cycles import current_cycle
    from spbe.services.people import role_text
    from spbe.store.db import require_schema, session_scope

    kind, subject = _subject(opd, assessor, coordinator)
    with session_scope(require_schema()) as session:
        changed = revoke_link(session, cycle=current_cycle(session), actor=actor_of(as_), kind=kind, subject=subject)
    said = _("{kind} {subject}: link revoked") if changed else _("{kind} {subject}: already revoked")
    typer.echo(said.format(kind="OPD" if kind == "opd" else role_text(kind), subject=subject))
