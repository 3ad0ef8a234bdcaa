"""Item-by-item intake on the command line (Pemdi): `aim`, `external`, and the `--item` forms of `submit`,
`review`, `thread` and `assign` (those commands call into here). Every door checks the actor against the
roster first, so a stranger is refused by name before anything else is looked at."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from spbe.cli.doors import actor_of, at_the_door
from spbe.cli.output import print_json, warn
from spbe.i18n import _

AsOption = Annotated[
    str | None, typer.Option("--as", help="Act as this roster id (default: SPBE_ACTOR, else the OS user).")
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON.")]


def register(app: typer.Typer) -> None:
    app.command("aim")(aim)
    app.command("external")(external)


def _door(actor: str, doing: str) -> None:
    from spbe.services.people import require_person

    at_the_door(lambda session, cycle: require_person(session, cycle, actor, doing=doing))


def aim(
    indicator: Annotated[str, typer.Option("--indicator", "-i", help="Indicator: 3 or I3.")],
    level: Annotated[str, typer.Option("--level", "-l", help="The level aimed for this year, 1-5.")],
    as_: AsOption = None,
    as_json: JsonOption = False,
) -> None:
    """State the level the lead OPD aims for on an indicator (Pemdi): its main items up to that level are
    what the self-assessment waits for."""
    from spbe.services import items as svc
    from spbe.services.cycles import current_cycle
    from spbe.store.db import require_schema, session_scope

    actor = actor_of(as_)
    _door(actor, _("set the level aimed for on indicator {indicator}").format(indicator=indicator))
    with session_scope(require_schema()) as session:
        result = svc.aim_level(session, cycle=current_cycle(session), actor=actor, indicator=indicator, level=level)
        data = {
            "created": result.created,
            "indicator": f"I{result.row.indicator_number}",
            "opd": result.row.opd_code,
            "level": result.row.level,
        }
    if as_json:
        print_json(data)
        return
    said = (
        _("{indicator} ({opd}): level aimed for {level} set")
        if data["created"]
        else _("{indicator} ({opd}): level aimed for {level} already on record; nothing changed")
    )
    typer.echo(said.format(indicator=data["indicator"], opd=data["opd"], level=data["level"]))


def external(
    indicator: Annotated[str, typer.Option("--indicator", "-i", help="External indicator: 5, I5, 6, 7 or 18.")],
    value: Annotated[str, typer.Option("--value", help="The agency's published value (decimal comma is fine).")],
    date: Annotated[str, typer.Option("--date", help="When the agency published it (YYYY-MM-DD).")],
    note: Annotated[str | None, typer.Option("--note", help="Where the value comes from.")] = None,
    as_: AsOption = None,
    as_json: JsonOption = False,
) -> None:
    """Record another agency's index for an external indicator (a coordinator); the framework maps it to 1-5."""
    from datetime import date as Date
    from fractions import Fraction

    from spbe.formats import date_text
    from spbe.items.provenance import number_text
    from spbe.services import items as svc
    from spbe.services.cycles import current_cycle
    from spbe.store.db import require_schema, session_scope

    actor = actor_of(as_)
    _door(actor, _("record the external value of indicator {indicator}").format(indicator=indicator))
    with session_scope(require_schema()) as session:
        result = svc.record_external(
            session,
            cycle=current_cycle(session),
            actor=actor,
            indicator=indicator,
            source_value=value,
            source_date=date,
            note=note,
        )
        row = result.row
        data = {
            "created": result.created,
            "indicator": f"I{row.indicator_number}",
            "source_index": result.source_index,
            "source_value": number_text(Fraction(row.source_value)),
            "value": number_text(Fraction(row.value)),
            "formula": result.formula,
            "source_date": row.source_date.isoformat() if row.source_date else None,
        }
    if as_json:
        print_json(data)
        return
    shown = number_text(Fraction(data["value"]), comma=True)
    source = number_text(Fraction(data["source_value"]), comma=True)
    said = (
        _("{indicator}: {index} {source} ({date}) → value {value} ({formula}); recorded")
        if data["created"]
        else _("{indicator}: {index} {source} ({date}) → value {value} ({formula}); already on record, nothing changed")
    )
    published = date_text(Date.fromisoformat(data["source_date"]), weekday=False) if data["source_date"] else "-"
    typer.echo(
        said.format(
            indicator=data["indicator"],
            index=data["source_index"],
            source=source,
            date=published,
            value=shown,
            formula=data["formula"],
        )
    )


