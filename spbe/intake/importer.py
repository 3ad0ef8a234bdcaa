"""Importing a filled-in template: all or nothing.

Order of checks: the file's shape (reader), its metadata and signature, every row's values, every row
against the store (indicator exists, belongs to the file's OPD or assessor, appears once), and only then
the writes through the same services the single-entry commands use. Any problem at any step, in any row,
and the caller's transaction is rolled back whole; the error lists every problem with its sheet, row and
column. Rows whose input columns are all empty are skipped (an empty row never withdraws anything).
Importing the same file again is a no-op because identical content is (services.submissions).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlmodel import Session, select

from spbe.errors import InputError, RefusedError, SpbeError
from spbe.i18n import N_, _
from spbe.intake import layout as L
from spbe.intake.reader import RawFile, Row, is_blank, read_file
from spbe.intake.signing import FORMAT, template_secret, verify
from spbe.intake.values import (
    MAX_EXPLANATION,
    MAX_NOTE,
    clean_text,
    parse_evidence,
    parse_level,
    parse_verdict,
    parse_whole,
    shown,
)
from spbe.safe_text import printable
from spbe.services import lookup, submission_store
from spbe.services import submissions as svc
from spbe.store import models as m
from spbe.store.audit import record


@dataclass
class ImportReport:
    file: str
    sha256: str
    kind: str
    cycle: str
    subject: str
    created: list[dict[str, Any]] = field(default_factory=list)  # {"indicator", "version", "late", "row"}
    unchanged: list[int] = field(default_factory=list)
    skipped: int = 0  # rows with every input column empty
    dry_run: bool = False
    warnings: list[str] = field(default_factory=list)  # accepted, but the gate will not count it yet

    @property
    def late(self) -> list[int | str]:
        return [c.get("indicator") or c["item"] for c in self.created if c.get("late")]

    def as_dict(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "sha256": self.sha256,
            "kind": self.kind,
            "cycle": self.cycle,
            "subject": self.subject,
            "dry_run": self.dry_run,
            "created": self.created,
            "unchanged": self.unchanged,
            "skipped_empty_rows": self.skipped,
            "late": self.late,
            "warnings": self.warnings,
        }


@dataclass
class _Parsed:
    row: Row
    indicator: int
    values: dict[str, Any]


def import_file(session: Session, *, path: Path, actor: str, dry_run: bool = False) -> ImportReport:
    """Validate and apply one file inside the caller's transaction.

    A dry run does all the work (so it finds every problem the real import would) and then rolls the
    session's transaction back itself, so a caller that commits afterwards still writes nothing."""
    raw = read_file(path)
    cycle = _check_metadata(session, raw)
    report = ImportReport(raw.name, raw.sha256, raw.kind, cycle.code, raw.meta["subject"], dry_run=dry_run)
    if raw.kind in (L.OPD_ITEMS, L.ASSESSOR_ITEMS):
        return _import_items(session, raw, cycle, report, actor=actor, dry_run=dry_run)
    problems: list[str] = []
    parsed: list[_Parsed] = []
    for row in raw.rows:
        if all(is_blank(row.value(k)) for k in L.INPUTS[raw.kind]):
            report.skipped += 1
            continue
        item = _parse_row(raw.kind, row, problems)
        if item is not None:
            parsed.append(item)
    _check_against_store(session, cycle, raw, parsed, problems)
    if problems:
        raise InputError(problems, source=raw.name)
    if not parsed:
        raise InputError(_("nothing to import: every row's input columns are empty"), source=raw.name)

    report.warnings = _without_evidence(raw.kind, parsed)
    source = f"import:{raw.name}"
    issued_at = _issued_at(raw)
    for item in parsed:
        if _stale_but_untouched(session, cycle, raw, item, issued_at):
            report.unchanged.append(item.indicator)
            continue
        try:
            if raw.kind == L.OPD:
                result = svc.submit(
                    session,
                    cycle=cycle,
                    opd=report.subject,
                    indicator=item.indicator,
                    actor=actor,
                    source=source,
                    **item.values,
                )
                created, version, late = result.created, result.submission.version, result.late
            else:
                rev = svc.review(
                    session,
                    cycle=cycle,
                    indicator=item.indicator,
                    assessor=report.subject,
                    actor=actor,
                    source=source,
                    **item.values,
                )
                created, version, late = rev.created, rev.submission.version, False
        except SpbeError as exc:
            problems.append(f"{item.row.at('indicator')}: {exc}")
            continue
        if created:
            report.created.append(
                {"indicator": item.indicator, "version": version, "late": late, "row": item.row.where}
            )
        else:
            report.unchanged.append(item.indicator)
    if problems:
        raise InputError(problems, source=raw.name)
    if report.created:
        record(
            session,
            cycle_id=cycle.id,
            actor=actor,
            action="import.applied",
            subject=f"{raw.kind}:{report.subject}",
            detail={
                "file": raw.name,
                "sha256": raw.sha256,
                "created": len(report.created),
                "unchanged": len(report.unchanged),
                "late": report.late,
            },
        )
    if dry_run:
        session.rollback()
    return report


