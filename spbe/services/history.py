"""Recording the ministry's published results of earlier years, and reading them back for the report.

`import_results` reads a CSV or JSON file (shapes in `spbe.history`), checks every record against its
framework's weights, and stores all of them or none: a coordinator only, each change in the audit
trail. A year already on record is left alone when the numbers are the same, and replaced only on
request with a reason (the old numbers go into the audit event).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from sqlmodel import Session, select

from spbe import clock
from spbe.csvio import read_rows
from spbe.errors import InputError, RefusedError
from spbe.frameworks import Framework, available_frameworks, load_framework
from spbe.history import (
    Consistency,
    GroupValue,
    HistoryError,
    OfficialResult,
    check,
    drafts_from_json,
    drafts_from_rows,
    resolve,
)
from spbe.i18n import _
from spbe.services.people import require_coordinator
from spbe.store import models as m
from spbe.store.audit import record
from spbe.store.tables_history import OfficialResult as OfficialResultRow

MAX_JSON_BYTES = 5 * 1024 * 1024


@dataclass
class Outcome:
    year: int
    action: str  # recorded | replaced | unchanged
    result: OfficialResult
    checks: list[Consistency] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {
            "year": self.year,
            "action": self.action,
            **self.result.as_dict(),
            "checks": [c.as_dict() for c in self.checks],
        }


def framework_for_year(year: int, *, cycle_framework: Framework) -> Framework | None:
    """The cycle's framework when it governs `year`, else the one shipped framework that does."""
    if cycle_framework.covers_year(year):
        return cycle_framework
    covering = [fw for fw in (load_framework(f) for f in available_frameworks()) if fw.covers_year(year)]
    return covering[0] if len(covering) == 1 else None


def read_results_file(path: Path, *, cycle: m.Cycle, framework_id: str | None = None) -> list[OfficialResult]:
    """Parse and check a results file; every problem in it is named at once (InputError)."""
    from spbe.services.cycles import framework_of

    cycle_fw = framework_of(cycle)
    forced = load_framework(framework_id) if framework_id else None
    suffix = path.suffix.lower()
    try:
        if suffix == ".json":
            try:
                raw = path.read_bytes()
            except OSError as exc:
                raise InputError(f"berkas tidak dapat dibaca: {exc.strerror}", source=str(path)) from None
            if len(raw) > MAX_JSON_BYTES:
                raise InputError(f"berkas {len(raw)} bita; batasnya {MAX_JSON_BYTES}", source=path.name)
            try:
                text = raw.decode("utf-8-sig")
            except UnicodeDecodeError as exc:
                raise InputError(
                    f"bukan teks UTF-8 (bita tidak sah pada posisi {exc.start})", source=path.name
                ) from None
            drafts = drafts_from_json(text)
        elif suffix == ".csv":
            header, rows = read_rows(path)
            drafts = drafts_from_rows(header, rows, path.name)
        else:
            raise InputError("berkas hasil resmi harus .csv atau .json", source=path.name)
        frameworks = {f: load_framework(f) for f in available_frameworks()}
        if forced:
            for d in drafts:
                if d.framework_id and d.framework_id != forced.id:
                    raise HistoryError(
                        [f"{d.year}: berkas menyebut kerangka {d.framework_id}, --framework {forced.id}"]
                    )
                d.framework_id = forced.id
        return resolve(
            drafts,
            frameworks,
            framework_for_year=lambda y: framework_for_year(y, cycle_framework=cycle_fw),
            source=f"{path.name} ({suffix.lstrip('.')})",
        )
    except HistoryError as exc:
        raise InputError(exc.problems, source=path.name) from None


def import_results(
    session: Session,
    *,
    cycle: m.Cycle,
    actor: str,
    path: Path,
    framework_id: str | None = None,
    replace: bool = False,
    reason: str | None = None,
) -> list[Outcome]:
    """Check the whole file, then record every year in it (all or none), in the caller's transaction."""
    require_coordinator(session, cycle, actor, doing=_("record an official result of an earlier year"))
    if replace and not (reason and reason.strip()):
        raise RefusedError("--replace butuh --reason TEKS: penggantian hasil resmi dicatat beserta alasannya")
    results = read_results_file(path, cycle=cycle, framework_id=framework_id)
    problems = []
    for r in results:
        if r.city and _norm(r.city) != _norm(cycle.city):
            problems.append(f"{r.year}: hasil untuk {r.city}, bukan {cycle.city}")
        if r.year >= cycle.year:
            problems.append(f"{r.year}: hanya hasil tahun sebelum {cycle.year} yang dicatat di sini")
    existing = {
        row.year: row
        for row in session.exec(
            select(OfficialResultRow).where(
                OfficialResultRow.city == cycle.city,
                OfficialResultRow.year.in_([r.year for r in results]),  # type: ignore[attr-defined]
            )
        )
    }
    for r in results:
        row = existing.get(r.year)
        if row is not None and not _same(row, r) and not replace:
            problems.append(
                f"{r.year}: sudah tercatat dengan angka lain (indeks {row.index}, {row.source}); "
                "gunakan --replace --reason TEXT untuk menggantinya"
            )
    if problems:
        raise InputError(problems, source=path.name)

    outcomes: list[Outcome] = []
    now = clock.now()
    for r in results:
        checks = check(load_framework(r.framework_id), r)
        row = existing.get(r.year)
        if row is not None and _same(row, r):
            outcomes.append(Outcome(r.year, "unchanged", r, checks))
            continue
        old = _as_result(row).as_dict() if row is not None else None
        fields = {
            "framework_id": r.framework_id,
            "index": str(r.index),
            "predicate": r.predicate,
            "groups": [g.as_dict() for g in r.groups],
            "source": r.source,
            "recorded_at": now,
            "recorded_by": actor,
            "cycle_id": cycle.id,
        }
        if row is None:
            row = OfficialResultRow(city=cycle.city, year=r.year, **fields)
        else:
            for key, value in fields.items():
                setattr(row, key, value)
        session.add(row)
        action = "replaced" if old else "recorded"
        record(
            session,
            cycle_id=cycle.id,
            actor=actor,
            action=f"history.{action}",
            subject=f"history:{cycle.city}:{r.year}",
            reason=reason if old else None,
            detail={
                "result": r.as_dict(),
                "checks": [c.as_dict() for c in checks],
                **({"previous": old} if old else {}),
            },
        )
        outcomes.append(Outcome(r.year, action, r, checks))
    session.flush()
    return outcomes


def official_results(session: Session, *, city: str) -> list[OfficialResult]:
    """The city's recorded results, oldest first."""
    rows = session.exec(
        select(OfficialResultRow).where(OfficialResultRow.city == city).order_by(OfficialResultRow.year)  # type: ignore[arg-type]
    )
    return [_as_result(row) for row in rows]


def _as_result(row: OfficialResultRow) -> OfficialResult:
    return OfficialResult(
        year=row.year,
        framework_id=row.framework_id,
        index=Decimal(row.index),
        predicate=row.predicate,
        groups=tuple(GroupValue(g["kind"], g["name"], Decimal(g["index"])) for g in row.groups or []),
        city=row.city,
        source=row.source,
    )


def _same(row: OfficialResultRow, result: OfficialResult) -> bool:
    stored = _as_result(row)
    return (stored.framework_id, str(stored.index), stored.predicate, stored.groups) == (
        result.framework_id,
        str(result.index),
        result.predicate,
        result.groups,
    )


def _norm(text: str) -> str:
    return " ".join(text.split()).casefold()
