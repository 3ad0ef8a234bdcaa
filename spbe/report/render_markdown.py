"""The report as Markdown (for chat, Git and Prefect artifacts); charts are linked as PNG files beside it.

Text that came from people (OPD and indicator names, titles) is escaped cell by cell: a `|` would
break a table, and `<`, `[`, `*` would turn into HTML, links or emphasis wherever the Markdown is shown.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from decimal import Decimal

from spbe.messages import tanggal, tanggal_jam
from spbe.report.charts import Chart
from spbe.report.model import ReportData

_SPECIAL = re.compile(r"([\\`*_\[\]<>|#~!])")


def md(text: object) -> str:
    """Escape one value for Markdown (inline or a table cell); numbers pass through unchanged."""
    if isinstance(text, int | Decimal):
        return str(text)
    flat = " ".join(str(text).split())
    return _SPECIAL.sub(r"\\\1", flat)


def table(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    lines = ["| " + " | ".join(md(h) for h in header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def _cell(value: object) -> str:
    if value is None:
        return "—"
    return md(value)


def render(data: ReportData, charts: Sequence[Chart] = ()) -> str:
    tz = data.timezone
    out: list[str] = [f"# {md(data.title)}", ""]
    out.append(
        f"Kerangka: {md(data.framework.label)} · Dasar level: {md(data.basis_label)} · "
        f"Disusun {md(tanggal_jam(data.built_at, tz))}"
    )
    out.append("")
    for note in [*data.notes, *([data.target_warning] if data.target_warning else [])]:
        out.append(f"> **Catatan:** {md(note)}")
        out.append("")

    out += ["## Ringkasan", ""]
    target = "tercapai" if data.target_met else f"kurang {data.gap}"
    out += [
        f"- **Indeks SPBE {data.year}:** {data.index} ({md(data.predicate)})",
        f"- **Target:** {data.plan_target} ({md(data.target_predicate)}); ditetapkan: indeks {data.target_index}, "
        f"predikat {md(data.target_predicate)}",
        f"- **Terhadap target:** {target}",
        f"- **Indeks berdasarkan klaim OPD:** {data.claimed_index} ({md(data.claimed_predicate)})",
        "",
    ]

    by_key = {c.key: c for c in charts}
    out += ["## Perbandingan antartahun", ""]
    out.append(
        table(
            ["Tahun", "Indeks", "Predikat", "Perubahan"],
            [
                (
                    f"{p.year}{' (tahun ini)' if p.current else ''}",
                    p.index,
                    p.predicate,
                    None if p.delta is None else f"{p.delta:+.2f}",
                )
                for p in data.history
            ],
        )
    )
    out += _image(by_key.get("tren"))

    if data.domains:
        out += ["", "## Indeks per domain", ""]
        out.append(
            table(
                ["Domain", "Bobot %", "Indeks", f"Selisih terhadap target {data.plan_target}"],
                [(g.name, g.weight, g.index, g.gap) for g in data.domains],
            )
        )
    radar = next((c for c in charts if c.key.startswith("radar")), None)
    out += _image(radar)

    out += ["", "## Indeks per aspek", ""]
    out.append(
        table(
            ["Aspek", "Bobot %", "Indeks", f"Selisih terhadap target {data.plan_target}"],
            [(g.name, g.weight, g.index, g.gap) for g in data.aspects],
        )
    )
    out += _image(by_key.get("aspek"))

    out += ["", "## Rincian per indikator", ""]
    out.append(
        table(
            ["No", "Indikator", "OPD pemilik", "Klaim", "Tervalidasi", "Dinilai", "Status", "Revisi", "Bukti dukung"],
            [
                (
                    i.number,
                    i.name,
                    f"{i.owner_name or i.owner_code} ({i.owner_code})" if i.owner_code else None,
                    i.claimed,
                    i.validated,
                    f"{i.level}{'*' if i.assumed == 'claimed' else '**' if i.assumed == 'floor' else ''}",
                    i.status_label + (", terlambat" if i.late else ""),
                    i.revise_rounds,
                    i.evidence.label,
                )
                for i in data.indicators
            ],
        )
    )
    out += ["", "\\* level klaim dipakai karena belum divalidasi; \\*\\* belum ada isian, dinilai level 1.", ""]

    s = data.process
    out += ["## Jalannya proses", ""]
    out.append(
        table(
            ["Tahap", "Dibuka", "Batas waktu", "Status", "Ditutup"],
            [
                (
                    p.title,
                    tanggal(p.opens_at, tz),
                    tanggal_jam(p.deadline_at, tz),
                    p.state_label,
                    None
                    if p.closed_at is None
                    else tanggal(p.closed_at, tz)
                    + (" (melewati batas)" if p.closed_late else "")
                    + (" (dipaksa)" if p.forced else ""),
                )
                for p in data.phases
            ],
        )
    )
    out.append("")
    counts = s.status_counts
    out.append(
        table(
            ["Ukuran", "Nilai"],
            [
                ("Indikator yang diisi", f"{s.indicators_submitted} dari {len(data.indicators)}"),
                ("Versi isian (termasuk perbaikan)", s.versions),
                ("Isian terlambat (versi / indikator)", f"{s.late_versions} / {len(s.late_indicators)}"),
                ("OPD dengan isian terlambat", ", ".join(s.late_opds) or None),
                (
                    "Permintaan perbaikan (total / indikator / terbanyak)",
                    f"{s.revise_reviews} / {s.indicators_revised} / {s.max_rounds}",
                ),
                (
                    "Diterima / perlu perbaikan / menunggu / belum diisi",
                    f"{counts['accepted']} / {counts['revise']} / {counts['submitted']} / {counts['missing']}",
                ),
                (
                    "Tautan bukti dukung (bermasalah / belum diperiksa)",
                    f"{s.evidence_links} ({s.evidence_problems} / {s.evidence_unchecked})",
                ),
                ("Pengingat terkirim", "n/a" if s.reminders_sent is None else s.reminders_sent),
            ],
        )
    )

    out += ["", "## Rekomendasi untuk tahun berikutnya", ""]
    out += recommendation_lines(data)
    out += ["", f"_Dihasilkan oleh spbe-engine · siklus {md(data.code)}_", ""]
    return "\n".join(out)


def recommendation_lines(data: ReportData) -> list[str]:
    view, p = data.plan, data.plan.plan
    if p.already_met:
        return [f"Target {p.target} sudah tercapai (indeks {p.index_before}, {md(data.predicate)})."]
    lines = []
    if not p.reachable:
        lines.append(
            f"Target {p.target} tidak dapat dicapai; indeks tertinggi yang dapat dicapai: {p.best_reachable}. "
            "Di bawah: kenaikan ke level tertinggi."
        )
    else:
        lines.append(
            f"Kenaikan level paling hemat untuk mencapai indeks {p.target} "
            f"({view.steps} kenaikan level pada {len(p.raises)} indikator):"
        )
    lines.append("")
    rows = []
    for r in p.raises:
        o = view.owner(r)
        rows.append(
            (
                r.number,
                r.name,
                f"{o.name or o.code} ({o.code})" if o else None,
                r.from_level,
                r.to_level,
                f"+{r.as_dict()['gain']}",
            )
        )
    lines.append(table(["No", "Indikator", "OPD pemilik", "Dari", "Ke", "Tambahan indeks"], rows))
    lines += ["", f"Indeks setelah kenaikan: **{p.index_after}** ({md(p.predicate_after)})."]
    return lines


def _image(chart: Chart | None) -> list[str]:
    if chart is None:
        return []
    return ["", f"![{md(chart.title)}]({chart.file_name})"]
