"""Reminder commands: remind (one sweep and dispatch now), outbox (the queue by state), serve (the
timekeeper in the foreground)."""

from __future__ import annotations

from typing import Annotated

import typer

from spbe.cli.doors import actor_of, at_the_door
from spbe.cli.output import flow_run_line, print_json, table, warn
from spbe.i18n import _

JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON.")]
AsOption = Annotated[
    str | None, typer.Option("--as", help="Act as this roster id (default: SPBE_ACTOR, else the OS user).")
]


def register(app: typer.Typer) -> None:
    app.command("remind")(remind)
    app.command("outbox")(outbox)
    app.command("serve")(serve)


def remind(
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Only say what is due and what would be cancelled; change nothing.")
    ] = False,
    flow: Annotated[
        bool | None,
        typer.Option(
            "--flow/--no-flow",
            help="Run as a Prefect flow run with artifacts (default: when PREFECT_API_URL is set).",
        ),
    ] = None,
    as_: AsOption = None,
    as_json: JsonOption = False,
) -> None:
    """Sweep reminders that are due (H-7, H-3, H-1, H+1, escalation, digest) and deliver the outbox now
    (a coordinator)."""
    from spbe.services.people import require_coordinator
    from spbe.timekeeper import run_remind

    actor = actor_of(as_)
    def door(session, cycle) -> str:
        require_coordinator(session, cycle, actor, doing=_("send the reminders now"))
        return cycle.timezone

    zone = at_the_door(door)
    result = run_remind(dry_run=dry_run, use_prefect=flow)
    if as_json:
        print_json(result)
        return
    from datetime import datetime

    from spbe.formats import datetime_text, number_text

    def local(iso: str) -> str:
        return datetime_text(datetime.fromisoformat(iso), zone)

    swept, sent = result["sweep"], result["dispatch"]
    said = (
        _("sweep at {at}: would queue {queued}, cancel {cancelled}, refresh {refreshed} (dry run: nothing changed)")
        if dry_run
        else _("sweep at {at}: queued {queued}, cancelled {cancelled}, refreshed {refreshed}")
    )
    typer.echo(
        said.format(
            at=local(swept["at"]),
            queued=len(swept["queued"]),
            cancelled=len(swept["cancelled"]),
            refreshed=len(swept["refreshed"]),
        )
    )
    rows = [
        (q["kind"], q["phase"], q["rule"], q["recipient"], q["items"], local(q["send_after"])) for q in swept["queued"]
    ]
    if rows:
        header = [_("kind"), _("phase"), _("rule"), _("recipient"), _("items"), _("send after")]
        typer.echo(table(rows[:50], header))
        if len(rows) > 50:
            typer.echo(_("… and {n} more (use --json for all)").format(n=len(rows) - 50))
    for c in swept["cancelled"][:50]:
        typer.echo("  " + _("cancelled: {phase} {rule} → {recipient} ({reason})").format(**c))
    if sent is not None:
        typer.echo(
            _("dispatch: sent {sent}, to retry {retried}, dead {dead}, reclaimed {reclaimed} ({seconds} s)").format(
                sent=len(sent["sent"]),
                retried=len(sent["retried"]),
                dead=len(sent["dead"]),
                reclaimed=sent["reclaimed"],
                seconds=number_text(sent["seconds"], 1),
            )
        )
        if sent["outside_window"]:
            when = sent["outside_window"]
            when = local(when) if isinstance(when, str) and "T" in when else when
            typer.echo("  " + _("outside sending hours: nothing leaves before {when}").format(when=when))
        for d in sent["dead"][:20]:
            warn(_("not delivered: {key} → {recipient}: {error}").format(key=d["key"], recipient=d["recipient"],
                                                                          error=d.get("error")))
    if result.get("flow_run_id"):
        typer.echo(flow_run_line(result))


