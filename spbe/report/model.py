"""The report as data: everything every format shows, assembled once by a pure function.

Each renderer only lays this out, so HTML, Markdown, XLSX and JSON can never disagree, and every index
in it comes from `spbe.scoring.score` on the levels listed here: the report equals `spbe score`.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from fractions import Fraction

from spbe.domain.snapshot import CycleSnapshot, ItemStatus
from spbe.frameworks import Framework
from spbe.history import OfficialResult
from spbe.number_text import decimal_text, machine_exact
from spbe.planner import default_target
from spbe.report.planning import Owner, PlanView, plan_view
from spbe.report.yearly import GroupHistory, YearPoint, year_over_year
from spbe.scoring import report_value, score
from spbe.services.levels import BASIS_LABEL, Assumed, Basis, LevelsView, current_levels

STATUS_LABEL = {
    ItemStatus.MISSING: "belum diisi",
    ItemStatus.SUBMITTED: "menunggu penilaian",
    ItemStatus.REVISE: "perlu perbaikan",
    ItemStatus.ACCEPTED: "diterima",
}
EVIDENCE_LABEL = {
    "ok": "dapat diakses",
    "not_found": "tidak ditemukan",
    "forbidden": "akses ditolak",
    "timeout": "waktu habis",
    "unsafe": "alamat tidak aman",
    "error": "galat",
    "unchecked": "belum diperiksa",
}
PHASE_STATE_LABEL = {
    "pending": "belum dibuka",
    "open": "berjalan",
    "awaiting_approval": "menunggu persetujuan",
    "closed": "selesai",
}


def shortfall(target: Decimal, exact: Fraction) -> Decimal:
    """How far an exact index is below a target, rounded up to two decimals: "kurang 0,01" for an exact
    4,195 against 4,20, never a "kurang 0,00" that reads as met."""
    gap = Fraction(target) - exact
    return Decimal(max(0, math.ceil(gap * 100))) / 100 if gap > 0 else Decimal("0.00")


@dataclass(frozen=True)
class GroupRow:
    name: str
    weight: Decimal
    exact: Fraction
    target: Decimal

    @property
    def index(self) -> Decimal:
        return report_value(self.exact)

    @property
    def gap(self) -> Decimal:
        return shortfall(self.target, self.exact).quantize(Decimal("0.01"))

    def as_dict(self) -> dict:
        return {
            "name": self.name,
            "weight": str(self.weight),
            "index": str(self.index),
            "index_exact": str(self.exact),
            "gap": str(self.gap),
        }


@dataclass(frozen=True)
class EvidenceSummary:
    total: int
    by_status: Mapping[str, int]  # ok, not_found, ..., unchecked

    @property
    def label(self) -> str:
        if self.total == 0:
            return "tidak ada tautan"
        parts = [f"{n} {EVIDENCE_LABEL.get(s, s)}" for s, n in self.by_status.items() if n]
        return ", ".join(parts)

    @property
    def all_ok(self) -> bool:
        return self.total > 0 and self.by_status.get("ok", 0) == self.total

    def as_dict(self) -> dict:
        return {"links": self.total, **{k: v for k, v in self.by_status.items() if v}}


@dataclass(frozen=True)
class IndicatorRow:
    number: int
    name: str
    domain: str
    aspect: str
    weight: Decimal
    owner_code: str | None
    owner_name: str | None
    assessor: str | None
    claimed: int | None
    validated: int | None
    level: int  # the level scored (basis, with fallback)
    assumed: str | None  # "claimed" | "floor" | None
    status: ItemStatus
    version: int | None
    revise_rounds: int
    late: bool
    evidence: EvidenceSummary
    level_name: str | None = None  # on the indicator's own scale: "Terdefinisi", "Transaksi"
    claimed_name: str | None = None
    validated_name: str | None = None

    @property
    def level_label(self) -> str:
        return _labelled(self.level, self.level_name)

    @property
    def claimed_label(self) -> str:
        return _labelled(self.claimed, self.claimed_name)

    @property
    def validated_label(self) -> str:
        return _labelled(self.validated, self.validated_name)

    @property
    def status_label(self) -> str:
        return STATUS_LABEL[self.status]

    def as_dict(self) -> dict:
        return {
            "indicator": self.number,
            "name": self.name,
            "domain": self.domain,
            "aspect": self.aspect,
            "weight": str(self.weight),
            "owner_opd": self.owner_code,
            "owner_name": self.owner_name,
            "assessor": self.assessor,
            "claimed_level": self.claimed,
            "validated_level": self.validated,
            "level_scored": self.level,
            "level_name": self.level_name,
            "assumed": self.assumed,
            "status": self.status.value,
            "version": self.version,
            "revise_rounds": self.revise_rounds,
            "late": self.late,
            "evidence": self.evidence.as_dict(),
        }


DEADLINE_CHECK_SLACK = timedelta(hours=1)  # the timekeeper checks a gate at its deadline, within minutes


@dataclass(frozen=True)
class PhaseRow:
    name: str
    title: str
    state: str
    opens_at: datetime
    deadline_at: datetime
    deadline_version: int
    closed_at: datetime | None
    forced: bool
    ready_at: datetime | None = None  # an approval phase: when its gate held and it asked for approval

    @property
    def state_label(self) -> str:
        return PHASE_STATE_LABEL.get(self.state, self.state)

    @property
    def closed_late(self) -> bool:
        """The phase was ready only after its deadline. An approval phase is ready when it asks for approval
        (the coordinator's approval may come later), and the check at the deadline may run a little after it."""
        if self.closed_at is None:
            return False
        ready = self.ready_at if self.ready_at is not None and self.ready_at <= self.closed_at else self.closed_at
        return ready > self.deadline_at + DEADLINE_CHECK_SLACK

    def as_dict(self) -> dict:
        return {
            "name": self.name,
            "title": self.title,
            "state": self.state,
            "opens_at": self.opens_at.isoformat(),
            "deadline_at": self.deadline_at.isoformat(),
            "deadline_version": self.deadline_version,
            "closed_at": self.closed_at.isoformat() if self.closed_at else None,
            "closed_late": self.closed_late,
            "forced": self.forced,
        }


@dataclass(frozen=True)
class SubmissionFact:
    """One submission version, as the process statistics need it."""

    indicator: int
    opd: str
    version: int
    late: bool


@dataclass(frozen=True)
class ProcessStats:
    versions: int
    indicators_submitted: int
    indicators_missing: int
    late_versions: int
    late_indicators: tuple[int, ...]
    late_opds: tuple[str, ...]
    revise_reviews: int
    indicators_revised: int
    max_rounds: int
    status_counts: Mapping[str, int]
    reminders_sent: int | None  # None: the reminders feature is not in this store
    evidence_links: int
    evidence_problems: int  # links checked and not ok
    evidence_unchecked: int

    def as_dict(self) -> dict:
        return {
            "submission_versions": self.versions,
            "indicators_submitted": self.indicators_submitted,
            "indicators_missing": self.indicators_missing,
            "late_versions": self.late_versions,
            "late_indicators": list(self.late_indicators),
            "late_opds": list(self.late_opds),
            "revise_reviews": self.revise_reviews,
            "indicators_revised": self.indicators_revised,
            "max_revise_rounds": self.max_rounds,
            "status_counts": dict(self.status_counts),
            "reminders_sent": self.reminders_sent,
            "evidence_links": self.evidence_links,
            "evidence_problems": self.evidence_problems,
            "evidence_unchecked": self.evidence_unchecked,
        }


@dataclass(frozen=True)
class ReportData:
    city: str
    year: int
    code: str
    framework: Framework
    built_at: datetime
    timezone: str
    basis: Basis
    levels: LevelsView
    index: Decimal
    index_exact: str
    predicate: str
    claimed_index: Decimal
    claimed_predicate: str
    target_index: Decimal
    target_predicate: str
    plan_target: Decimal
    target_warning: str | None
    history: tuple[YearPoint, ...]
    domains: tuple[GroupRow, ...]
    aspects: tuple[GroupRow, ...]
    indicators: tuple[IndicatorRow, ...]
    phases: tuple[PhaseRow, ...]
    process: ProcessStats
    plan: PlanView
    notes: tuple[str, ...] = field(default=())
    exact: Fraction = Fraction(0)
    index_note: str | None = None  # exact and shown index on different sides of a bound
    claimed_exact: Fraction = Fraction(0)
    claimed_note: str | None = None
    group_history: tuple[GroupHistory, ...] = ()
    history_notes: tuple[str, ...] = ()  # different scales across years, and the like

    @property
    def title(self) -> str:
        return f"Laporan Akhir Evaluasi {self.framework.short_name} {self.city} Tahun {self.year}"

    @property
    def index_name(self) -> str:
        return self.framework.index_name

    @property
    def basis_label(self) -> str:
        return BASIS_LABEL[self.basis]

    @property
    def reading_label(self) -> str:
        if self.framework.predicate_reading == "rounded":
            return "predikat dibaca dari indeks yang dibulatkan dua desimal"
        return "predikat dibaca dari indeks tepat (tidak dibulatkan)"

    @property
    def gap(self) -> Decimal:
        return shortfall(self.plan_target, self.exact)

    @property
    def target_met(self) -> bool:
        """The exact index reaches the target: a plan never depends on rounding, nor does this."""
        return self.exact >= Fraction(self.plan_target)

    @property
    def all_notes(self) -> list[str]:
        """Every qualifying sentence, as each format lists them under the title."""
        bound = [f"Indeks {self.year}: {self.index_note}." if self.index_note else None]
        claimed = [f"Indeks klaim OPD: {self.claimed_note}." if self.claimed_note else None]
        target = [self.target_warning]
        return [n for n in [*self.notes, *bound, *claimed, *target] if n]

    def as_dict(self) -> dict:
        return {
            "title": self.title,
            "city": self.city,
            "year": self.year,
            "cycle": self.code,
            "framework": self.framework.id,
            "framework_verified": self.framework.verified,
            "built_at": self.built_at.isoformat(),
            "basis": self.basis.value,
            "levels": self.levels.as_dict(),
            "index": str(self.index),
            "index_exact": self.index_exact,
            "index_exact_decimal": machine_exact(self.exact),
            "predicate": self.predicate,
            "predicate_reading": self.framework.predicate_reading,
            "bound_note": self.index_note,
            "claimed": {
                "index": str(self.claimed_index),
                "index_exact": str(self.claimed_exact),
                "predicate": self.claimed_predicate,
                "bound_note": self.claimed_note,
            },
            "target": {
                "index": str(self.target_index),
                "predicate": self.target_predicate,
                "plan_target": str(self.plan_target),
                "warning": self.target_warning,
                "gap": str(self.gap),
                "gap_exact": str(max(Fraction(0), Fraction(self.plan_target) - self.exact)),
                "met": self.target_met,
            },
            "history": [y.as_dict() for y in self.history],
            "history_by_group": [g.as_dict() for g in self.group_history],
            "history_notes": list(self.history_notes),
            "domains": [d.as_dict() for d in self.domains],
            "aspects": [a.as_dict() for a in self.aspects],
            "indicators": [i.as_dict() for i in self.indicators],
            "phases": [p.as_dict() for p in self.phases],
            "process": self.process.as_dict(),
            "recommendation": self.plan.as_dict(),
            "notes": list(self.notes),
        }


def assemble(
    *,
    snapshot: CycleSnapshot,
    framework: Framework,
    city: str,
    target_index: Decimal,
    target_predicate: str,
    history: Mapping[int, Decimal],
    basis: Basis,
    built_at: datetime,
    phases: Sequence[PhaseRow],
    submissions: Sequence[SubmissionFact],
    evidence_status: Mapping[str, str],
    reminders_sent: int | None,
    assessor_names: Mapping[str, str] | None = None,
    official: Sequence[OfficialResult] = (),
    frameworks: Mapping[str, Framework] | None = None,
) -> ReportData:
    """Pure: the report from a snapshot and a few facts the snapshot does not carry.

    `official` are the recorded results of earlier years (they win over `history`, the cycle file's one
    number a year); `frameworks` are the ones those years may be on, so a year on another framework is
    shown as being on another scale."""
    view = current_levels(snapshot, basis)
    result = score(framework, view.levels)
    claimed_view = current_levels(snapshot, Basis.CLAIMED)
    claimed = score(framework, claimed_view.levels)
    owners = {
        i.number: Owner(i.owner_opd, snapshot.opds[i.owner_opd].name if i.owner_opd in snapshot.opds else "")
        if i.owner_opd
        else None
        for i in snapshot.indicators
    }
    notes = [n for n in (view.note(),) if n]
    if not framework.verified:
        notes.append(f"kerangka {framework.id} BELUM TERVERIFIKASI: bobot dan batas predikat dari sumber sekunder")
    notes += framework.notes
    plan = plan_view(
        framework,
        view.levels,
        target_index=target_index,
        target_predicate=target_predicate,
        owners=owners,
        notes=tuple(notes),
    )
    target = plan.target

    names = assessor_names or {}
    fw_ind = {i.number: i for i in framework.indicators}
    late_numbers = {s.indicator for s in submissions if s.late}
    rows = []
    for item in snapshot.indicators:
        ind = fw_ind[item.number]
        counts: Counter[str] = Counter(evidence_status.get(url, "unchecked") for url in item.evidence)
        owner = owners.get(item.number)
        assumed = view.assumed.get(item.number)
        rows.append(
            IndicatorRow(
                number=item.number,
                name=item.name,
                domain=ind.domain,
                aspect=ind.aspect,
                weight=ind.weight,
                owner_code=owner.code if owner else None,
                owner_name=owner.name if owner else None,
                assessor=names.get(item.assessor, item.assessor) if item.assessor else None,
                claimed=item.claimed_level,
                validated=item.validated_level,
                level=view.levels[item.number],
                assumed=assumed.value if isinstance(assumed, Assumed) else None,
                status=item.status,
                version=item.version,
                revise_rounds=item.revise_rounds,
                late=item.number in late_numbers,
                evidence=EvidenceSummary(len(item.evidence), dict(sorted(counts.items(), key=_evidence_order))),
                level_name=_level_name(framework, view.levels[item.number], item.number),
                claimed_name=_level_name(framework, item.claimed_level, item.number),
                validated_name=_level_name(framework, item.validated_level, item.number),
            )
        )

    yearly = year_over_year(
        framework=framework,
        year=snapshot.year,
        result=result,
        history=history,
        official=official,
        frameworks=frameworks or {},
    )

    late = [s for s in submissions if s.late]
    status_counts = Counter(i.status.value for i in snapshot.indicators)
    evidence_all = [evidence_status.get(u, "unchecked") for i in snapshot.indicators for u in i.evidence]
    process = ProcessStats(
        versions=len(submissions),
        indicators_submitted=sum(1 for i in snapshot.indicators if i.version is not None),
        indicators_missing=status_counts.get(ItemStatus.MISSING.value, 0),
        late_versions=len(late),
        late_indicators=tuple(sorted({s.indicator for s in late})),
        late_opds=tuple(c for c in snapshot.opds if c in {s.opd for s in late}),
        revise_reviews=sum(i.revise_rounds for i in snapshot.indicators),
        indicators_revised=sum(1 for i in snapshot.indicators if i.revise_rounds),
        max_rounds=max((i.revise_rounds for i in snapshot.indicators), default=0),
        status_counts={s.value: status_counts.get(s.value, 0) for s in ItemStatus},
        reminders_sent=reminders_sent,
        evidence_links=len(evidence_all),
        evidence_problems=sum(1 for s in evidence_all if s not in ("ok", "unchecked")),
        evidence_unchecked=sum(1 for s in evidence_all if s == "unchecked"),
    )
    return ReportData(
        city=city,
        year=snapshot.year,
        code=snapshot.code,
        framework=framework,
        built_at=built_at,
        timezone=snapshot.timezone,
        basis=basis,
        levels=view,
        index=result.index,
        index_exact=str(result.exact),
        predicate=result.predicate,
        claimed_index=claimed.index,
        claimed_predicate=claimed.predicate,
        target_index=target_index,
        target_predicate=target_predicate,
        plan_target=target,
        target_warning=plan.target_warning,
        history=yearly.points,
        domains=tuple(GroupRow(d.name, d.weight, d.exact, target) for d in result.domains),
        aspects=tuple(GroupRow(a.name, a.weight, a.exact, target) for a in result.aspects),
        indicators=tuple(rows),
        phases=tuple(phases),
        process=process,
        plan=plan,
        notes=tuple(notes),
        exact=result.exact,
        index_note=result.bound_note,
        claimed_exact=claimed.exact,
        claimed_note=claimed.bound_note,
        group_history=yearly.groups,
        history_notes=yearly.notes,
    )


def target_note_id(framework: Framework, target_index: Decimal, target_predicate: str, plan_target: Decimal) -> str:
    """The planner's target warning (kept for callers that have the target but not the warning)."""
    _target, warning = default_target(framework, target_index, target_predicate)
    return warning or f"Target perencanaan {decimal_text(plan_target)}."


def _level_name(framework: Framework, level: object, number: int) -> str | None:
    if isinstance(level, int) and not isinstance(level, bool) and 1 <= level <= 5:
        return framework.level_name(level, indicator=number)
    return None


def _labelled(level: int | None, name: str | None) -> str:
    if level is None:
        return "—"
    return f"{level} ({name})" if name else str(level)


def _evidence_order(item: tuple[str, int]) -> int:
    order = list(EVIDENCE_LABEL)
    return order.index(item[0]) if item[0] in order else len(order)
