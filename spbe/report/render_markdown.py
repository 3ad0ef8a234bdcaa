"""The report as Markdown (for chat, Git and Prefect artifacts); charts are linked as PNG files beside it.

Text that came from people (OPD and indicator names, titles) is escaped cell by cell: a `|` would
break a table, and `<`, `[`, `*` would turn into HTML, links or emphasis wherever the Markdown is shown.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from decimal import Decimal

from spbe.messages import tanggal, tanggal_jam
from spbe.number_text import decimal_text as num
from spbe.number_text import exact_text, signed_text
from spbe.report.charts import Chart
from spbe.report.model import ReportData
from spbe.report.yearly import GroupHistory

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
        f"Kerangka: {md(data.framework.label)} ({md(data.framework.name)}) · Dasar level: {md(data.basis_label)} · "
        f"Disusun {md(tanggal_jam(data.built_at, tz))}"
    )
    out.append("")
    for note in data.all_notes:
        out.append(f"> **Catatan:** {md(note)}")
        out.append("")

    out += ["## Ringkasan", ""]
    target = "tercapai" if data.target_met else f"kurang {num(data.gap)}"
    out += [
        f"- **{md(data.index_name)} {data.year}:** {num(data.index)} ({md(data.predicate)}); "
        f"indeks tepat {exact_text(data.exact)}, {md(data.reading_label)}",
        f"- **Target:** {num(data.plan_target)} ({md(data.target_predicate)}); ditetapkan: indeks "
        f"{num(data.target_index)}, predikat {md(data.target_predicate)}",
        f"- **Terhadap target:** {target}",
        f"- **Indeks berdasarkan klaim OPD:** {num(data.claimed_index)} ({md(data.claimed_predicate)})",
        "",
    ]

    by_key = {c.key: c for c in charts}
    out += ["## Perbandingan antartahun", ""]
    out.append(table(["Tahun", "Indeks", "Predikat", "Kerangka", "Perubahan"], history_rows(data)))
    for note in data.history_notes:
        out += ["", f"> **Catatan:** {md(note)}"]
    out += _image(by_key.get("tren"))
    for group in data.group_history:
        out += ["", *group_table(group)]

    if data.domains:
        out += ["", "## Indeks per domain", ""]
        out.append(
            table(
                ["Domain", "Bobot %", "Indeks", f"Selisih terhadap target {num(data.plan_target)}"],
                [(g.name, num(g.weight), num(g.index), num(g.gap)) for g in data.domains],
            )
        )
    radar = next((c for c in charts if c.key.startswith("radar")), None)
    out += _image(radar)

    out += ["", "## Indeks per aspek", ""]
    out.append(
        table(
            ["Aspek", "Bobot %", "Indeks", f"Selisih terhadap target {num(data.plan_target)}"],
            [(g.name, num(g.weight), num(g.index), num(g.gap)) for g in data.aspects],
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
                    i.claimed_label if i.claimed is not None else None,
                    i.validated_label if i.validated is not None else None,
                    f"{i.level_label}{'*' if i.assumed == 'claimed' else '**' if i.assumed == 'floor' else ''}",
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


def history_rows(data: ReportData, *, with_change: bool = True) -> list[tuple]:
    """The year-over-year index rows: a year on another framework is marked, its change left empty."""
    rows = []
    for p in data.history:
        year = f"{p.year}{' (tahun ini)' if p.current else ''}"
        framework = p.framework_id or "tidak diketahui"
        if p.framework_id != data.framework.id:
            framework += " (skala berbeda)"
        row = [year, num(p.index), p.predicate, framework]
        if with_change:
            row.append(None if p.delta is None else signed_text(p.delta))
        rows.append(tuple(row))
    return rows


def group_table(group: GroupHistory) -> list[str]:
    """One year-over-year table per domain or aspect; another framework's years carry their note."""
    title = f"### {group.kind_label.capitalize()} dari tahun ke tahun ({md(group.framework_id)})"
    years = [f"{y} (tahun ini)" if y == group.current_year else str(y) for y in group.years]
    header = [group.kind_label.capitalize(), "Bobot %", *years, "Perubahan"]
    rows = [
        (
            r.name,
            num(r.weight),
            *[None if v is None else num(v) for v in r.values],
            None if r.change is None else signed_text(r.change),
        )
        for r in group.rows
    ]
    lines = [title, ""]
    if group.note:
        lines += [f"> **Catatan:** {md(group.note)}", ""]
    return [*lines, table(header, rows)]


def recommendation_lines(data: ReportData) -> list[str]:
    view, p = data.plan, data.plan.plan
    fw = data.framework
    if p.already_met:
        return [f"Target {num(p.target)} sudah tercapai (indeks {num(p.index_before)}, {md(data.predicate)})."]
    lines = []
    if not p.reachable:
        lines.append(
            f"Target {num(p.target)} tidak dapat dicapai; indeks tertinggi yang dapat dicapai: "
            f"{num(p.best_reachable)} (tepat {exact_text(p.best_reachable_exact)}). Di bawah: kenaikan ke level "
            "tertinggi."
        )
    else:
        lines.append(
            f"Kenaikan level paling hemat untuk mencapai indeks tepat {num(p.target)} "
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
                fw.level_text(r.from_level, indicator=r.number),
                fw.level_text(r.to_level, indicator=r.number),
                f"+{num(r.gain, 4)}",
            )
        )
    lines.append(table(["No", "Indikator", "OPD pemilik", "Dari", "Ke", "Tambahan indeks"], rows))
    exact_after = exact_text(p.exact_after)
    lines += ["", f"Indeks setelah kenaikan: **{num(p.index_after)}** (tepat {exact_after}, {md(p.predicate_after)})."]
    if p.note_after:
        lines += ["", f"> **Catatan:** {md(p.note_after)}."]
    return lines


def _image(chart: Chart | None) -> list[str]:
    if chart is None:
        return []
    return ["", f"![{md(chart.title)}]({chart.file_name})"]