def outbox(
    state: Annotated[
        str | None,
        typer.Option("--state", help="Only this state: queued, sending, retry, sent, dead or cancelled."),
    ] = None,
    limit: Annotated[int, typer.Option("--limit", help="Rows to list (newest first).", min=0)] = 50,
    as_: AsOption = None,
    as_json: JsonOption = False,
) -> None:
    """The outbox by state: what waits, what is being sent, what was retried, what died and why (a coordinator)."""
    from sqlmodel import Session, col, select

    from spbe.errors import InputError
    from spbe.services.cycles import current_cycle
    from spbe.services.outbox import counts_by_state
    from spbe.services.people import require_coordinator
    from spbe.store.db import require_schema
    from spbe.store.tables_reminders import FINAL_STATES, OUTBOX_STATES, OutboxMessage

    if state is not None and state not in OUTBOX_STATES:
        raise InputError(
            _("--state {state!r} is not a state; states: {states}").format(state=state, states=", ".join(OUTBOX_STATES))
        )
    engine = require_schema()
    actor = actor_of(as_)
    with Session(engine) as session:
        cycle = current_cycle(session)
        require_coordinator(session, cycle, actor, doing=_("read the outbox"))
        counts = counts_by_state(session, cycle_id=cycle.id)
        query = select(OutboxMessage).where(OutboxMessage.cycle_id == cycle.id)
        if state:
            query = query.where(OutboxMessage.state == state)
        else:
            query = query.where(col(OutboxMessage.state).notin_([s for s in FINAL_STATES if s != "dead"]))
        rows = session.exec(query.order_by(col(OutboxMessage.id).desc()).limit(limit)).all()
    listed = [
        {
            "id": r.id,
            "key": r.key,
            "state": r.state,
            "kind": r.kind,
            "recipient": r.recipient,
            "phase": r.phase,
            "attempts": r.attempts,
            "not_before": r.not_before,
            "channel": r.channel,
            "sent_at": r.sent_at,
            "last_error": r.last_error,
            "cancel_reason": r.cancel_reason,
        }
        for r in rows
    ]
    if as_json:
        print_json({"cycle": cycle.code, "counts": counts, "messages": listed})
        return
    from spbe.formats import datetime_text, number_text

    typer.echo(
        _("outbox of {cycle}: {counts}").format(
            cycle=cycle.code, counts=", ".join(f"{k} {number_text(v, 0)}" for k, v in counts.items()) or "-"
        )
    )
    if listed:
        zone = cycle.timezone
        body = [
            (
                r["id"],
                r["state"],
                r["kind"],
                r["recipient"],
                r["attempts"],
                datetime_text(r["not_before"], zone),
                (r["last_error"] or r["cancel_reason"] or "")[:60],
            )
            for r in listed
        ]
        header = ["id", _("state"), _("kind"), _("recipient"), _("tries"), _("not before"), _("last error")]
        typer.echo(table(body, header))


def serve(
    every: Annotated[
        int, typer.Option("--every", help="Minutes between reminder sweeps inside sending hours.", min=1, max=60)
    ] = 5,
    limit: Annotated[int | None, typer.Option("--limit", help="Flow runs executed at once by this process.")] = None,
    timekeeper_only: Annotated[
        bool, typer.Option("--timekeeper-only", help="Run only the timekeeper (flows run in-process, no deployments).")
    ] = False,
) -> None:
    """Run the year's engine until SIGTERM or Ctrl-C: a Prefect server (PREFECT_API_URL, else a local one), every
    flow served as a deployment (Run and approval forms in the UI), and the timekeeper (openings, gate checks at
    deadlines, reminders, the daily digest) triggering those deployments with idempotency keys."""
    if not timekeeper_only:
        from spbe.serving import serve_forever

        serve_forever(every_minutes=every, limit=limit, say=lambda text: (typer.echo(text), sys_flush()))
        return
    import signal
    import threading

    from spbe.store.db import require_schema
    from spbe.timekeeper import run_timekeeper

    engine = require_schema()
    stop = threading.Event()

    def _stop(signum, _frame) -> None:
        typer.echo(
            _("{signal}: stopping after running jobs finish").format(signal=signal.Signals(signum).name), err=True
        )
        stop.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)

    def started(keeper) -> None:
        from datetime import datetime

        from spbe.formats import datetime_text

        typer.echo(_("timekeeper started as {holder} (zone {zone}); jobs:").format(holder=keeper.holder, zone=keeper.zone))
        for job in keeper.describe():
            when = datetime_text(datetime.fromisoformat(job["next_run"]), keeper.zone) if job["next_run"] else "-"
            typer.echo(f"  {job['id']:<40} " + _("next {when}").format(when=when))
        sys_flush()

    run_timekeeper(stop, engine=engine, on_start=started, every_minutes=every)
    typer.echo(_("timekeeper stopped"))


def sys_flush() -> None:
    import sys

    sys.stdout.flush()
