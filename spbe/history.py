"""Official results of earlier years: reading them, and checking them against the framework's weights.

A coordinator records what the ministry published for a past year: the index and, where published,
the domain or aspect indices. Before anything is stored the numbers must fit together: the index is
the weighted mean of the aspect (or domain) indices, so a set that cannot produce the stated index is
refused with the difference.

Published values are rounded. Each value is taken as rounded half-up at the decimals it is written
with, and at least two (the ministry publishes two; "5" or "4,3" only drop trailing zeros, and the
ministry's own records carry ten: "4.2125000000"). A value written with d decimals stands for any exact
value in [v - ½·10^-d, v + ½·10^-d) (half-up). The computed index therefore must differ from the stated
one by less than
    ½·10^-d(index) + Σ (weight_g / Σ weight) · ½·10^-d(g),
exactly the rounding the inputs allow, and no more (at that sum the two ranges only touch). Pure: no
I/O beyond parsing text given to it.

Two input shapes (README "Hasil resmi tahun sebelumnya"):
- CSV (comma or semicolon): `year,kind,name,index` with optional `predicate` and `framework`
  columns; `kind` is index, domain or aspect (indeks, aspek also read); `name` is the framework's
  name of the domain or aspect, or its position (1, 2, ...).
- JSON, modelled on the ministry's result record: one object, a list of them, or {"hasil": [...]}:
  {"tahun": 2024, "kerangka": "permenpanrb-59-2020", "instansi": "Kota Pekalongan",
   "indeks": "4.2125000000", "predikat": "Memuaskan",
   "aspek": [{"nama": "...", "indeks": "5.0000000000"}, ...], "domain": [...]}
  Values may be JSON numbers or strings ("4,2125" too); numbers are read as decimals, never floats.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from typing import Any

from spbe.frameworks import Framework
from spbe.number_text import decimal_text, exact_text
from spbe.scoring import predicate_of

KINDS = ("domain", "aspect")
KIND_LABEL = {"domain": "domain", "aspect": "aspek", "index": "indeks"}
_KIND_ALIASES = {"index": "index", "indeks": "index", "domain": "domain", "aspect": "aspect", "aspek": "aspect"}
MIN_PLACES = 2  # published values are rounded to at least two decimals


@dataclass(frozen=True)
class GroupValue:
    kind: str  # "domain" | "aspect"
    name: str  # as the framework names it
    value: Decimal  # as published

    def as_dict(self) -> dict:
        return {"kind": self.kind, "name": self.name, "index": str(self.value)}


@dataclass(frozen=True)
class OfficialResult:
    """One year's published result, with group names already matched to the framework."""

    year: int
    framework_id: str
    index: Decimal  # as published, with its decimals (4.2125000000 keeps ten)
    predicate: str | None = None  # as published; None when the source gives none
    groups: tuple[GroupValue, ...] = ()
    city: str | None = None
    source: str = ""

    def values(self, kind: str) -> dict[str, Decimal]:
        return {g.name: g.value for g in self.groups if g.kind == kind}

    def as_dict(self) -> dict:
        return {
            "year": self.year,
            "framework": self.framework_id,
            "city": self.city,
            "index": str(self.index),
            "predicate": self.predicate,
            "groups": [g.as_dict() for g in self.groups],
            "source": self.source,
        }


@dataclass(frozen=True)
class Consistency:
    """How far one set of group indices is from the value it must produce, against the rounding allowed."""

    what: str  # "indeks dari 8 aspek", "domain Tata Kelola SPBE dari 3 aspek"
    computed: Fraction  # the weighted mean of the published group values
    published: Decimal
    tolerance: Fraction
    published_places: int
    group_places: tuple[int, ...]

    @property
    def difference(self) -> Fraction:
        return abs(self.computed - Fraction(self.published))

    @property
    def ok(self) -> bool:
        """Strictly inside: half-up rounding maps [v - h, v + h) to v, so the two intervals overlap only when
        the difference is below the sum of the half-widths; at exactly that sum they merely touch."""
        return self.difference < self.tolerance

    def sentence(self) -> str:
        verdict = "<" if self.ok else "≥"
        places = sorted(set(self.group_places))
        group_places = " atau ".join(str(p) for p in places)
        return (
            f"{self.what}: dihitung {exact_text(self.computed)}, terbit {_published_text(self.published)}, "
            f"selisih {exact_text(self.difference)} {verdict} toleransi pembulatan {exact_text(self.tolerance)} "
            f"(½·10^-{self.published_places} untuk nilai terbit ditambah rata-rata berbobot ½·10^-d nilai "
            f"bagian, d = {group_places} desimal)"
        )

    def as_dict(self) -> dict:
        return {
            "what": self.what,
            "computed": str(self.computed),
            "published": str(self.published),
            "difference": str(self.difference),
            "tolerance": str(self.tolerance),
            "ok": self.ok,
        }