def _import_items(
    session: Session, raw: RawFile, cycle: m.Cycle, report: ImportReport, *, actor: str, dry_run: bool
) -> ImportReport:
    """The same all-or-nothing import for the item-by-item templates (Pemdi); see `spbe.intake.item_rows`."""
    from spbe.intake import item_rows

    problems: list[str] = []
    parsed: list[item_rows.ItemRow] = []
    for row in raw.rows:
        if all(is_blank(row.value(k)) for k in L.INPUTS[raw.kind]):
            report.skipped += 1
            continue
        found = item_rows.parse_item_row(raw.kind, row, problems)
        if found is not None:
            parsed.append(found)
    aims = item_rows.check_item_rows(session, cycle, raw.kind, report.subject, parsed, problems)
    if problems:
        raise InputError(problems, source=raw.name)
    if not parsed:
        raise InputError(_("nothing to import: every row's input columns are empty"), source=raw.name)
    created, unchanged = item_rows.apply_item_rows(
        session,
        cycle=cycle,
        kind=raw.kind,
        actor=actor,
        source=f"import:{raw.name}",
        rows=parsed,
        aims=aims,
        problems=problems,
    )
    if problems:
        raise InputError(problems, source=raw.name)
    report.created, report.unchanged = created, unchanged  # type: ignore[assignment]
    if raw.kind == L.OPD_ITEMS:
        report.warnings = [
            _("{where}: item {code} answered without evidence (a file or a link): it counts as missing until "
              "a version with evidence is sent").format(where=r.row.at("evidence"), code=r.code)
            for r in parsed
            if not r.values["evidence"] and r.values["note"] is not None
        ]
    if created:
        record(
            session,
            cycle_id=cycle.id,
            actor=actor,
            action="import.applied",
            subject=f"{raw.kind}:{report.subject}",
            detail={"file": raw.name, "sha256": raw.sha256, "created": len(created), "unchanged": len(unchanged)},
        )
    if dry_run:
        session.rollback()
    return report


def _without_evidence(kind: str, parsed: list[_Parsed]) -> list[str]:
    """A claim with no evidence link is recorded (the OPD may add the link later) but said at once: the
    self-assessment gate counts it as missing evidence."""
    if kind != L.OPD:
        return []
    return [
        _("{where}: indicator {n} claims level {level} without an evidence link: the self-assessment gate counts "
          "it as missing evidence until a version with a link is sent").format(
            where=p.row.at("evidence"), n=p.indicator, level=p.values["level"]
        )
        for p in parsed
        if not p.values.get("evidence") and p.values.get("level") is not None
    ]


def _issued_at(raw: RawFile) -> datetime | None:
    try:
        value = datetime.fromisoformat(raw.meta.get("issued_at", ""))
    except ValueError:
        return None
    return value if value.tzinfo else None