def submit_item(item: str, evidence: list[str], note: str | None, as_: str | None, as_json: bool) -> None:
    """`spbe submit --item CODE --evidence URL|FILE --note ...`: a file path is stored (by its content) first."""
    from spbe.services import items as svc
    from spbe.services.cycles import current_cycle
    from spbe.services.item_catalog import find_item, require_items_model
    from spbe.store.db import require_schema, session_scope

    actor = actor_of(as_)
    doing = _("answer item {item}").format(item=item)
    _door(actor, doing)
    with session_scope(require_schema()) as session:
        cycle = current_cycle(session)
        found = find_item(require_items_model(cycle, doing=doing), item)
        refs = _evidence_refs(
            session, cycle, evidence, actor=actor, opd=svc.item_owner(session, cycle=cycle, item=found)
        )
        result = svc.submit_item(session, cycle=cycle, actor=actor, code=found.code, evidence=refs, note=note)
        data = {
            "created": result.created,
            "item": found.code,
            "indicator": f"I{found.indicator}",
            "level": found.level,
            "version": result.answer.version,
            "evidence": list(result.answer.evidence or []),
            "late": result.late,
            "answers_revision": result.answers_revision,
        }
    if as_json:
        print_json(data)
        return
    if not data["created"]:
        typer.echo(
            _("item {item}: identical to version {version}; nothing recorded").format(
                item=data["item"], version=data["version"]
            )
        )
        return
    typer.echo(
        _("item {item}: version {version} recorded ({n} piece(s) of evidence)").format(
            item=data["item"], version=data["version"], n=len(data["evidence"])
        )
    )
    if not data["evidence"]:
        warn(_("no evidence: the self-assessment counts this item as incomplete"))
    if data["late"]:
        warn(_("submitted after the deadline: kept and flagged late"))


def _evidence_refs(session, cycle, entries: list[str], *, actor: str, opd: str | None) -> list[str]:
    """Links and file refs as given; an existing local file is stored and replaced by its `file:sha256:` ref."""
    from spbe.errors import InputError
    from spbe.services.evidence_store import add_evidence_file, evidence_root
    from spbe.settings import get_settings

    out: list[str] = []
    for entry in entries:
        path = Path(entry).expanduser()
        if "://" in entry or entry.startswith("file:sha256:") or not path.is_file():
            out.append(entry)
            continue
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise InputError(
                _("evidence: the file {name} cannot be read ({reason})").format(name=path.name, reason=exc.strerror)
            ) from None
        root = evidence_root(get_settings().data_dir)
        row = add_evidence_file(session, cycle=cycle, data=data, name=path.name, opd=opd, actor=actor, root=root)
        out.append(f"file:sha256:{row.sha256}")
    return out


def review_item(
    item: str,
    verdict: str,
    kind: str | None,
    note: str | None,
    stage: str,
    as_: str,
    as_json: bool,
) -> None:
    """`spbe review --item CODE --verdict diterima|revisi [--kind ...] --note ...`."""
    from spbe.services import items as svc
    from spbe.services.cycles import current_cycle
    from spbe.store.db import require_schema, session_scope

    _door(as_, _("judge item {item}").format(item=item))
    with session_scope(require_schema()) as session:
        result = svc.review_item(
            session,
            cycle=current_cycle(session),
            actor=as_,
            code=item,
            verdict=verdict,
            kind=kind,
            note=note,
            stage=stage,
        )
        data = {
            "created": result.created,
            "item": result.item.code,
            "version": result.answer.version,
            "verdict": result.review.verdict,
            "kind": result.review.kind,
            "stage": result.review.stage,
            "reviewer": result.review.reviewer,
            "in_stead_of": result.in_stead_of,
            "auto_rejected": result.auto_rejected,
            "blocking_level": result.blocking_level,
        }
    if as_json:
        print_json(data)
        return
    if not data["created"]:
        typer.echo(
            _("item {item}: the same judgement of version {version} exists; nothing recorded").format(
                item=data["item"], version=data["version"]
            )
        )
        return
    kind_text = f" ({data['kind'].replace('_', ' ')})" if data["kind"] else ""
    typer.echo(
        _("item {item}: version {version} {verdict} by {reviewer}").format(
            item=data["item"], version=data["version"], verdict=f"{data['verdict']}{kind_text}", reviewer=data["reviewer"]
        )
    )
    if data["auto_rejected"]:
        warn(
            _(
                "this item is above level {level}, which is not fully accepted yet: the judgement is kept, but the "
                "item stays rejected automatically until that level is accepted"
            ).format(level=data["blocking_level"])
        )
    if data["in_stead_of"]:
        warn(_("recorded in the stead of the assigned assessor {assessor}").format(assessor=data["in_stead_of"]))


