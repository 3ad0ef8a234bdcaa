"""The report as data: everything every format shows, assembled once by a pure function.

Each renderer only lays this out, so HTML, Markdown, XLSX and JSON can never disagree, and every index
in it comes from `spbe.scoring.score` on the levels listed here: the report equals `spbe score`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from spbe.domain.snapshot import CycleSnapshot, ItemStatus
from spbe.frameworks import Framework
from spbe.report.planning import Owner, PlanView, plan_view
from spbe.scoring import predicate_for, score
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


@dataclass(frozen=True)
class GroupRow:
    name: str
    weight: Decimal
    index: Decimal
    target: Decimal

    @property
    def gap(self) -> Decimal:
        return max(Decimal("0.00"), self.target - self.index)

    def as_dict(self) -> dict:
        return {"name": self.name, "weight": str(self.weight), "index": str(self.index), "gap": str(self.gap)}


@dataclass(frozen=True)
class YearPoint:
    year: int
    index: Decimal
    predicate: str
    delta: Decimal | None  # against the year before it in the list
    current: bool

    def as_dict(self) -> dict:
        return {
            "year": self.year,
            "index": str(self.index),
            "predicate": self.predicate,
            "change": None if self.delta is None else str(self.delta),
            "current": self.current,
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
            "assumed": self.assumed,
            "status": self.status.value,
            "version": self.version,
            "revise_rounds": self.revise_rounds,
            "late": self.late,
            "evidence": self.evidence.as_dict(),
        }


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

    @property
    def state_label(self) -> str:
        return PHASE_STATE_LABEL.get(self.state, self.state)

    @property
    def closed_late(self) -> bool:
        return self.closed_at is not None and self.closed_at > self.deadline_at

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

    @property
    def title(self) -> str:
        return f"Laporan Akhir Evaluasi SPBE {self.city} Tahun {self.year}"

    @property
    def basis_label(self) -> str:
        return BASIS_LABEL[self.basis]

    @property
    def gap(self) -> Decimal:
        return max(Decimal("0.00"), self.plan_target - self.index)

    @property
    def target_met(self) -> bool:
        return self.index >= self.plan_target

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
            "predicate": self.predicate,
            "claimed": {"index": str(self.claimed_index), "predicate": self.claimed_predicate},
            "target": {
                "index": str(self.target_index),
                "predicate": self.target_predicate,
                "plan_target": str(self.plan_target),
                "warning": self.target_warning,
                "gap": str(self.gap),
                "met": self.target_met,
            },
            "history": [y.as_dict() for y in self.history],
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
) -> ReportData:
    """Pure: the report from a snapshot and a few facts the snapshot does not carry."""
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
            )
        )

    years = sorted((y, v) for y, v in history.items() if y < snapshot.year)
    points: list[YearPoint] = []
    previous: Decimal | None = None
    for y, v in [*years, (snapshot.year, result.index)]:
        v = Decimal(v).quantize(Decimal("0.01"))
        points.append(
            YearPoint(y, v, predicate_for(framework, v), None if previous is None else v - previous, y == snapshot.year)
        )
        previous = v

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
        target_warning=target_note_id(framework, target_index, target_predicate, target)
        if plan.target_warning
        else None,
        history=tuple(points),
        domains=tuple(GroupRow(d.name, d.weight, d.index, target) for d in result.domains),
        aspects=tuple(GroupRow(a.name, a.weight, a.index, target) for a in result.aspects),
        indicators=tuple(rows),
        phases=tuple(phases),
        process=process,
        plan=plan,
        notes=tuple(notes),
    )


def target_note_id(framework: Framework, target_index: Decimal, target_predicate: str, plan_target: Decimal) -> str:
    """The planner's target warning, in the report's language."""
    bound = framework.predicate_lower_bound(target_predicate)
    if plan_target > target_index:
        shown = predicate_for(framework, target_index.quantize(Decimal("0.01")))
        return (
            f"Indeks {target_index} masih berpredikat {shown} menurut {framework.id}; predikat {target_predicate} "
            f"dimulai dari {bound}, maka target perencanaan {bound}."
        )
    return (
        f"Target indeks {target_index} di atas batas bawah predikat {target_predicate} ({bound}) menurut "
        f"{framework.id}; target perencanaan {target_index}."
    )


def _evidence_order(item: tuple[str, int]) -> int:
    order = list(EVIDENCE_LABEL)
    return order.index(item[0]) if item[0] in order else len(order)
