"""Phase and roster commands: phase open/check/close/reject, assign, attend, people, status, audit.

Commands that change state run their Prefect flow and print its run id (and UI link with a server).
Each checks the actor's role (and every rule it can judge up front) before it starts the run: a refused
command starts no flow run at all.
"""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from spbe.cli.doors import actor_of, at_the_door
from spbe.cli.output import flow_run_line, print_json, table, warn
from spbe.i18n import _

phase_app = typer.Typer(help="Open, check and close the six phases.", no_args_is_help=True)

AsOption = Annotated[
    str | None, typer.Option("--as", help="Act as this roster id (default: SPBE_ACTOR, else the OS user).")
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON.")]
PhaseArg = Annotated[
    str,
    typer.Argument(
        help="locus, socialization, self-assessment, document-review, revision or final-report; the ministry's "
        "stages ministry-upload, ministry-interview, ministry-visit, ministry-result where the cycle file has them."
    ),
]


def register(app: typer.Typer) -> None:
    app.add_typer(phase_app, name="phase")
    app.command("assign")(assign)
    app.command("attend")(attend)
    app.command("people")(people)
    app.command("status")(status)
    app.command("audit")(audit)


def _actor(as_: str | None) -> str:
    return actor_of(as_)


def _run(action: str, phase: str, as_json: bool, **params) -> dict:
    from spbe import clock
    from spbe.domain.phases import ALL_PHASES
    from spbe.errors import SpbeError
    from spbe.services.phases import refusal_before_run

    if phase not in ALL_PHASES:
        raise SpbeError(
            _("unknown phase {phase!r}; phases are: {phases}").format(phase=phase, phases=", ".join(ALL_PHASES))
        )
    at_the_door(
        lambda session, cycle: refusal_before_run(
            session, cycle=cycle, action=action, name=phase, now=clock.now(), **params
        )
    )
    from spbe.flow_client import run_flow_command

    result = run_flow_command(f"phase:{action}:{phase}", params, warn=None if as_json else warn)
    _print_result(result, as_json)
    return result


def _print_result(result: dict, as_json: bool) -> None:
    if as_json:
        print_json(result)
        return
    typer.echo(result.get("message", ""))
    gate = result.get("gate")
    if gate:
        from fractions import Fraction

        from spbe.formats import percent_text

        said = _("gate: met ({done}/{total}, {percent})") if gate["met"] else _("gate: NOT met ({done}/{total}, {percent})")
        share = Fraction(gate["done"], gate["total"]) if gate["total"] else Fraction(1)
        typer.echo(said.format(done=gate["done"], total=gate["total"], percent=percent_text(share)))
        if gate["met"] and gate["outstanding"]:  # met because the deadline passed: the rest is listed once
            typer.echo("  " + _("still outstanding after the deadline ({n}):").format(n=len(gate["outstanding"])))
        for o in gate["outstanding"][:50]:
            typer.echo(f"  - {o['text']}")
        if len(gate["outstanding"]) > 50:
            more = _("… and {n} more (use --json for all)").format(n=len(gate["outstanding"]) - 50)
            typer.echo(f"  {more}")
        from spbe.services.phases import unlisted_notes

        notes = unlisted_notes(gate)  # not the 'after the deadline' copies of the list above
        for n in notes[:50]:
            typer.echo("  " + _("note: {note}").format(note=n))
        if len(notes) > 50:
            typer.echo("  " + _("… and {n} more (use --json for all)").format(n=len(notes) - 50))
    typer.echo(flow_run_line(result))


@phase_app.command("open")
def phase_open(
    name: PhaseArg,
    as_: AsOption = None,
    early: Annotated[
        bool, typer.Option("--early", help="Open before the configured opening (needs --reason).")
    ] = False,
    reason: Annotated[str | None, typer.Option("--reason", help="Why (kept in the audit trail).")] = None,
    as_json: JsonOption = False,
) -> None:
    """Open a phase and send its opening notices (a no-op if it is already open)."""
    _run("open", name, as_json, actor=_actor(as_), early=early, reason=reason)


@phase_app.command("check")
def phase_check(name: PhaseArg, as_: AsOption = None, as_json: JsonOption = False) -> None:
    """Evaluate a phase's gate now (at the deadline it closes an auto phase or asks for approval)."""
    _run("check", name, as_json, actor=_actor(as_), ask_approval=False)


@phase_app.command("close")
def phase_close(
    name: PhaseArg,
    as_: AsOption = None,
    force: Annotated[
        bool, typer.Option("--force", help="Close although the gate is not met (needs --reason).")
    ] = False,
    reason: Annotated[str | None, typer.Option("--reason", help="Why (kept with the unmet conditions).")] = None,
    as_json: JsonOption = False,
) -> None:
    """Close (approve) a phase. An unmet gate exits 2 with the list, unless --force --reason TEXT."""
    _run("close", name, as_json, actor=_actor(as_), force=force, reason=reason)


@phase_app.command("reject")
def phase_reject(
    name: PhaseArg,
    note: Annotated[str, typer.Option("--note", help="What must happen before the phase may close.")],
    as_: AsOption = None,
    as_json: JsonOption = False,
) -> None:
    """Reject a phase that awaits approval: it stays open."""
    _run("reject", name, as_json, actor=_actor(as_), note=note)


def assign(
    auto: Annotated[
        bool, typer.Option("--auto", help="Assign assessors automatically, balanced, no conflicts of interest.")
    ] = False,
    indicator: Annotated[int | None, typer.Option("--indicator", help="Indicator number to assign by hand.")] = None,
    owner: Annotated[str | None, typer.Option("--owner", help="Owner OPD code.")] = None,
    assessor: Annotated[str | None, typer.Option("--assessor", help="Assessor roster id.")] = None,
    approve: Annotated[bool, typer.Option("--approve", help="Approve the whole assignment (the decree).")] = False,
    reason: Annotated[
        str | None, typer.Option("--reason", help="Why (required to amend the decree once locus is closed).")
    ] = None,
    support: Annotated[
        list[str] | None,
        typer.Option("--support", help="Pemdi, with --indicator: a supporting OPD (repeat; '-' for none)."),
    ] = None,
    item: Annotated[str | None, typer.Option("--item", help="Pemdi: give this evidence item (with --to).")] = None,
    to: Annotated[str | None, typer.Option("--to", help="With --item: the OPD that answers it.")] = None,
    as_: AsOption = None,
    as_json: JsonOption = False,
) -> None:
    """Show or change who owns and who assesses each indicator; without options, show it. Pemdi: supporting
    OPDs of an indicator (--indicator N --support OPD) and an item given to one (--item CODE --to OPD)."""
    from spbe.errors import SpbeError

    if item is not None or to is not None:
        if item is None or to is None or auto or approve or indicator is not None or support:
            raise SpbeError(_("use --item CODE --to OPD on its own"))
        from spbe.cli.cmd_item_intake import assign_item

        assign_item(item, to, as_, as_json)
        return
    if support:
        if indicator is None or owner or assessor or auto or approve:
            raise SpbeError(_("--support goes with --indicator N only"))
        from spbe.cli.cmd_item_intake import assign_support

        assign_support(indicator, list(support), as_, as_json)
        return

    chosen = sum([auto, indicator is not None, approve])
    if chosen > 1:
        raise SpbeError(_("use one of --auto, --indicator N (with --owner/--assessor) or --approve"))
    if indicator is not None and not (owner or assessor):
        raise SpbeError(_("--indicator needs --owner CODE and/or --assessor ID"))
    actor = _actor(as_)
    if chosen == 0:
        _show_assignments(actor, as_json)
        return
    from spbe.services.people import require_coordinator

    doing = _("approve the assignment") if approve else _("assign assessors") if auto else _("change the assignment")
    at_the_door(lambda session, cycle: require_coordinator(session, cycle, actor, doing=doing))
    from spbe.flow_client import run_flow_command

    params = {
        "actor": actor,
        "auto": auto,
        "indicator": indicator,
        "owner": owner,
        "assessor": assessor,
        "approve": approve,
        "reason": reason,
    }
    result = run_flow_command("assign", params, warn=None if as_json else warn)
    if as_json:
        print_json(result)
        return
    typer.echo(result["message"])
    if result.get("loads"):
        typer.echo(_("load per assessor: ") + ", ".join(f"{k}={v}" for k, v in sorted(result["loads"].items())))
    typer.echo(flow_run_line(result))


def _show_assignments(actor: str, as_json: bool) -> None:
    from spbe.services.people import require_person
    from spbe.services.snapshot import take_snapshot

    at_the_door(lambda session, cycle: require_person(session, cycle, actor, doing=_("see the assessors' assignment")))
    snap = _snapshot(take_snapshot)
    rows = [
        {"indicator": i.number, "name": i.name, "owner": i.owner_opd, "assessor": i.assessor} for i in snap.indicators
    ]
    if as_json:
        print_json({"approved": snap.assignments_approved, "assignments": rows})
        return
    typer.echo(
        table(
            [(r["indicator"], r["owner"] or "-", r["assessor"] or "-", r["name"][:60]) for r in rows],
            [_("No."), _("owner"), _("assessor"), _("indicator")],
        )
    )
    typer.echo(_("approved (decree): yes") if snap.assignments_approved else _("approved (decree): no"))


def _snapshot(take):
    from spbe.services.cycles import current_cycle
    from spbe.store.db import require_schema, session_scope

    with session_scope(require_schema()) as session:
        return take(session, current_cycle(session))


def attend(
    opd: Annotated[
        list[str],
        typer.Option("--opd", help="OPD code whose admin attended and acknowledged (repeat for an attendance sheet)."),
    ],
    waive: Annotated[
        bool, typer.Option("--waive", help="Waive the attendance (coordinator only, needs --reason).")
    ] = False,
    reason: Annotated[str | None, typer.Option("--reason", help="Why it is waived.")] = None,
    as_: AsOption = None,
    as_json: JsonOption = False,
) -> None:
    """Record that OPD SPBE admins attended the socialization and acknowledged it (all or none)."""
    from spbe.services.attendance import may_record

    actor = _actor(as_)

    def check(session, cycle) -> None:
        for code in opd:
            may_record(session, cycle=cycle, opd=code, actor=actor, waive=waive, reason=reason)

    at_the_door(check)
    from spbe.flow_client import run_flow_command

    params = {"actor": actor, "opds": opd, "waive": waive, "reason": reason}
    result = run_flow_command("attend", params, warn=None if as_json else warn)
    if as_json:
        print_json(result)
        return
    typer.echo(result["message"])
    typer.echo(flow_run_line(result))


def people(
    role: Annotated[
        str | None, typer.Option("--role", help="coordinator, assessor, admin, head or leadership.")
    ] = None,
    as_: AsOption = None,
    as_json: JsonOption = False,
) -> None:
    """List the people of the cycle and their roles (for anyone in the roster)."""
    from spbe.errors import SpbeError
    from spbe.roster import ROLES
    from spbe.services.people import list_people, require_person

    if role and role not in ROLES:
        raise SpbeError(_("unknown role {role!r}; roles are: {roles}").format(role=role, roles=", ".join(ROLES)))
    actor = _actor(as_)

    def read(session, cycle) -> list[dict]:
        require_person(session, cycle, actor, doing=_("see the list of people"))
        return [
            {"id": p.key, "name": p.name, "role": p.role, "opd": p.opd_code} for p in list_people(session, cycle, role)
        ]

    rows = at_the_door(read)
    if as_json:
        print_json(rows)
        return
    from spbe.services.people import role_text

    typer.echo(
        table(
            [(r["id"], role_text(r["role"]), r["opd"] or "-", r["name"]) for r in rows],
            ["id", _("role"), "OPD", _("name")],
        )
    )


def status(as_: AsOption = None, as_json: JsonOption = False) -> None:
    """Where the cycle stands: each phase's state and dates, and progress of the open phase(s) (for anyone in
    the roster)."""
    from spbe.services.people import require_person
    from spbe.services.status import cycle_status

    actor = _actor(as_)
    at_the_door(lambda session, cycle: require_person(session, cycle, actor, doing=_("see the status of the cycle")))
    data = cycle_status()
    if as_json:
        print_json(data)
        return
    from datetime import datetime
    from fractions import Fraction

    from spbe.cli.output import waiting_line
    from spbe.domain.phases import state_text
    from spbe.formats import datetime_text, number_text
    from spbe.number_text import decimal_text, exact_text

    tz = data["timezone"]

    def local(iso: str) -> str:
        return datetime_text(datetime.fromisoformat(iso), tz)

    typer.echo(
        _("{city} {year} ({framework}); now {now}").format(
            city=data["city"], year=data["year"], framework=data["framework_name"], now=local(data["now"])
        )
    )
    standing = data["index"]
    basis = _("items accepted") if "items" in standing else _("validated, the rest claimed or level 1")
    exact = Fraction(standing["index_exact"])
    typer.echo(
        _("Current index ({basis}): {index} (exactly {exact})  Predicate: {predicate}").format(
            basis=basis, index=decimal_text(exact), exact=exact_text(exact), predicate=standing["predicate"]
        )
    )
    if standing["bound_note"]:
        typer.echo(_("Note: {note}.").format(note=standing["bound_note"]))
    if "items" in standing:
        c = {k: number_text(v, 0) if isinstance(v, int) else v for k, v in standing["items"].items()}
        typer.echo(
            _(
                "Items: {total} (accepted {diterima}, to revise {revisi}, in progress {proses}, not yet {belum}, "
                "rejected automatically {ditolak_otomatis}); required up to the levels aimed for: {required_now}; "
                "level aimed for set on {aimed_indicators} indicator(s)"
            ).format(**c)
        )
        if standing["waiting_externals"]:
            line = waiting_line(standing["waiting_externals"])
            typer.echo(line[:1].upper() + line[1:])  # a line of its own, not a warning
    if data.get("history"):
        typer.echo(_("Note on the scale: {note}").format(note=data["history"]["note"]))
    typer.echo(
        table(
            [(p["name"], state_text(p["state"]), local(p["opens"]), local(p["deadline"])) for p in data["phases"]],
            [_("phase"), _("state"), _("opens"), _("deadline")],
        )
    )
    for name, prog in data["progress"].items():
        from spbe.formats import percent_text

        said = _("{name}: {done}/{total} ({percent}), gate met") if prog["met"] else _(
            "{name}: {done}/{total} ({percent}), gate not met, {n} outstanding"
        )
        share = Fraction(prog["done"], prog["total"]) if prog["total"] else Fraction(1)
        typer.echo(
            "\n"
            + said.format(
                name=name, done=prog["done"], total=prog["total"], percent=percent_text(share), n=prog["outstanding"]
            )
        )
        for opd, done, total in prog["per_opd"][:60]:
            typer.echo(f"  {opd:<16} {done}/{total}")


def audit(
    limit: Annotated[int, typer.Option("--limit", help="Newest N events.")] = 50,
    action: Annotated[str | None, typer.Option("--action", help="Only actions starting with this, e.g. phase.")] = None,
    as_: AsOption = None,
    as_json: JsonOption = False,
) -> None:
    """The audit trail: who did what, when and why (coordinators and leadership)."""
    from sqlmodel import col, select

    from spbe.services.cycles import current_cycle
    from spbe.services.people import require_role
    from spbe.store import models as m
    from spbe.store.db import require_schema, session_scope

    actor = _actor(as_)
    with session_scope(require_schema()) as session:
        cycle = current_cycle(session)
        zone = cycle.timezone
        require_role(session, cycle, actor, roles=("coordinator", "leadership"), doing=_("read the audit trail"))
        query = select(m.AuditEvent).where(m.AuditEvent.cycle_id == cycle.id)
        if action:
            query = query.where(col(m.AuditEvent.action).startswith(action))
        events = list(session.exec(query.order_by(col(m.AuditEvent.id).desc()).limit(limit)))[::-1]
        rows = [
            {
                "id": e.id,
                "time": e.at.isoformat(),
                "actor": e.actor,
                "action": e.action,
                "subject": e.subject,
                "reason": e.reason,
                "detail": e.detail,
                "flow_run_id": e.flow_run_id,
            }
            for e in events
        ]
    if as_json:
        print_json(rows)
        return
    from spbe.formats import datetime_text

    typer.echo(
        table(
            [
                (datetime_text(e.at, zone), r["actor"], r["action"], r["subject"] or "", r["reason"] or "")
                for e, r in zip(events, rows, strict=True)
            ],
            [_("time"), _("actor"), _("action"), _("subject"), _("reason")],
        )
    )
    if not rows:
        sys.stderr.write(_("no audit events yet") + "\n")