class HistoryError(ValueError):
    """A record that cannot be stored, with every problem named."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = list(problems)
        super().__init__("; ".join(self.problems))


def places(value: Decimal) -> int:
    """The decimals a published value stands for: as written, at least two."""
    exponent = value.as_tuple().exponent
    return max(MIN_PLACES, -exponent if isinstance(exponent, int) and exponent < 0 else 0)


def half_width(value: Decimal) -> Fraction:
    return Fraction(1, 2 * 10 ** places(value))


def consistency(
    *, what: str, parts: Mapping[str, Decimal], weights: Mapping[str, Decimal], whole: Decimal
) -> Consistency:
    """`whole` must be the weighted mean of `parts` within the rounding both sides allow."""
    total = sum((Fraction(weights[n]) for n in parts), Fraction(0))
    computed = sum((Fraction(weights[n]) * Fraction(v) for n, v in parts.items()), Fraction(0)) / total
    tolerance = (
        half_width(whole) + sum((Fraction(weights[n]) * half_width(v) for n, v in parts.items()), Fraction(0)) / total
    )
    return Consistency(what, computed, whole, tolerance, places(whole), tuple(places(v) for v in parts.values()))


def check(framework: Framework, result: OfficialResult) -> list[Consistency]:
    """Validate one record against its framework; raises HistoryError naming every problem.

    Returns the consistency checks made (for the audit trail and for `spbe history import` to show).
    """
    problems: list[str] = []
    head = f"{result.year}"
    if result.framework_id != framework.id:  # pragma: no cover - callers pass the record's own framework
        raise ValueError("record and framework differ")
    if not 1 <= result.index <= 5:
        problems.append(f"{head}: indeks {_published_text(result.index)} di luar 1-5")
    for g in result.groups:
        if not 1 <= g.value <= 5:
            problems.append(f"{head}: {KIND_LABEL[g.kind]} {g.name}: indeks {_published_text(g.value)} di luar 1-5")
    checks: list[Consistency] = []
    for kind in KINDS:
        given = result.values(kind)
        if not given:
            continue
        names = framework.domains() if kind == "domain" else framework.aspects()
        missing = [n for n in names if n not in given]
        if missing:
            problems.append(
                f"{head}: {KIND_LABEL[kind]} tidak lengkap: tanpa {', '.join(missing)} "
                f"(indeks hanya dapat diperiksa dari seluruh {len(names)} {KIND_LABEL[kind]})"
            )
            continue
        weights = {n: framework.group_weight(kind, n) for n in names}
        checks.append(
            consistency(
                what=f"indeks dari {len(names)} {KIND_LABEL[kind]}",
                parts=given,
                weights=weights,
                whole=result.index,
            )
        )
    domains, aspects = result.values("domain"), result.values("aspect")
    if domains and aspects and not any("tidak lengkap" in p for p in problems):
        for domain, value in domains.items():
            members = list(dict.fromkeys(i.aspect for i in framework.indicators if i.domain == domain))
            weights = {a: framework.group_weight("aspect", a) for a in members}
            checks.append(
                consistency(
                    what=f"domain {domain} dari {len(members)} aspek",
                    parts={a: aspects[a] for a in members},
                    weights=weights,
                    whole=value,
                )
            )
    problems += [f"{head}: tidak konsisten dengan bobot {framework.id}: {c.sentence()}" for c in checks if not c.ok]
    if result.predicate is not None:
        known = {p.name.casefold(): p.name for p in framework.predicates}
        if result.predicate.casefold() not in known:
            problems.append(
                f"{head}: predikat {result.predicate!r} tidak dikenal di {framework.id} "
                f"({', '.join(p.name for p in framework.predicates)})"
            )
        elif known[result.predicate.casefold()] not in possible_predicates(framework, result.index):
            problems.append(
                f"{head}: predikat {result.predicate} tidak mungkin untuk indeks {_published_text(result.index)} "
                f"menurut {framework.id} (mungkin: {' atau '.join(possible_predicates(framework, result.index))})"
            )
    if problems:
        raise HistoryError(problems)
    return checks


def possible_predicates(framework: Framework, published: Decimal) -> list[str]:
    """Every predicate an exact index behind the published (rounded) value could carry, highest first.

    4,20 published to two decimals stands for anything in [4,195; 4,205): Sangat Baik or Memuaskan under
    59/2020's exact reading. Ten published decimals leave one predicate (unless it sits on a bound).
    """
    h = half_width(published)
    low, high = Fraction(published) - h, Fraction(published) + h
    points = {low}
    for p in framework.predicates:
        for point in (Fraction(p.min), Fraction(p.min) - Fraction(1, 200)):  # exact and rounded readings
            if low < point < high:
                points.add(point)
    found = {predicate_of(framework, x) for x in points}
    return [p.name for p in framework.predicates if p.name in found]


def predicate_shown(framework: Framework, result: OfficialResult) -> str:
    """The published predicate, else what the value allows ("Sangat Baik atau Memuaskan" if ambiguous)."""
    if result.predicate:
        return result.predicate
    return " atau ".join(reversed(possible_predicates(framework, result.index)))


# --- parsing ----------------------------------------------------------------------------------------


def parse_value(raw: Any, where: str, problems: list[str]) -> Decimal | None:
    """A published number: a JSON number (read as Decimal), or text with a decimal point or comma."""
    if isinstance(raw, bool) or raw is None:
        problems.append(f"{where}: nilai kosong atau bukan angka")
        return None
    if isinstance(raw, float):  # pragma: no cover - the JSON reader gives Decimals
        problems.append(f"{where}: angka pecahan biner tidak diterima; tulis sebagai teks")
        return None
    text = str(raw).strip()
    if text.count(",") == 1 and "." not in text:
        text = text.replace(",", ".")
    try:
        value = Decimal(text)
    except InvalidOperation:
        problems.append(f"{where}: {str(raw)!r} bukan angka")
        return None
    if not value.is_finite():
        problems.append(f"{where}: {str(raw)!r} bukan angka")
        return None
    return value


@dataclass
class _Draft:
    year: int
    framework_id: str | None
    index: Decimal | None = None
    predicate: str | None = None
    city: str | None = None
    groups: list[tuple[str, str, Decimal, str]] = field(default_factory=list)  # kind, name or position, value, where


def resolve(
    drafts: Sequence[_Draft],
    frameworks: Mapping[str, Framework],
    *,
    framework_for_year: Callable[[int], Framework | None],
    source: str,
) -> list[OfficialResult]:
    """Match names to the framework (by name, case-insensitive, or by position) and check each record.

    A record names its framework, or `framework_for_year` picks one (None: it cannot be told)."""
    out: list[OfficialResult] = []
    problems: list[str] = []
    for d in drafts:
        fw = frameworks.get(d.framework_id) if d.framework_id else framework_for_year(d.year)
        if fw is None:
            if d.framework_id:
                problems.append(
                    f"{d.year}: kerangka {d.framework_id!r} tidak dikenal ({', '.join(sorted(frameworks))})"
                )
            else:
                problems.append(
                    f"{d.year}: kerangka tidak dapat ditentukan untuk tahun ini; sebutkan dengan --framework"
                )
            continue
        if d.index is None:
            problems.append(f"{d.year}: indeks tidak ada")
            continue
        groups: list[GroupValue] = []
        seen: set[tuple[str, str]] = set()
        for kind, name, value, where in d.groups:
            names = fw.domains() if kind == "domain" else fw.aspects()
            matched = _match(name, names)
            if matched is None:
                problems.append(
                    f"{where}: {KIND_LABEL[kind]} {name!r} tidak ada di {fw.id} "
                    f"(ada: {'; '.join(f'{k}. {n}' for k, n in enumerate(names, start=1)) or 'tidak ada'})"
                )
                continue
            if (kind, matched) in seen:
                problems.append(f"{where}: {KIND_LABEL[kind]} {matched} muncul dua kali untuk {d.year}")
                continue
            seen.add((kind, matched))
            groups.append(GroupValue(kind, matched, value))
        order = {(k, n): i for k in KINDS for i, n in enumerate(fw.domains() if k == "domain" else fw.aspects())}
        groups.sort(key=lambda g: (KINDS.index(g.kind), order[(g.kind, g.name)]))
        record = OfficialResult(d.year, fw.id, d.index, d.predicate, tuple(groups), d.city, source)
        try:
            check(fw, record)
        except HistoryError as exc:
            problems += exc.problems
            continue
        out.append(record)
    years = [r.year for r in out]
    for y in sorted({y for y in years if years.count(y) > 1}):
        problems.append(f"{y}: tahun yang sama muncul lebih dari sekali dalam berkas")
    if problems:
        raise HistoryError(problems)
    return out


def _match(name: str, names: Sequence[str]) -> str | None:
    text = " ".join(name.split()).casefold()
    if text.isdigit() and 1 <= int(text) <= len(names):
        return names[int(text) - 1]
    return next((n for n in names if " ".join(n.split()).casefold() == text), None)


def drafts_from_json(text: str) -> list[_Draft]:
    problems: list[str] = []
    try:
        data = json.loads(text, parse_float=Decimal)
    except json.JSONDecodeError as exc:
        raise HistoryError([f"bukan JSON yang sah: baris {exc.lineno} kolom {exc.colno}: {exc.msg}"]) from None
    if isinstance(data, dict) and "hasil" in data:
        data = data["hasil"]
    records = data if isinstance(data, list) else [data]
    drafts: list[_Draft] = []
    for k, rec in enumerate(records, start=1):
        where = f"hasil ke-{k}"
        if not isinstance(rec, dict):
            problems.append(f"{where}: harus berupa objek JSON")
            continue
        year = rec.get("tahun")
        if isinstance(year, bool) or not isinstance(year, int) or not 2000 <= year <= 2100:
            problems.append(f"{where}: 'tahun' harus berupa tahun, mis. 2024 (tertulis {year!r})")
            continue
        where = f"hasil {year}"
        draft = _Draft(year, _text(rec.get("kerangka")), city=_text(rec.get("instansi")))
        draft.predicate = _text(rec.get("predikat"))
        if "indeks" not in rec:
            problems.append(f"{where}: 'indeks' tidak ada")
        else:
            draft.index = parse_value(rec["indeks"], f"{where} indeks", problems)
        for key, kind in (("domain", "domain"), ("aspek", "aspect")):
            entries = rec.get(key, [])
            if not isinstance(entries, list):
                problems.append(f"{where}: '{key}' harus berupa daftar")
                continue
            for j, entry in enumerate(entries, start=1):
                spot = f"{where} {key} ke-{j}"
                if not isinstance(entry, dict) or "indeks" not in entry or not ("nama" in entry or "nomor" in entry):
                    problems.append(f"{spot}: butuh 'nama' (atau 'nomor') dan 'indeks'")
                    continue
                value = parse_value(entry["indeks"], spot, problems)
                if value is not None:
                    draft.groups.append((kind, str(entry.get("nama", entry.get("nomor"))), value, spot))
        unknown = sorted(
            set(rec) - {"tahun", "kerangka", "instansi", "indeks", "predikat", "domain", "aspek", "sumber"}
        )
        if unknown:
            problems.append(f"{where}: kunci tidak dikenal: {', '.join(unknown)}")
        drafts.append(draft)
    if problems:
        raise HistoryError(problems)
    return drafts


def drafts_from_rows(header: Sequence[str], rows: Sequence[tuple[int, dict[str, str]]], name: str) -> list[_Draft]:
    """Rows of the CSV shape (already split by `spbe.csvio.read_rows`), grouped by year."""
    problems: list[str] = []
    missing = [h for h in ("year", "kind", "name", "index") if h not in header]
    if missing:
        raise HistoryError(
            [f"{name} baris 1: kepala kolom harus memuat year,kind,name,index; tanpa {', '.join(missing)}"]
        )
    drafts: dict[int, _Draft] = {}
    for line, row in rows:
        where = f"{name} baris {line}"
        if "__extra__" in row:
            problems.append(f"{where}: sel tambahan di luar kepala kolom: {row['__extra__']!r}")
            continue
        year_text = row["year"].strip()
        if not year_text.isdigit() or not 2000 <= int(year_text) <= 2100:
            problems.append(f"{where}, kolom 'year': {year_text!r} bukan tahun")
            continue
        year = int(year_text)
        kind = _KIND_ALIASES.get(row["kind"].strip().casefold())
        if kind is None:
            problems.append(f"{where}, kolom 'kind': {row['kind']!r} harus index, domain atau aspect")
            continue
        value = parse_value(row["index"], f"{where}, kolom 'index'", problems)
        framework_id = row.get("framework", "").strip() or None
        draft = drafts.setdefault(year, _Draft(year, framework_id))
        if framework_id and draft.framework_id and framework_id != draft.framework_id:
            problems.append(f"{where}, kolom 'framework': {year} sudah memakai {draft.framework_id}")
        draft.framework_id = draft.framework_id or framework_id
        predicate = row.get("predicate", "").strip()
        if value is None:
            continue
        if kind == "index":
            if draft.index is not None:
                problems.append(f"{where}: indeks {year} muncul lagi")
            draft.index = value
            draft.predicate = predicate or None
        else:
            if not row["name"].strip():
                problems.append(f"{where}, kolom 'name': nama {KIND_LABEL[kind]} kosong")
                continue
            draft.groups.append((kind, row["name"], value, where))
    if problems:
        raise HistoryError(problems)
    return [drafts[y] for y in sorted(drafts)]


def _text(value: Any) -> str | None:
    return str(value).strip() or None if value is not None else None


def _published_text(value: Decimal) -> str:
    """A published value as people write it, keeping its decimals: "3,19", "4,2125000000"."""
    return decimal_text(value, places(value))
