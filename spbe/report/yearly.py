"""The report's year-over-year view: the index per year, and per domain and aspect where published.

Earlier years come from two places: the cycle file's `[history]` (one number a year) and the official
results a coordinator recorded (`spbe history import`), which win where both exist. A year under
another framework (the 59/2020 years in a Pemdi 2026 cycle) is on a different scale: the indicators,
weights and criteria differ, so no change is computed across it and every table and chart that shows
both says so. Pure: no store, no files.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from spbe.frameworks import Framework
from spbe.history import KIND_LABEL, OfficialResult, predicate_shown
from spbe.number_text import decimal_text
from spbe.scoring import Score, report_value

SOURCE_LABEL = {"current": "tahun ini", "official": "hasil resmi tercatat", "config": "riwayat di berkas siklus"}


@dataclass(frozen=True)
class YearPoint:
    year: int
    index: Decimal  # shown, two decimals
    predicate: str
    delta: Decimal | None  # against the year before it in the list, only on the same framework
    current: bool
    framework_id: str | None = None  # None: the framework of that year is not known
    source: str = "config"  # current | official | config
    published: Decimal | None = None  # the value as published, with its decimals
    exact: Fraction | None = None  # the current year's exact index

    @property
    def source_label(self) -> str:
        return SOURCE_LABEL[self.source]

    def as_dict(self) -> dict:
        return {
            "year": self.year,
            "index": str(self.index),
            "index_published": None if self.published is None else str(self.published),
            "index_exact": None if self.exact is None else str(self.exact),
            "predicate": self.predicate,
            "change": None if self.delta is None else str(self.delta),
            "current": self.current,
            "framework": self.framework_id,
            "source": self.source,
        }


@dataclass(frozen=True)
class GroupYearRow:
    name: str
    weight: Decimal
    values: tuple[Decimal | None, ...]  # one per year of the table, shown to two decimals

    @property
    def change(self) -> Decimal | None:
        """The last year against the one before it, where both are known."""
        if len(self.values) < 2 or self.values[-1] is None or self.values[-2] is None:
            return None
        return self.values[-1] - self.values[-2]

    def as_dict(self, years: Sequence[int]) -> dict:
        return {
            "name": self.name,
            "weight": str(self.weight),
            "values": {str(y): None if v is None else str(v) for y, v in zip(years, self.values, strict=True)},
            "change": None if self.change is None else str(self.change),
        }


@dataclass(frozen=True)
class GroupHistory:
    """One year-over-year table: the domains or the aspects of one framework."""

    kind: str  # "domain" | "aspect"
    framework_id: str
    years: tuple[int, ...]
    current_year: int | None  # the last column is this cycle's own value; None for another framework
    rows: tuple[GroupYearRow, ...]
    note: str | None = None  # set when the framework is not the cycle's: different scale

    @property
    def kind_label(self) -> str:
        return KIND_LABEL[self.kind]

    @property
    def comparable(self) -> bool:
        return self.note is None

    def as_dict(self) -> dict:
        return {
            "kind": self.kind,
            "framework": self.framework_id,
            "years": list(self.years),
            "current_year": self.current_year,
            "comparable": self.comparable,
            "note": self.note,
            "rows": [r.as_dict(self.years) for r in self.rows],
        }


@dataclass(frozen=True)
class YearOverYear:
    points: tuple[YearPoint, ...]
    groups: tuple[GroupHistory, ...]
    notes: tuple[str, ...]  # different scales, a cycle-file value that differs from the official one


def framework_for_year(year: int, current: Framework, known: Mapping[str, Framework]) -> Framework | None:
    """The cycle's framework when it governs `year`, else the one known framework that does."""
    if current.covers_year(year):
        return current
    covering = [fw for fw in known.values() if fw.id != current.id and fw.covers_year(year)]
    return covering[0] if len(covering) == 1 else None


def year_over_year(
    *,
    framework: Framework,
    year: int,
    result: Score,
    history: Mapping[int, Decimal],
    official: Sequence[OfficialResult],
    frameworks: Mapping[str, Framework],
) -> YearOverYear:
    known = {**frameworks, framework.id: framework}
    notes: list[str] = []
    records = {r.year: r for r in official if r.year < year}
    past: dict[int, OfficialResult] = {}
    from_config: set[int] = set()
    for y, value in history.items():
        if y >= year:
            continue
        fw = framework_for_year(y, framework, known)
        past[y] = OfficialResult(y, fw.id if fw else "", Decimal(value), source="berkas siklus")
        from_config.add(y)
        if y in records and records[y].index.quantize(Decimal("0.01")) != Decimal(value).quantize(Decimal("0.01")):
            notes.append(
                f"Riwayat {y} di berkas siklus ({decimal_text(Decimal(value))}) berbeda dari hasil resmi tercatat "
                f"({decimal_text(records[y].index)}); yang dipakai hasil resmi."
            )
    past.update(records)
    from_config -= set(records)

    points: list[YearPoint] = []
    previous: YearPoint | None = None
    for y in sorted(past):
        r = past[y]
        fw = known.get(r.framework_id)
        shown = r.index.quantize(Decimal("0.01"))
        point = YearPoint(
            year=y,
            index=shown,
            predicate=predicate_shown(fw, r) if fw else "—",
            delta=_delta(previous, shown, r.framework_id or None),
            current=False,
            framework_id=r.framework_id or None,
            source="config" if y in from_config else "official",
            published=r.index,
        )
        points.append(point)
        previous = point
    current = YearPoint(
        year=year,
        index=result.index,
        predicate=result.predicate,
        delta=_delta(previous, result.index, framework.id),
        current=True,
        framework_id=framework.id,
        source="current",
        exact=result.exact,
    )
    points.append(current)
    notes += _scale_notes(points, framework, known)
    groups = _group_tables(framework, year, result, [r for r in past.values() if r.groups], known)
    return YearOverYear(tuple(points), tuple(groups), tuple(notes))


