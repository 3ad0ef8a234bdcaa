"""Intake commands: template, import, submit, review, thread, links."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from spbe.cli.doors import actor_of, at_the_door
from spbe.cli.output import print_json, table, warn
from spbe.i18n import N_, _

AsOption = Annotated[
    str | None, typer.Option("--as", help="Act as this roster id (default: SPBE_ACTOR, else the OS user).")
]


def register(app: typer.Typer) -> None:
    app.command("template")(template)
    app.command("import")(import_file)
    app.command("submit")(submit)
    app.command("review")(review)
    app.command("thread")(thread)
    app.command("links")(links)


def template(
    out: Annotated[Path, typer.Option("--out", "-o", help="File to write: .xlsx (workbook) or .csv (CSV form).")],
    opd: Annotated[str | None, typer.Option("--opd", help="OPD code: a self-assessment template.")] = None,
    assessor: Annotated[str | None, typer.Option("--assessor", help="Assessor id: a review template.")] = None,
    as_: Annotated[
        str | None, typer.Option("--as", help="Act as this roster id (default: SPBE_ACTOR, else the OS user).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Issue a signed template for an OPD (its indicators) or an assessor (the submissions to review)."""
    from spbe.errors import InputError
    from spbe.intake.templates import issue_template
    from spbe.services.cycles import current_cycle
    from spbe.services.people import require_template_issuer
    from spbe.store.db import require_schema, session_scope

    if (opd is None) == (assessor is None):
        raise InputError(_("give exactly one of --opd CODE or --assessor ID"))
    kind, subject = ("opd", opd) if opd is not None else ("assessor", assessor)
    actor = actor_of(as_)
    with session_scope(require_schema()) as session:
        cycle = current_cycle(session)
        require_template_issuer(session, cycle, actor, kind=kind, subject=subject or "")
        info = issue_template(session, cycle=cycle, kind=kind, subject=subject or "", out=out, actor=actor)
    if as_json:
        print_json(info.as_dict())
        return
    items = info.kind.endswith("-items")
    line = {
        ("opd", False): N_("{path}: OPD template for {subject}, cycle {cycle}, {rows} indicator(s) to fill in"),
        ("opd", True): N_("{path}: OPD template for {subject}, cycle {cycle}, {rows} item(s) to answer"),
        ("assessor", False): N_("{path}: assessor template for {subject}, cycle {cycle}, {rows} indicator(s) to review"),
        ("assessor", True): N_("{path}: assessor template for {subject}, cycle {cycle}, {rows} item(s) to judge"),
    }[(kind, items)]
    typer.echo(_(line).format(path=info.path, subject=info.subject, cycle=info.cycle, rows=info.rows))


# (an OPD's file, a dry run) → the summary line of `spbe import`
_IMPORT_SUMMARY = {
    (True, False): N_(
        "{file}: self-assessment of {subject} ({cycle}): recorded {created} new version(s), {unchanged} unchanged, "
        "{skipped} empty row(s) skipped"
    ),
    (True, True): N_(
        "{file}: self-assessment of {subject} ({cycle}): dry run, nothing written: would record {created} new "
        "version(s), {unchanged} unchanged, {skipped} empty row(s) skipped"
    ),
    (False, False): N_(
        "{file}: reviews of {subject} ({cycle}): recorded {created} new review(s), {unchanged} unchanged, "
        "{skipped} empty row(s) skipped"
    ),
    (False, True): N_(
        "{file}: reviews of {subject} ({cycle}): dry run, nothing written: would record {created} new review(s), "
        "{unchanged} unchanged, {skipped} empty row(s) skipped"
    ),
}


