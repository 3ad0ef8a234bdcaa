"""Commands of the report feature: plan (what it takes to reach the target), report, calendar."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from spbe.cli.output import print_json, table, unverified_line, warn
from spbe.i18n import _

if TYPE_CHECKING:
    from spbe.domain.snapshot import CycleSnapshot
    from spbe.frameworks import Framework
    from spbe.report.planning import Owner, PlanView


AsOption = Annotated[
    str | None, typer.Option("--as", help="Act as this roster id (default: SPBE_ACTOR, else the OS user).")
]
READERS = ("coordinator", "leadership")  # who may see the store's levels and build the report


def _require_reader(as_: str | None, *, doing: str) -> None:
    from spbe.cli.doors import actor_of, at_the_door
    from spbe.services.people import require_role

    actor = actor_of(as_)
    at_the_door(lambda session, cycle: require_role(session, cycle, actor, roles=READERS, doing=doing))


def register(app: typer.Typer) -> None:
    app.command("plan")(plan_cmd)
    app.command("report")(report_cmd)
    app.command("calendar")(calendar_cmd)


@dataclass
class _Context:
    framework: Framework
    city: str
    year: int
    target_index: Decimal
    target_predicate: str
    owners: dict[int, Owner | None]
    snapshot: CycleSnapshot | None
    source: str
    scale_caveat: dict | None = None  # earlier years on another scale (SPBE beside Pemdi), with the sentence


def plan_cmd(
    target: Annotated[
        str | None,
        typer.Option(
            "--target",
            "-t",
            help="Index to reach, e.g. 4.20. Default: the higher of the cycle's target index and the lower "
            "bound of its target predicate.",
        ),
    ] = None,
    basis: Annotated[
        str | None,
        typer.Option(
            "--basis",
            help="Levels from the store: 'validated' (assessor's level where accepted, else the claim) or "
            "'claimed' (latest submitted level). Default: validated. Ignored with --levels.",
        ),
    ] = None,
    levels: Annotated[
        Path | None, typer.Option("--levels", "-l", help="CSV indicator,level instead of the store's levels.")
    ] = None,
    costs: Annotated[
        Path | None,
        typer.Option("--costs", help="CSV indicator,cost: cost of one level step (default 1: fewest steps)."),
    ] = None,
    caps: Annotated[
        Path | None, typer.Option("--max", help="CSV indicator,max: the highest level reachable per indicator.")
    ] = None,
    as_: AsOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """The cheapest set of level raises that brings the index to the target, per indicator and owner OPD
    (from the store's levels: coordinators and leadership; from a --levels file: anyone)."""
    from spbe.levels_file import read_levels
    from spbe.report.planning import plan_view, read_caps, read_costs
    from spbe.services.levels import Basis, current_levels, parse_basis

    wanted = _parse_target(target) if target is not None else None
    ctx = _plan_context(need_store=levels is None)
    if levels is None:
        _require_reader(as_, doing=_("see the plan from the levels in the store"))
    fw = ctx.framework
    if fw.items is not None and levels is None:
        _plan_items(ctx, wanted, costs, as_json)
        return
    cost_map = read_costs(costs, fw) if costs else None
    cap_map = read_caps(caps, fw) if caps else None
    notes: tuple[str, ...] = ()
    extra: dict[str, object]
    if levels is not None:
        if basis is not None:
            warn(_("--basis is ignored: the levels come from {file}").format(file=levels.name))
        level_map = read_levels(levels, fw)
        extra = {"levels_source": levels.name, "basis": None}
    else:
        assert ctx.snapshot is not None
        view = current_levels(ctx.snapshot, parse_basis(basis) if basis else Basis.VALIDATED)
        level_map = dict(view.levels)
        note = view.note()
        notes = (note,) if note else ()
        extra = {"levels_source": view.source, **view.as_dict()}
    result = plan_view(
        fw,
        level_map,
        target_index=ctx.target_index,
        target_predicate=ctx.target_predicate,
        target=wanted,
        costs=cost_map,
        caps=cap_map,
        owners=ctx.owners,
        notes=notes,
        extra=extra,
    )
    if result.target_warning:
        warn(result.target_warning)
    if not fw.verified:
        warn(unverified_line(fw.id))
    if as_json:
        print_json(result.as_dict() | {"history": ctx.scale_caveat})
        return
    _print_plan(result, ctx, costs is not None)


def _plan_items(ctx: _Context, wanted: Decimal | None, costs: Path | None, as_json: bool) -> None:
    """An items cycle: the cheapest items to get accepted, as a to-do list per OPD (lead or supporting)."""
    from spbe.number_text import amount_text, exact_text
    from spbe.number_text import decimal_text as num
    from spbe.report.item_planning import item_plan, item_plan_dict, read_item_costs

    assert ctx.snapshot is not None
    fw = ctx.framework
    plan, todos, warning = item_plan(
        fw,
        ctx.snapshot,
        target_index=ctx.target_index,
        target_predicate=ctx.target_predicate,
        target=wanted,
        costs=read_item_costs(costs, fw) if costs else None,
    )
    if warning:
        warn(warning)
    if as_json:
        print_json(item_plan_dict(plan, todos) | {"history": ctx.scale_caveat})
        return
    typer.echo(
        _("{city} {year} · {framework} · item statuses from the store").format(
            city=ctx.city, year=ctx.year, framework=fw.label
        )
    )
    typer.echo(
        _("Value rule: {name} (source: {source}; confidence: {confidence})").format(
            name=plan.rule.name, source=plan.rule.source, confidence=plan.rule.confidence
        )
    )
    typer.echo(
        _("Current index: {index} (exactly {exact})").format(
            index=num(plan.index_before), exact=exact_text(plan.index_before)
        )
    )
    typer.echo(_("Target: exact index {target}").format(target=num(plan.target)))
    if ctx.scale_caveat:
        typer.echo(_("Note on the scale: {note}").format(note=ctx.scale_caveat["note"]))
    if plan.fixed_externals:
        typer.echo(
            _("External indicators held fixed: {indicators}").format(
                indicators=", ".join(f"I{n}" for n in plan.fixed_externals)
            )
        )
    if plan.already_met:
        typer.echo(_("Already reached: no item needs to be added."))
        return
    if not plan.reachable:
        typer.echo(
            _("Out of reach: with every item accepted the exact index is {index}.").format(
                index=num(plan.best_reachable)
            )
        )
    header = [_("Item"), _("Ind."), _("Lv."), _("Owner"), _("Now"), _("Evidence"), _("Cost")]
    for todo in todos:
        typer.echo("\n" + _("{opd} {name}: {n} item(s)").format(opd=todo.opd, name=todo.name, n=len(todo.rows)))
        rows = [
            (t.code, f"I{t.item.indicator}", t.item.level, role, t.state.label, _short(t.item.text, 60),
             amount_text(t.cost))
            for t, role in todo.rows
        ]
        typer.echo(table(rows, header))
    typer.echo(
        "\n"
        + _("Index after the plan: {index} (exactly {exact}); {n} item(s), cost {cost}").format(
            index=num(plan.index_after),
            exact=exact_text(plan.index_after),
            n=len(plan.items),
            cost=amount_text(plan.total_cost),
        )
    )


def _print_plan(view: PlanView, ctx: _Context, with_costs: bool) -> None:
    from spbe.number_text import amount_text, exact_text
    from spbe.number_text import decimal_text as num

    p = view.plan
    fw = view.framework
    source = view.extra.get("levels_source")
    basis = view.extra.get("basis")
    head = _("{city} {year} · {framework} · levels from {source}").format(
        city=ctx.city, year=ctx.year, framework=fw.label, source=source
    )
    typer.echo(head + (f" ({basis})" if basis else ""))
    typer.echo(
        _("Current index: {index} (exactly {exact}, {predicate})").format(
            index=num(p.index_before), exact=exact_text(p.exact_before), predicate=p.predicate_before
        )
    )
    typer.echo(
        _("Target: exact index {target} ({predicate})").format(target=num(p.target), predicate=_predicate(view, p.target))
    )
    for note in view.notes:
        typer.echo(_("Note: {note}").format(note=note))
    if ctx.scale_caveat:
        typer.echo(_("Note on the scale: {note}").format(note=ctx.scale_caveat["note"]))
    if p.note_before:
        typer.echo(_("Note: {note}.").format(note=p.note_before))
    typer.echo("")
    if p.already_met:
        typer.echo(
            _("Already reached: exact index {exact} ≥ target {target}. No raise is needed.").format(
                exact=exact_text(p.exact_before), target=num(p.target)
            )
        )
        return
    if not p.reachable:
        typer.echo(
            _(
                "Out of reach: the highest index the level limits allow, {index} (exactly {exact}), is below the "
                "target {target}."
            ).format(index=num(p.best_reachable), exact=exact_text(p.best_reachable_exact), target=num(p.target))
        )
        typer.echo(_("Raising each indicator to its limit gives:") + "\n")
    rows = []
    for r in p.raises:
        owner = view.owner(r)
        rows.append(
            (
                r.number,
                _short(r.name, 48),
                owner.code if owner else "-",
                f"{fw.level_text(r.from_level, indicator=r.number)} → {fw.level_text(r.to_level, indicator=r.number)}",
                f"+{num(r.gain, 4)}",
                amount_text(r.cost),
            )
        )
    header = [_("No."), _("Indicator"), _("Owner OPD"), _("Level"), _("Index gain"), _("Cost")]
    typer.echo(table(rows, header))
    typer.echo("")
    total = (
        _("Total cost: {cost} ({steps} level raise(s), {n} indicator(s))")
        if with_costs
        else _("Total: {steps} level raise(s) on {n} indicator(s)")
    ).format(cost=amount_text(p.total_cost), steps=view.steps, n=len(p.raises))
    typer.echo(
        _("Index after the plan: {index} (exactly {exact})  Predicate: {predicate}  {total}").format(
            index=num(p.index_after), exact=exact_text(p.exact_after), predicate=p.predicate_after, total=total
        )
    )
    if p.note_after:
        typer.echo(_("Note: {note}.").format(note=p.note_after))


def _predicate(view: PlanView, index: Decimal) -> str:
    from fractions import Fraction

    from spbe.scoring import predicate_of

    return predicate_of(view.framework, Fraction(index))


def _short(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _parse_target(text: str) -> Decimal:
    from spbe.errors import SpbeError

    try:
        value = Decimal(text.strip().replace(",", "."))
    except InvalidOperation:
        raise SpbeError(_("--target {text!r} is not a number (e.g. 4.20)").format(text=text)) from None
    if not value.is_finite() or not Decimal(1) <= value <= Decimal(5):
        raise SpbeError(_("--target {text} is outside 1.00-5.00").format(text=text))
    return value.quantize(Decimal("0.01")) if value.as_tuple().exponent >= -2 else value  # type: ignore[operator]


def _plan_context(*, need_store: bool) -> _Context:
    """The cycle to plan for: from the store when it is there, else (with --levels) from the cycle file."""
    from spbe.errors import SpbeError

    try:
        return _store_context()
    except SpbeError:
        if need_store:
            raise
    return _config_context()


def _store_context() -> _Context:
    from sqlmodel import Session

    from spbe.errors import SpbeError
    from spbe.report.planning import Owner
    from spbe.services.cycles import current_cycle, framework_of
    from spbe.services.snapshot import take_snapshot
    from spbe.services.status import cycle_scale_caveat
    from spbe.settings import get_settings
    from spbe.store.db import require_schema

    settings = get_settings()
    if settings.is_sqlite and not Path(settings.database_url.split("///", 1)[-1]).exists():
        raise SpbeError(
            _("the store at {store} does not exist: run `spbe init` or give --levels").format(
                store=settings.database_label
            )
        )
    engine = require_schema()
    with Session(engine) as session:
        cycle = current_cycle(session)
        snapshot = take_snapshot(session, cycle)
    owners = {
        i.number: Owner(i.owner_opd, snapshot.opds[i.owner_opd].name if i.owner_opd in snapshot.opds else "")
        if i.owner_opd
        else None
        for i in snapshot.indicators
    }
    return _Context(
        framework=framework_of(cycle),
        city=cycle.city,
        year=cycle.year,
        target_index=Decimal(cycle.target_index),
        target_predicate=cycle.target_predicate,
        owners=owners,
        snapshot=snapshot,
        source=_("store {store}, cycle {cycle}").format(store=settings.database_label, cycle=cycle.code),
        scale_caveat=cycle_scale_caveat(cycle, framework_of(cycle)),
    )


def _config_context() -> _Context:
    from spbe.frameworks import available_frameworks, load_framework
    from spbe.report.planning import Owner
    from spbe.report.yearly import scale_caveat
    from spbe.services.cycles import load_config_files
    from spbe.settings import get_settings

    path = get_settings().cycle_file
    config, roster = load_config_files(path)
    names = {o.code: o.name for o in roster.opds}
    return _Context(
        framework=config.framework(),
        city=config.city,
        year=config.year,
        target_index=config.target_index,
        target_predicate=config.target_predicate,
        owners={n: Owner(c, names.get(c, "")) for n, c in roster.owners.items()},
        snapshot=None,
        source=str(path),
        scale_caveat=scale_caveat(
            framework=config.framework(),
            year=config.year,
            history=config.history,
            frameworks={f: load_framework(f) for f in available_frameworks()},
        ),
    )


def report_cmd(
    build: Annotated[
        int | None, typer.Argument(help="With --send: the build to send (its number, #N); default: the newest.")
    ] = None,
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Folder to write the report files into.")] = None,
    send: Annotated[
        bool,
        typer.Option(
            "--send",
            help="Send a build to leadership (it becomes the report of record the final-report gate asks "
            "about); with --out, the one just built.",
        ),
    ] = False,
    year: Annotated[int | None, typer.Option("--year", "-y", help="Cycle year (default: the current cycle).")] = None,
    basis: Annotated[
        str | None,
        typer.Option(
            "--basis", help="'validated' or 'claimed'; default: the cycle's \\[report] basis, else validated."
        ),
    ] = None,
    as_: AsOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON summary of what was written.")] = False,
) -> None:
    """Build the final report (HTML, Markdown, XLSX, JSON and charts) from the store and record it
    (coordinators and leadership); `--send [BUILD]` sends a build to leadership (coordinators). Building
    does not send: the report of record stays the one sent."""
    from spbe.cli.doors import actor_of
    from spbe.errors import InputError
    from spbe.services.levels import parse_basis
    from spbe.services.people import require_coordinator, require_role
    from spbe.services.report import build_report, cycle_for_year
    from spbe.services.report_delivery import choose_build, result_of, send_report
    from spbe.store.db import require_schema, session_scope

    if out is None and not send:
        raise InputError(_("spbe report: give --out FOLDER (build the report) or --send [BUILD] (send it)"))
    if out is not None and build is not None:
        raise InputError(
            _("spbe report: BUILD is used only without --out (--out --send sends the report just built)")
        )
    actor = actor_of(as_)
    engine = require_schema()
    queued = None
    with session_scope(engine) as session:
        cycle = cycle_for_year(session, year)
        if send:
            require_coordinator(session, cycle, actor, doing=_("send the report to leadership"))
        else:
            require_role(session, cycle, actor, roles=READERS, doing=_("build the report"))
        if out is not None:
            result = build_report(
                session, cycle=cycle, out_dir=out, basis=parse_basis(basis) if basis else None, actor=actor
            )
        else:
            result = result_of(session, cycle, choose_build(session, cycle, build))
        if send:
            queued = send_report(session, cycle=cycle, result=result, actor=actor)
    from spbe.number_text import decimal_text as num
    from spbe.number_text import exact_text

    data = result.data
    if out is not None:
        for note in [*data.notes, *data.history_notes]:
            warn(note)
    if as_json:
        print_json(result.summary() | ({"sent": True, "queued": queued} if send else {"sent": False}))
        return
    typer.echo(_("Report {city} {year} (#{build})").format(city=data.city, year=data.year, build=result.report_id))
    typer.echo(
        _("{index_name}: {index} (exactly {exact})  Predicate: {predicate}  (basis {basis})").format(
            index_name=data.index_name,
            index=num(data.index),
            exact=exact_text(data.exact),
            predicate=data.predicate,
            basis=data.basis_label,
        )
    )
    if data.index_note:
        typer.echo(_("Note: {note}.").format(note=data.index_note))
    reached = _("reached") if data.target_met else _("short by {gap}").format(gap=num(data.gap))
    typer.echo(
        _("Target: {target} ({predicate}): {reached}").format(
            target=num(data.plan_target), predicate=data.target_predicate, reached=reached
        )
    )
    if out is not None:
        for fmt, path in result.files.items():
            typer.echo(f"  {fmt:<6} {path}")
    if send:
        typer.echo(
            _(
                "Report #{build} sent to leadership: {n} new message(s) queued (sent by the timekeeper in the next "
                "sending hours, or `spbe remind`); this report is now the report of record."
            ).format(build=result.report_id, n=queued)
        )
    else:
        typer.echo(
            _("Not sent to leadership yet: `spbe report --send {build}` sends it.").format(build=result.report_id)
        )


def calendar_cmd(
    out: Annotated[Path, typer.Option("--out", "-o", help="The .ics file to write.")],
    config: Annotated[
        Path | None,
        typer.Option("--config", "-c", help="Cycle file; default: the stored cycle, else config/pekalongan-2025.toml."),
    ] = None,
) -> None:
    """Every phase and deadline as iCalendar events with alarms, to import into a calendar app."""
    from spbe.ics import export_calendar

    result = export_calendar(out, config)
    typer.echo(
        _("{events} event(s) ({phases} phase(s), {deadlines} deadline(s)) → {out}").format(
            events=result.events, phases=result.phases, deadlines=result.deadlines, out=out
        )
    )
    typer.echo(_("(source: {source})").format(source=result.source))