def _delta(previous: YearPoint | None, shown: Decimal, framework_id: str | None) -> Decimal | None:
    if previous is None or framework_id is None or previous.framework_id != framework_id:
        return None
    return shown - previous.index


def _scale_notes(points: Sequence[YearPoint], framework: Framework, known: Mapping[str, Framework]) -> list[str]:
    """One sentence per other framework (or unknown one) whose years appear beside this cycle's year."""
    current = points[-1]
    others: dict[str | None, list[int]] = {}
    for p in points[:-1]:
        if p.framework_id != framework.id:
            others.setdefault(p.framework_id, []).append(p.year)
    out = []
    for fid, years in others.items():
        listed = ", ".join(str(y) for y in years)
        if fid is None:
            out.append(
                f"Indeks tahun {listed} berasal dari kerangka yang tidak diketahui: skalanya mungkin berbeda dari "
                f"indeks {current.year} ({framework.name}), sehingga perubahannya tidak dihitung."
            )
        else:
            other = known[fid]
            out.append(
                f"Indeks tahun {listed} ({other.name}) dan indeks {current.year} ({framework.name}) berada pada "
                "skala yang berbeda: kerangka, indikator dan bobotnya lain, sehingga keduanya tidak dapat "
                "dibandingkan langsung dan perubahannya tidak dihitung."
            )
    return out


def _group_tables(
    framework: Framework,
    year: int,
    result: Score,
    records: Sequence[OfficialResult],
    known: Mapping[str, Framework],
) -> list[GroupHistory]:
    tables: list[GroupHistory] = []
    own = {"domain": {g.name: g.index for g in result.domains}, "aspect": {g.name: g.index for g in result.aspects}}
    by_fw: dict[str, list[OfficialResult]] = {}
    for r in sorted(records, key=lambda r: r.year):
        by_fw.setdefault(r.framework_id, []).append(r)
    for fid in [framework.id, *sorted(k for k in by_fw if k != framework.id)]:
        fw = known.get(fid)
        recs = by_fw.get(fid, [])
        if fw is None or not recs:
            continue
        for kind in ("domain", "aspect"):
            with_kind = [r for r in recs if r.values(kind)]
            if not with_kind:
                continue
            names = fw.domains() if kind == "domain" else fw.aspects()
            years = [r.year for r in with_kind]
            columns = [{n: report_value(Fraction(v)) for n, v in r.values(kind).items()} for r in with_kind]
            is_own = fid == framework.id
            if is_own:
                years.append(year)
                columns.append(own[kind])
            rows = tuple(GroupYearRow(n, fw.group_weight(kind, n), tuple(col.get(n) for col in columns)) for n in names)
            note = None
            if not is_own:
                note = (
                    f"{KIND_LABEL[kind].capitalize()} tahun {', '.join(map(str, years))} menurut {fw.name}: "
                    f"skala berbeda dari indeks {year} ({framework.name}); tidak dapat dibandingkan langsung."
                )
            tables.append(GroupHistory(kind, fid, tuple(years), year if is_own else None, rows, note))
    return tables


def scale_caveat(
    *, framework: Framework, year: int, history: Mapping[int, Decimal], frameworks: Mapping[str, Framework]
) -> dict | None:
    """The earlier years on another framework's scale, with the sentence every output that shows both
    indices carries (status, plan, report): None when every earlier year is on the cycle's framework.

    Earlier years come from the cycle file's `[history]`; a year whose framework is unknown counts as
    another scale too (nothing says it is comparable)."""
    known = {**frameworks, framework.id: framework}
    others = []
    for y in sorted(history):
        if y >= year:
            continue
        fw = framework_for_year(y, framework, known)
        if fw is None or fw.id != framework.id:
            others.append(
                {"year": y, "index": str(history[y]), "framework": None if fw is None else fw.id,
                 "index_name": f"Indeks {fw.short_name}" if fw else "indeks"}
            )
    if not others:
        return None
    listed = ", ".join(f"{o['index_name']} {o['year']}: {decimal_text(Decimal(o['index']))}" for o in others)
    note = (
        f"{listed}. Indeks {framework.short_name} {year} ({framework.name}) berada pada skala yang berbeda: "
        "kerangka, indikator, bobot dan batas predikatnya lain, sehingga keduanya tidak dapat dibandingkan "
        "langsung."
    )
    return {"earlier": others, "note": note}