def _stale_but_untouched(
    session: Session, cycle: m.Cycle, raw: RawFile, item: _Parsed, issued_at: datetime | None
) -> bool:
    """A row still showing what the template was prefilled with, while a newer version (or a review of it)
    has been recorded since the file was issued: nothing to do for it, rather than undo the newer one
    (OPD rows) or refuse the whole file (assessor rows)."""
    v = item.values
    latest = submission_store.latest_submission(session, cycle=cycle, indicator=item.indicator)
    if latest is None:
        return False
    if raw.kind == L.ASSESSOR:
        if v["version"] == latest.version:
            return False
        return submission_store.review_recorded(
            session,
            cycle=cycle,
            indicator=item.indicator,
            version=v["version"],
            assessor=raw.meta["subject"],
            verdict=v["verdict"],
            level=v["level"],
            note=v["note"],
        )
    fingerprint = submission_store.submission_fingerprint(opd=raw.meta["subject"], indicator=item.indicator, **v)
    if issued_at is None or fingerprint == latest.fingerprint or latest.submitted_at <= issued_at:
        return False
    return submission_store.unchanged_since(
        session, cycle=cycle, indicator=item.indicator, at=issued_at, fingerprint=fingerprint
    )


def _check_metadata(session: Session, raw: RawFile) -> m.Cycle:
    meta, where = raw.meta, raw.meta_where
    missing = [k for k in ("kind", "cycle", "subject", "signature") if not meta.get(k)]
    if missing:
        raise InputError(
            _("{where}: template metadata is missing {keys}; issue a fresh template").format(
                where=where, keys=", ".join(missing)
            ),
            source=raw.name,
        )
    if meta.get("format", FORMAT) != FORMAT:
        raise InputError(
            _("{where}: template format {found} is not {expected}; issue a fresh template").format(
                where=where, found=repr(meta["format"]), expected=FORMAT
            ),
            source=raw.name,
        )
    secret = template_secret()
    if not verify(
        kind=raw.kind, cycle=meta["cycle"], subject=meta["subject"], signature=meta["signature"], secret=secret
    ):
        message = (
            N_(
                "{file}: {where}: the template signature does not match its cycle and OPD ({cycle}, {subject}): "
                "the file was altered after it was issued, or issued under another SPBE_TEMPLATE_SECRET; issue a "
                "fresh template with `spbe template`"
            )
            if raw.kind in L.OPD_KINDS
            else N_(
                "{file}: {where}: the template signature does not match its cycle and assessor ({cycle}, "
                "{subject}): the file was altered after it was issued, or issued under another "
                "SPBE_TEMPLATE_SECRET; issue a fresh template with `spbe template`"
            )
        )
        raise RefusedError(
            _(message).format(
                file=raw.name,
                where=where,
                cycle=printable(meta["cycle"], limit=60),
                subject=printable(meta["subject"], limit=60),
            )
        )
    cycle = session.exec(select(m.Cycle).where(m.Cycle.code == meta["cycle"])).first()
    if cycle is None:
        raise RefusedError(
            _("{file}: the template is for cycle {cycle}, which is not in this store").format(
                file=raw.name, cycle=printable(meta["cycle"], limit=60)
            )
        )
    return cycle


def _parse_row(kind: str, row: Row, problems: list[str]) -> _Parsed | None:
    before = len(problems)
    indicator = _whole(row, "indicator", problems)
    values: dict[str, Any] = {}
    if kind == L.OPD:
        values["level"] = _value(row, "level", parse_level, problems)
        values["evidence"] = _value(row, "evidence", parse_evidence, problems, hyperlink=True)
        values["explanation"] = _value(row, "explanation", lambda v: clean_text(v, limit=MAX_EXPLANATION), problems)
        values["note"] = _value(row, "note", lambda v: clean_text(v, limit=MAX_NOTE), problems)
    else:
        values["version"] = _version(row, problems)
        verdict = _value(row, "verdict", parse_verdict, problems)
        level = None if is_blank(row.value("level")) else _value(row, "level", parse_level, problems)
        note = _value(row, "note", lambda v: clean_text(v, limit=MAX_NOTE), problems)
        if verdict == "accept" and is_blank(row.value("level")):
            problems.append(
                _("{where}: accepting needs the validated level; pick 1 to 5").format(where=row.at("level"))
            )
        if verdict == "revise" and note is None and is_blank(row.value("note")):
            problems.append(
                _("{where}: a revision request needs a note saying what to fix").format(where=row.at("note"))
            )
        values.update(verdict=verdict, level=level, note=note)
    if len(problems) > before or indicator is None:
        return None
    return _Parsed(row, indicator, values)


