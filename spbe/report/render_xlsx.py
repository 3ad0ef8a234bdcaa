"""The report as an Excel workbook: one sheet per section, numbers as numbers, charts on their own sheet.

Every text cell goes through `spbe.safe_text.safe_cell`: an OPD or indicator name that starts with `=`,
`+`, `-` or `@` is written with a leading apostrophe, so opening the workbook never evaluates it.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from decimal import Decimal

from spbe.messages import tanggal, tanggal_jam
from spbe.number_text import decimal_text as num
from spbe.number_text import exact_text
from spbe.report.charts import Chart
from spbe.report.model import ReportData
from spbe.safe_text import safe_cell

INDEX_FORMAT = "0.00"


def render(data: ReportData, charts: Sequence[Chart] = ()) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    bold = Font(bold=True)
    tz = data.timezone

    ws = wb.active
    ws.title = "Ringkasan"
    _rows(
        ws,
        [
            [data.title],
            [],
            ["Kerangka", data.framework.label],
            ["Dasar level", data.basis_label],
            ["Disusun", tanggal_jam(data.built_at, tz)],
            [data.index_name, data.index],
            ["Predikat", data.predicate],
            ["Indeks tepat", exact_text(data.exact)],
            ["Pembacaan predikat", data.reading_label],
            ["Indeks berdasarkan klaim OPD", data.claimed_index],
            ["Predikat berdasarkan klaim OPD", data.claimed_predicate],
            ["Target indeks (ditetapkan)", data.target_index],
            ["Target predikat", data.target_predicate],
            ["Target perencanaan", data.plan_target],
            ["Selisih terhadap target", data.gap],
            ["Target tercapai", "ya" if data.target_met else "belum"],
            *[["Catatan", n] for n in data.all_notes],
            [],
            _Header(["Tahun", "Indeks", "Predikat", "Perubahan", "Kerangka", "Sumber"]),
            *[
                [
                    p.year,
                    p.index,
                    p.predicate,
                    p.delta,
                    (p.framework_id or "tidak diketahui")
                    + (" (skala berbeda)" if p.framework_id != data.framework.id else ""),
                    p.source_label,
                ]
                for p in data.history
            ],
            *[["Catatan", n] for n in data.history_notes],
        ],
    )
    ws["A1"].font = Font(bold=True, size=14)
    _widths(ws, [34, 60, 16, 12, 36, 26])

    ws = wb.create_sheet("Domain dan Aspek")
    rows: list[list] = []
    if data.domains:
        rows += [_Header(["Domain", "Bobot %", "Indeks", "Selisih terhadap target"])]
        rows += [[g.name, g.weight, g.index, g.gap] for g in data.domains]
        rows += [[]]
    rows += [_Header(["Aspek", "Bobot %", "Indeks", "Selisih terhadap target"])]
    rows += [[g.name, g.weight, g.index, g.gap] for g in data.aspects]
    for group in data.group_history:
        kind = group.kind_label.capitalize()
        rows += [[], [f"{kind} dari tahun ke tahun ({group.framework_id})"]]
        if group.note:
            rows += [["Catatan", group.note]]
        years = [f"{y} (tahun ini)" if y == group.current_year else str(y) for y in group.years]
        rows += [_Header([kind, "Bobot %", *years, "Perubahan"])]
        rows += [[r.name, r.weight, *r.values, r.change] for r in group.rows]
    _rows(ws, rows)
    _widths(ws, [60, 10, 10, 22])

    ws = wb.create_sheet("Indikator")
    header = [
        "No",
        "Indikator",
        "Domain",
        "Aspek",
        "Bobot %",
        "OPD pemilik (kode)",
        "OPD pemilik",
        "Asesor",
        "Level klaim",
        "Level tervalidasi",
        "Level dinilai",
        "Nama level dinilai",
        "Asumsi",
        "Status",
        "Terlambat",
        "Versi",
        "Putaran revisi",
        "Tautan bukti",
        "Bukti dukung",
    ]
    assumed = {"claimed": "klaim dipakai", "floor": "belum diisi: level 1"}
    _rows(
        ws,
        [_Header(header)]
        + [
            [
                i.number,
                i.name,
                i.domain,
                i.aspect,
                i.weight,
                i.owner_code,
                i.owner_name,
                i.assessor,
                i.claimed,
                i.validated,
                i.level,
                i.level_name,
                assumed.get(i.assumed or ""),
                i.status_label,
                "ya" if i.late else "",
                i.version,
                i.revise_rounds,
                i.evidence.total,
                i.evidence.label,
            ]
            for i in data.indicators
        ],
    )
    ws.freeze_panes = "C2"
    _widths(ws, [5, 60, 28, 40, 8, 16, 40, 24, 10, 10, 10, 22, 18, 20, 10, 7, 10, 10, 30])

    ws = wb.create_sheet("Proses")
    s = data.process
    _rows(
        ws,
        [
            _Header(
                [
                    "Tahap",
                    "Dibuka",
                    "Batas waktu",
                    "Versi batas waktu",
                    "Status",
                    "Ditutup",
                    "Melewati batas",
                    "Dipaksa",
                ]
            ),
            *[
                [
                    p.title,
                    tanggal(p.opens_at, tz),
                    tanggal_jam(p.deadline_at, tz),
                    p.deadline_version,
                    p.state_label,
                    tanggal(p.closed_at, tz) if p.closed_at else None,
                    "ya" if p.closed_late else "",
                    "ya" if p.forced else "",
                ]
                for p in data.phases
            ],
            [],
            _Header(["Ukuran", "Nilai"]),
            ["Indikator yang diisi", s.indicators_submitted],
            ["Versi isian (termasuk perbaikan)", s.versions],
            ["Versi terlambat", s.late_versions],
            ["Indikator dengan isian terlambat", len(s.late_indicators)],
            ["OPD dengan isian terlambat", ", ".join(s.late_opds)],
            ["Permintaan perbaikan", s.revise_reviews],
            ["Indikator yang diminta perbaikan", s.indicators_revised],
            ["Putaran revisi terbanyak", s.max_rounds],
            *[[f"Status akhir: {k}", v] for k, v in s.status_counts.items()],
            ["Tautan bukti dukung", s.evidence_links],
            ["Tautan bermasalah", s.evidence_problems],
            ["Tautan belum diperiksa", s.evidence_unchecked],
            ["Pengingat terkirim", "n/a" if s.reminders_sent is None else s.reminders_sent],
        ],
    )
    _widths(ws, [40, 30, 44, 10, 22, 30, 14, 10])

    ws = wb.create_sheet("Rekomendasi")
    p = data.plan.plan
    if p.already_met:
        status = f"Target {num(p.target)} sudah tercapai"
    elif not p.reachable:
        status = f"Target {num(p.target)} tidak dapat dicapai; tertinggi yang dapat dicapai {num(p.best_reachable)}"
    else:
        status = f"Kenaikan paling hemat menuju indeks tepat {num(p.target)}"
    fw = data.framework
    raises = []
    for r in p.raises:
        o = data.plan.owner(r)
        raises.append(
            [
                r.number,
                r.name,
                o.code if o else None,
                o.name if o else None,
                r.from_level,
                r.to_level,
                fw.level_name(r.to_level, indicator=r.number),
                r.cost,
            ]
        )
    _rows(
        ws,
        [
            [status],
            ["Indeks sekarang", p.index_before],
            ["Indeks setelah kenaikan", p.index_after],
            ["Indeks tepat setelah kenaikan", exact_text(p.exact_after)],
            ["Predikat setelah kenaikan", p.predicate_after],
            *([["Catatan", p.note_after]] if p.note_after else []),
            [],
            _Header(
                [
                    "No",
                    "Indikator",
                    "OPD pemilik (kode)",
                    "OPD pemilik",
                    "Dari level",
                    "Ke level",
                    "Nama level",
                    "Biaya",
                ]
            ),
            *raises,
        ],
    )
    ws["A1"].font = bold
    _widths(ws, [24, 60, 18, 40, 10, 10, 22, 10])

    if charts:
        from openpyxl.drawing.image import Image

        ws = wb.create_sheet("Grafik")
        row = 1
        for chart in charts:
            ws.cell(row=row, column=1, value=safe_cell(chart.title)).font = bold
            img = Image(io.BytesIO(chart.png))
            ws.add_image(img, f"A{row + 1}")
            row += chart.height // 20 + 3  # default rows are 20 px high

    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


class _Header(list):
    """A row written in bold."""


def _rows(ws, rows: list[list]) -> None:
    from openpyxl.styles import Font

    bold = Font(bold=True)
    start = ws.max_row + 1 if ws.max_row > 1 or ws.cell(1, 1).value is not None else 1
    for r, values in enumerate(rows, start=start):
        for c, value in enumerate(values, start=1):
            cell = ws.cell(row=r, column=c, value=safe_cell(value))
            if isinstance(value, Decimal):
                cell.number_format = INDEX_FORMAT
            if isinstance(values, _Header):
                cell.font = bold


def _widths(ws, widths: list[int]) -> None:
    from openpyxl.utils import get_column_letter

    for k, w in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(k)].width = w