def thread_item(item: str, as_: str | None, as_json: bool) -> None:
    """`spbe thread --item CODE`: every answer and judgement of one evidence item, on the cycle's clock."""
    from sqlmodel import Session

    from spbe.formats import datetime_text
    from spbe.services.cycles import current_cycle
    from spbe.services.item_catalog import find_item, require_items_model
    from spbe.services.item_thread import item_thread, require_item_reader
    from spbe.store.db import require_schema

    actor = actor_of(as_)
    doing = _("read the thread of item {item}").format(item=item)
    _door(actor, doing)
    with Session(require_schema()) as session:
        cycle = current_cycle(session)
        found = find_item(require_items_model(cycle, doing=doing), item)
        require_item_reader(session, cycle, actor, item=found)
        entries = item_thread(session, cycle=cycle, item=found)
        tz = cycle.timezone
    if as_json:
        print_json({"item": found.code, "text": found.text, "entries": [e.as_dict() for e in entries]})
        return
    typer.echo(
        _("{code} (I{indicator} level {level}): {text}").format(
            code=found.code, indicator=found.indicator, level=found.level, text=found.text
        )
    )
    if not entries:
        typer.echo("  " + _("not answered yet"))
        return
    for e in entries:
        when = datetime_text(e.at, tz)
        who = f"{e.speaker} ({e.speaker_name})" if e.speaker_name else e.speaker
        said = _("answers") + (" [" + _("late") + "]" if e.late else "") if e.kind == "submission" else e.verdict
        typer.echo(f"{when}  v{e.version}  {who}: {said}  [{e.source}]")
        for label, text in [(_("evidence"), ref) for ref in e.evidence] + [(_("note"), e.note)]:
            if text:
                typer.echo(f"      {label}: {text}")


def assign_support(indicator: int, opds: list[str], as_: str | None, as_json: bool) -> None:
    """`spbe assign --indicator N --support OPD [--support OPD]` (`--support -` removes them all)."""
    from spbe.services import items as svc
    from spbe.services.cycles import current_cycle
    from spbe.store.db import require_schema, session_scope

    actor = actor_of(as_)
    _door(actor, _("set the supporting OPDs of indicator {indicator}").format(indicator=indicator))
    wanted = [o for o in opds if o.strip() not in ("", "-")]
    with session_scope(require_schema()) as session:
        result = svc.set_supporting(
            session, cycle=current_cycle(session), actor=actor, indicator=indicator, opds=wanted
        )
    if as_json:
        print_json({"indicator": f"I{indicator}", "supporting": result})
        return
    typer.echo(
        _("I{indicator}: supporting OPDs {opds}").format(indicator=indicator, opds=", ".join(result) or _("(none)"))
    )


def assign_item(item: str, opd: str, as_: str | None, as_json: bool) -> None:
    """`spbe assign --item CODE --to OPD`."""
    from spbe.services import items as svc
    from spbe.services.cycles import current_cycle
    from spbe.store.db import require_schema, session_scope

    actor = actor_of(as_)
    _door(actor, _("give item {item}").format(item=item))
    with session_scope(require_schema()) as session:
        result = svc.give_item(session, cycle=current_cycle(session), actor=actor, code=item, opd=opd)
    if as_json:
        print_json({"item": result.code, "opd": result.opd, "changed": result.changed})
        return
    said = (
        _("item {item}: answered by {opd}")
        if result.changed
        else _("item {item}: answered by {opd} (already so; nothing changed)")
    )
    typer.echo(said.format(item=result.code, opd=result.opd))