def _check_against_store(
    session: Session, cycle: m.Cycle, raw: RawFile, parsed: list[_Parsed], problems: list[str]
) -> None:
    subject = raw.meta["subject"]
    assignments = {
        a.indicator_number: a for a in session.exec(select(m.Assignment).where(m.Assignment.cycle_id == cycle.id))
    }
    if raw.kind == L.OPD:
        lookup.get_opd(session, cycle=cycle, code=subject)
    else:
        lookup.get_person(session, cycle=cycle, key=subject)
    first_row: dict[int, str] = {}
    top = max(assignments, default=0)
    for item in parsed:
        n, where = item.indicator, item.row.at("indicator")
        if n in first_row:
            problems.append(
                _("{where}: indicator {n} appears again (first at {first}); keep one row per indicator").format(
                    where=where, n=n, first=first_row[n]
                )
            )
            continue
        first_row[n] = item.row.where
        a = assignments.get(n)
        if a is None:
            problems.append(
                _("{where}: indicator {n} does not exist in cycle {cycle} (1-{top}); fix the number").format(
                    where=where, n=n, cycle=cycle.code, top=top
                )
            )
        elif raw.kind == L.OPD and a.owner_opd != subject:
            problems.append(
                _(
                    "{where}: indicator {n} is assigned to {owner}, not {subject}; remove the row (this file is for "
                    "{subject} only)"
                ).format(where=where, n=n, owner=a.owner_opd or _("no OPD"), subject=subject)
            )
        elif raw.kind == L.ASSESSOR and a.assessor_key != subject:
            problems.append(
                _(
                    "{where}: indicator {n} is assigned to assessor {owner}, not {subject}; remove the row (this "
                    "file is for {subject} only)"
                ).format(where=where, n=n, owner=a.assessor_key or _("nobody"), subject=subject)
            )


def _value(row: Row, key: str, parse, problems: list[str], *, hyperlink: bool = False):
    cell = row.cells.get(key)
    value = cell.value if cell else None
    try:
        return parse(value)
    except ValueError as exc:
        if hyperlink and cell is not None and cell.hyperlink:
            try:  # a cell showing "SK Tim SPBE" that links to the document: take the link
                return parse(cell.hyperlink)
            except ValueError:
                pass
        where = row.at(key) if cell is not None else _("{where}, column {column}").format(where=row.where, column=key)
        problems.append(f"{where}: {exc}")
        return None


_WHOLE_PROBLEMS = {  # key → (when empty, when not a whole number)
    "indicator": (
        N_("{where}: an indicator number is missing"),
        N_("{where}: {value} is not an indicator number; write it with the digits 0-9"),
    ),
    "version": (
        N_("{where}: a version number is missing"),
        N_("{where}: {value} is not a version number; write it with the digits 0-9"),
    ),
}


def _whole(row: Row, key: str, problems: list[str]) -> int | None:
    empty, wrong = _WHOLE_PROBLEMS[key]
    value = row.value(key)
    if is_blank(value):
        problems.append(_(empty).format(where=row.at(key)))
        return None
    try:
        return parse_whole(value)
    except ValueError:
        problems.append(_(wrong).format(where=row.at(key), value=shown(str(value).strip())))
        return None


def _version(row: Row, problems: list[str]) -> int | None:
    if is_blank(row.value("version")):
        problems.append(
            _(
                "{where}: this indicator has no submission to review in the template; clear the row, or issue a "
                "fresh template once the OPD has submitted"
            ).format(where=row.at("indicator"))
        )
        return None
    return _whole(row, "version", problems)