def import_file(
    file: Annotated[Path, typer.Argument(help="A filled-in template: .xlsx, .ods (LibreOffice), or .csv (comma or semicolon, UTF-8).")],
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Check everything and report; write nothing.")] = False,
    as_: Annotated[
        str | None, typer.Option("--as", help="Act as this roster id (default: SPBE_ACTOR, else the OS user).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Import an OPD's self-assessment or an assessor's reviews: all rows or none, every error listed."""
    from spbe.intake.importer import import_file as run_import
    from spbe.services.cycles import current_cycle
    from spbe.services.people import require_person
    from spbe.store.db import require_schema, session_scope

    actor = actor_of(as_)  # each row is then checked as the file's OPD admin or assessor (or a coordinator)
    with session_scope(require_schema()) as session:  # a dry run rolls itself back inside
        require_person(session, current_cycle(session), actor, doing=_("import {file}").format(file=file.name))
        report = run_import(session, path=file, actor=actor, dry_run=dry_run)
    if as_json:
        print_json(report.as_dict())
        return
    summary = _IMPORT_SUMMARY[(report.kind in ("opd", "opd-items"), dry_run)]
    typer.echo(
        _(summary).format(
            file=report.file,
            subject=report.subject,
            cycle=report.cycle,
            created=len(report.created),
            unchanged=len(report.unchanged),
            skipped=report.skipped,
        )
    )
    for item in report.created:
        late = "  " + _("LATE") if item.get("late") else ""
        if "aim" in item:
            line = _("{indicator}: level aimed for {level}").format(indicator=item["indicator"], level=item["aim"])
            typer.echo(f"  - {line}")
        elif "item" in item:
            line = _("item {item}: version {version}").format(item=item["item"], version=item["version"])
            typer.echo(f"  - {line}{late}")
        else:
            line = _("indicator {indicator}: version {version}").format(
                indicator=item["indicator"], version=item["version"]
            )
            typer.echo(f"  - {line}{late}")
    if report.late:
        warn(
            _("late (kept and flagged): indicator(s) {indicators}").format(
                indicators=", ".join(map(str, report.late))
            )
        )
    for line in report.warnings:
        warn(line)


def submit(
    opd: Annotated[str | None, typer.Option("--opd", help="Code of the OPD that owns the indicator.")] = None,
    indicator: Annotated[int | None, typer.Option("--indicator", "-i", help="Indicator number.")] = None,
    level: Annotated[str | None, typer.Option("--level", "-l", help="Claimed capability level, 1-5.")] = None,
    item: Annotated[
        str | None, typer.Option("--item", help="Pemdi: the evidence item's code (e.g. I3-L2-01) to answer.")
    ] = None,
    evidence: Annotated[
        list[str] | None,
        typer.Option(
            "--evidence", "-e", help="Evidence link (http/https), or with --item a file to upload; repeat for several."
        ),
    ] = None,
    explanation: Annotated[str | None, typer.Option("--explanation", help="Why this level (free text).")] = None,
    note: Annotated[str | None, typer.Option("--note", help="A note for the assessor.")] = None,
    as_: Annotated[
        str | None, typer.Option("--as", help="Act as this roster id (default: SPBE_ACTOR, else the OS user).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Record an OPD's claim for one indicator, or (Pemdi, --item) its answer to one evidence item, as a new
    version (an identical one changes nothing)."""
    from spbe.errors import InputError

    if item is not None:
        if indicator is not None or level is not None or explanation is not None:
            raise InputError(
                _("--item answers one evidence item: give --evidence and --note, not --indicator/--level")
            )
        from spbe.cli.cmd_item_intake import submit_item

        submit_item(item, list(evidence or []), note, as_, as_json)
        return
    missing = [name for name, value in (("--opd", opd), ("--indicator", indicator), ("--level", level)) if value is None]
    if missing:
        raise InputError(
            _("missing {options} (or --item CODE for a Pemdi evidence item)").format(options=", ".join(missing))
        )
    assert opd is not None and indicator is not None
    from spbe.services import submissions as svc
    from spbe.services.cycles import current_cycle
    from spbe.store.db import require_schema, session_scope

    with session_scope(require_schema()) as session:
        cycle = current_cycle(session)
        result = svc.submit(
            session,
            cycle=cycle,
            opd=opd,
            indicator=indicator,
            level=level,  # type: ignore[arg-type]
            evidence=list(evidence or []),
            explanation=explanation,
            note=note,
            actor=actor_of(as_),
            source="cli",
        )
        sub = result.submission
        data = {
            "created": result.created,
            "indicator": indicator,
            "version": sub.version,
            "level": sub.level,
            "evidence": list(sub.evidence or []),
            "late": sub.late,
            "answers_revision": result.answers_revision,
        }
    if as_json:
        print_json(data)
        return
    if not result.created:
        typer.echo(
            _("indicator {indicator}: identical to version {version}; nothing recorded").format(
                indicator=indicator, version=data["version"]
            )
        )
        return
    typer.echo(
        _("indicator {indicator}: version {version} recorded (level {level}, {links} evidence link(s))").format(
            indicator=indicator, version=data["version"], level=data["level"], links=len(data["evidence"])
        )
    )
    if not data["evidence"]:
        warn(_("no evidence link: the self-assessment gate counts this indicator as incomplete"))
    if data["late"]:
        warn(_("submitted after the deadline: kept and flagged late"))


def review(
    verdict: Annotated[
        str, typer.Option("--verdict", help="accept (terima) or revise (revisi); for --item: diterima or revisi.")
    ],
    as_: Annotated[str, typer.Option("--as", help="Your roster id: the assigned assessor, or a coordinator.")],
    indicator: Annotated[int | None, typer.Option("--indicator", "-i", help="Indicator number.")] = None,
    item: Annotated[str | None, typer.Option("--item", help="Pemdi: the evidence item's code to judge.")] = None,
    kind: Annotated[
        str | None, typer.Option("--kind", help="With --item revisi: bukti_tidak_tepat or belum_diunggah.")
    ] = None,
    stage: Annotated[
        str, typer.Option("--stage", help="With --item: internal (default) or interviu (the ministry's interview).")
    ] = "internal",
    level: Annotated[
        str | None, typer.Option("--level", "-l", help="Validated level 1-5 (required to accept).")
    ] = None,
    note: Annotated[
        str | None, typer.Option("--note", help="What is good or what to fix (required to revise).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Judge the latest version of an indicator's submission, or (Pemdi, --item) of an item's answer."""
    from spbe.errors import InputError

    if (indicator is None) == (item is None):
        raise InputError(_("give exactly one of --indicator N or --item CODE"))
    if item is not None:
        if level is not None:
            raise InputError(_("--item is judged diterima or revisi (with --kind and --note), not with --level"))
        from spbe.cli.cmd_item_intake import review_item

        review_item(item, verdict, kind, note, stage, as_, as_json)
        return
    assert indicator is not None
    from spbe.services import submissions as svc
    from spbe.services.cycles import current_cycle
    from spbe.services.people import require_person
    from spbe.store.db import require_schema, session_scope

    with session_scope(require_schema()) as session:
        cycle = current_cycle(session)
        require_person(session, cycle, as_, doing=_("review indicator {indicator}").format(indicator=indicator))
        result = svc.review(
            session,
            cycle=cycle,
            indicator=indicator,
            assessor=as_,
            verdict=verdict,
            level=level,
            note=note,
            actor=as_,  # who judges is who enters it (a coordinator may enter in an assessor's stead with --as)
            source="cli",
        )  # type: ignore[arg-type]
        data = {
            "created": result.created,
            "indicator": indicator,
            "version": result.submission.version,
            "verdict": result.review.verdict,
            "level": result.review.level,
            "assessor": result.review.assessor_key,
            "in_stead_of": result.in_stead_of,
        }
    if as_json:
        print_json(data)
        return
    if not result.created:
        typer.echo(
            _("indicator {indicator}: the same review of version {version} exists; nothing recorded").format(
                indicator=indicator, version=data["version"]
            )
        )
        return
    said = (
        _("indicator {indicator}: version {version} {verdict}, level {level}, by {assessor}")
        if data["level"]
        else _("indicator {indicator}: version {version} {verdict} by {assessor}")
    )
    typer.echo(
        said.format(
            indicator=indicator,
            version=data["version"],
            verdict=verdict_text(data["verdict"]),
            level=data["level"],
            assessor=data["assessor"],
        )
    )
    if data["in_stead_of"]:
        warn(_("recorded in the stead of the assigned assessor {assessor}").format(assessor=data["in_stead_of"]))


def thread(
    indicator: Annotated[int | None, typer.Option("--indicator", "-i", help="Indicator number.")] = None,
    item: Annotated[str | None, typer.Option("--item", help="Pemdi: an evidence item's code.")] = None,
    as_: AsOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """The clarification thread of an indicator (or, Pemdi, of one evidence item): every version and review,
    who said what and when (for coordinators, leadership, the owning OPD and the indicator's assessor)."""
    from spbe.errors import InputError

    if (indicator is None) == (item is None):
        raise InputError(_("give exactly one of --indicator N or --item CODE"))
    if item is not None:
        from spbe.cli.cmd_item_intake import thread_item

        thread_item(item, as_, as_json)
        return
    assert indicator is not None
    from sqlmodel import Session

    from spbe.services.cycles import current_cycle
    from spbe.services.lookup import get_indicator
    from spbe.services.people import require_indicator_reader
    from spbe.services.thread import thread as indicator_thread
    from spbe.store.db import require_schema

    actor = actor_of(as_)
    with Session(require_schema()) as session:
        cycle = current_cycle(session)
        get_indicator(session, cycle=cycle, number=indicator)
        require_indicator_reader(session, cycle, actor, indicator=indicator)
        entries = indicator_thread(session, cycle=cycle, indicator=indicator)
        tz = cycle.timezone
    if as_json:
        print_json({"indicator": indicator, "entries": [e.as_dict() for e in entries]})
        return
    if not entries:
        typer.echo(_("indicator {indicator}: nothing submitted yet").format(indicator=indicator))
        return
    for e in entries:
        typer.echo(_thread_head(e, tz))
        said = [(_("explanation"), e.explanation)] if e.kind == "submission" else []
        said += [(_("note"), e.note)] + [(_("evidence"), url) for url in e.evidence]
        for label, text in said:
            if text:
                typer.echo(f"      {label}: {text}")


# a review's verdict as stored → what a person reads (`spbe thread`, `spbe review`)
VERDICT_WORDS = {"accept": N_("accepted"), "revise": N_("to be revised")}


def verdict_text(verdict: str | None) -> str:
    """'diterima', 'perlu perbaikan'; a value this table does not know is shown as stored."""
    return _(VERDICT_WORDS[verdict]) if verdict in VERDICT_WORDS else str(verdict or "-")


def _thread_head(e, tz: str) -> str:
    """The first line of a thread entry: when (the cycle's clock), which version, who, and what they said."""
    from spbe.formats import datetime_text

    who = f"{e.speaker} ({e.speaker_name})" if e.speaker_name else e.speaker
    if e.kind == "submission":
        said = _("claims level {level}").format(level=e.level)
        if e.late:
            said += " [" + _("late") + "]"
    else:
        said = verdict_text(e.verdict)
        if e.level:
            said += " (" + _("level {level}").format(level=e.level) + ")"
    return f"{datetime_text(e.at, tz)}  v{e.version}  {who}: {said}  [{e.source}]"


def links(
    as_: Annotated[
        str | None, typer.Option("--as", help="Act as this roster id (default: SPBE_ACTOR, else the OS user).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Check every evidence link of the latest versions now; record each status and tell OPDs of broken ones
    (a coordinator)."""
    from spbe.linkcheck.service import run_link_check
    from spbe.services.people import require_coordinator

    actor = actor_of(as_)
    at_the_door(lambda session, cycle: require_coordinator(session, cycle, actor, doing=_("check the evidence links")))
    report = run_link_check(actor=actor)
    if as_json:
        print_json(report.as_dict())
    if report.outage:
        from spbe.errors import Unavailable

        raise Unavailable(
            _(
                "this server cannot reach the internet: {outage}. No link status was changed and no OPD was told; "
                "the coordinators were told ({n} message(s)). Run `spbe links` again once the connection is back."
            ).format(outage=report.outage, n=report.notices_queued)
        )
    if as_json:
        return
    from spbe.formats import number_text
    from spbe.linkcheck.policy import status_text

    counts = "; ".join(f"{status_text(k)}: {number_text(v, 0)}" for k, v in sorted(report.counts().items()))
    typer.echo(
        _("{cycle}: {n} evidence link(s) checked: {counts}").format(
            cycle=report.cycle, n=number_text(len(report.results), 0), counts=counts or _("no links yet")
        )
    )
    broken = report.broken()
    if broken:
        rows = [
            (
                link.indicator,
                link.opd or "-",
                status_text(result.status, result.http_status),
                link.url[:70],
                (result.detail or "")[:60],
            )
            for link, result in broken
        ]
        typer.echo(table(rows, [_("indicator"), "OPD", _("status"), _("link"), _("detail")]))
    typer.echo(
        _("notices queued: {n} (OPDs with broken links: {opds})").format(
            n=number_text(report.notices_queued, 0), opds=", ".join(report.notified_opds) or _("none")
        )
    )
