"""Item-by-item intake on the command line (Pemdi): `aim`, `external`, and the `--item` forms of `submit`,
`review`, `thread` and `assign` (those commands call into here). Every door checks the actor against the
roster first, so a stranger is refused by name before anything else is looked at."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from spbe.cli.doors import actor_of, at_the_door
from spbe.cli.output import print_json, warn

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
    _door(actor, f"menetapkan tingkat sasaran indikator {indicator}")
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
    verb = "ditetapkan" if data["created"] else "sudah tercatat; tidak ada perubahan"
    typer.echo(f"{data['indicator']} ({data['opd']}): tingkat sasaran {data['level']} {verb}")


def external(
    indicator: Annotated[str, typer.Option("--indicator", "-i", help="External indicator: 5, I5, 6, 7 or 18.")],
    value: Annotated[str, typer.Option("--value", help="The agency's published value (decimal comma is fine).")],
    date: Annotated[str, typer.Option("--date", help="When the agency published it (YYYY-MM-DD).")],
    note: Annotated[str | None, typer.Option("--note", help="Where the value comes from.")] = None,
    as_: AsOption = None,
    as_json: JsonOption = False,
) -> None:
    """Record another agency's index for an external indicator (a coordinator); the framework maps it to 1-5."""
    from fractions import Fraction

    from spbe.items.provenance import number_text
    from spbe.services import items as svc
    from spbe.services.cycles import current_cycle
    from spbe.store.db import require_schema, session_scope

    actor = actor_of(as_)
    _door(actor, f"mencatat nilai eksternal indikator {indicator}")
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
    head = "tercatat" if data["created"] else "sudah tercatat; tidak ada perubahan"
    typer.echo(
        f"{data['indicator']}: {data['source_index']} {source} ({data['source_date']}) → nilai {shown} "
        f"({data['formula']}); {head}"
    )


def submit_item(item: str, evidence: list[str], note: str | None, as_: str | None, as_json: bool) -> None:
    """`spbe submit --item CODE --evidence URL|FILE --note ...`: a file path is stored (by its content) first."""
    from spbe.services import items as svc
    from spbe.services.cycles import current_cycle
    from spbe.services.item_catalog import find_item, require_items_model
    from spbe.store.db import require_schema, session_scope

    actor = actor_of(as_)
    _door(actor, f"menjawab butir {item}")
    with session_scope(require_schema()) as session:
        cycle = current_cycle(session)
        found = find_item(require_items_model(cycle, doing=f"menjawab butir {item}"), item)
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
        typer.echo(f"butir {data['item']}: sama dengan versi {data['version']}; tidak ada yang dicatat")
        return
    typer.echo(f"butir {data['item']}: versi {data['version']} tercatat ({len(data['evidence'])} bukti)")
    if not data["evidence"]:
        warn("tanpa bukti: penilaian mandiri menghitung butir ini belum lengkap")
    if data["late"]:
        warn("dikirim setelah batas waktu: disimpan dan ditandai terlambat")


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
            raise InputError(f"evidence: berkas {path.name} tidak dapat dibaca ({exc.strerror})") from None
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

    _door(as_, f"menilai butir {item}")
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
        typer.echo(f"butir {data['item']}: penilaian yang sama atas versi {data['version']} sudah ada")
        return
    kind_text = f" ({data['kind'].replace('_', ' ')})" if data["kind"] else ""
    typer.echo(f"butir {data['item']}: versi {data['version']} {data['verdict']}{kind_text} oleh {data['reviewer']}")
    if data["auto_rejected"]:
        warn(
            f"butir ini di atas tingkat {data['blocking_level']} yang belum diterima penuh: penilaiannya disimpan, "
            "tetapi butir tetap ditolak otomatis sampai tingkat itu diterima"
        )
    if data["in_stead_of"]:
        warn(f"dicatat menggantikan asesor yang ditugaskan, {data['in_stead_of']}")


def thread_item(item: str, as_: str | None, as_json: bool) -> None:
    from zoneinfo import ZoneInfo

    from sqlmodel import Session

    from spbe.services.cycles import current_cycle
    from spbe.services.item_catalog import find_item, require_items_model
    from spbe.services.item_thread import item_thread, require_item_reader
    from spbe.store.db import require_schema

    actor = actor_of(as_)
    _door(actor, f"membaca utas butir {item}")
    with Session(require_schema()) as session:
        cycle = current_cycle(session)
        found = find_item(require_items_model(cycle, doing=f"membaca utas butir {item}"), item)
        require_item_reader(session, cycle, actor, item=found)
        entries = item_thread(session, cycle=cycle, item=found)
        tz = ZoneInfo(cycle.timezone)
    if as_json:
        print_json({"item": found.code, "text": found.text, "entries": [e.as_dict() for e in entries]})
        return
    typer.echo(f"{found.code} (I{found.indicator} tingkat {found.level}): {found.text}")
    if not entries:
        typer.echo("  belum dijawab")
        return
    for e in entries:
        when = f"{e.at.astimezone(tz):%Y-%m-%d %H:%M}"
        who = f"{e.speaker} ({e.speaker_name})" if e.speaker_name else e.speaker
        if e.kind == "submission":
            late = " [terlambat]" if e.late else ""
            typer.echo(f"{when}  v{e.version}  {who}: menjawab{late}  [{e.source}]")
            for ref in e.evidence:
                typer.echo(f"      bukti: {ref}")
        else:
            typer.echo(f"{when}  v{e.version}  {who}: {e.verdict}  [{e.source}]")
        if e.note:
            typer.echo(f"      catatan: {e.note}")


def assign_support(indicator: int, opds: list[str], as_: str | None, as_json: bool) -> None:
    """`spbe assign --indicator N --support OPD [--support OPD]` (`--support -` removes them all)."""
    from spbe.services import items as svc
    from spbe.services.cycles import current_cycle
    from spbe.store.db import require_schema, session_scope

    actor = actor_of(as_)
    _door(actor, f"menetapkan OPD pendukung indikator {indicator}")
    wanted = [o for o in opds if o.strip() not in ("", "-")]
    with session_scope(require_schema()) as session:
        result = svc.set_supporting(
            session, cycle=current_cycle(session), actor=actor, indicator=indicator, opds=wanted
        )
    if as_json:
        print_json({"indicator": f"I{indicator}", "supporting": result})
        return
    typer.echo(f"I{indicator}: OPD pendukung {', '.join(result) or '(tidak ada)'}")


def assign_item(item: str, opd: str, as_: str | None, as_json: bool) -> None:
    """`spbe assign --item CODE --to OPD`."""
    from spbe.services import items as svc
    from spbe.services.cycles import current_cycle
    from spbe.store.db import require_schema, session_scope

    actor = actor_of(as_)
    _door(actor, f"memberikan butir {item}")
    with session_scope(require_schema()) as session:
        result = svc.give_item(session, cycle=current_cycle(session), actor=actor, code=item, opd=opd)
    if as_json:
        print_json({"item": result.code, "opd": result.opd, "changed": result.changed})
        return
    tail = "" if result.changed else " (sudah demikian; tidak ada perubahan)"
    typer.echo(f"butir {result.code}: dijawab oleh {result.opd}{tail}")
