"""Issuing templates: an OPD's self-assessment workbook and an assessor's review workbook (or their CSV form).

A template is prefilled with what the store already holds (the latest version, the last review), so an
unchanged file imports as a no-op and people only edit what moved. Every string is neutralised against
formula injection; the metadata sheet carries the signature that binds the file to its cycle and OPD
(or assessor). Issuing is audited: the coordinator can see who was sent which file, and when.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlmodel import Session, select

from spbe import clock
from spbe.errors import InputError, RefusedError
from spbe.frameworks import Framework
from spbe.i18n import _
from spbe.intake import layout as L
from spbe.intake.item_rows import assessor_item_rows, opd_item_rows
from spbe.intake.reader import text_digest
from spbe.intake.signing import FORMAT, sign, template_secret
from spbe.messages import tanggal_jam
from spbe.safe_text import is_formula_like, safe_cell, write_text_cell
from spbe.services.cycles import framework_of
from spbe.services.lookup import get_opd, get_person
from spbe.services.submission_store import latest_reviews
from spbe.store import models as m
from spbe.store.audit import record

VERDICT_ID = {"accept": "terima", "revise": "revisi"}
SUFFIXES = (".xlsx", ".csv")


@dataclass
class TemplateInfo:
    kind: str
    cycle: str
    subject: str
    path: Path
    rows: int
    issued_at: datetime
    meta: dict[str, str] = field(repr=False, default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "cycle": self.cycle,
            "subject": self.subject,
            "path": str(self.path),
            "rows": self.rows,
            "issued_at": self.issued_at.isoformat(),
        }


def issue_template(session: Session, *, cycle: m.Cycle, kind: str, subject: str, out: Path, actor: str) -> TemplateInfo:
    """Write the template for an OPD (`kind="opd"`, subject = OPD code) or an assessor (subject = person key)."""
    if kind not in L.KINDS:
        raise InputError(
            _("unknown template kind {kind}; use one of {kinds}").format(kind=repr(kind), kinds=", ".join(L.KINDS))
        )
    if out.suffix.lower() not in SUFFIXES:
        raise InputError(_("--out {file}: the file must end in .xlsx or .csv").format(file=out.name))
    secret = template_secret()  # refuse before any work when the key is missing
    framework = framework_of(cycle)
    if framework.evidence_model == "items":
        kind = L.ITEM_KIND.get(kind, kind)  # under Pemdi the same two templates list evidence items
    phases = {p.name: p for p in session.exec(select(m.Phase).where(m.Phase.cycle_id == cycle.id))}
    if kind == L.OPD_ITEMS:
        owner = get_opd(session, cycle=cycle, code=subject)
        rows = opd_item_rows(session, cycle, owner.code)
        if not rows:
            raise RefusedError(f"OPD {owner.code} tidak menjawab butir apa pun di siklus {cycle.code}")
        title = f"{owner.name} ({owner.code})"
        deadline = phases.get("self-assessment")
    elif kind == L.ASSESSOR_ITEMS:
        person = get_person(session, cycle=cycle, key=subject)
        rows = assessor_item_rows(session, cycle, person.key)
        if not rows:
            raise RefusedError(f"belum ada butir terjawab yang dinilai {person.key} di siklus {cycle.code}")
        title = f"{person.name} ({person.key})"
        deadline = phases.get("document-review")
    elif kind == L.OPD:
        owner = get_opd(session, cycle=cycle, code=subject)
        rows = _opd_rows(session, cycle, owner.code)
        if not rows:
            raise RefusedError(
                _("OPD {opd} owns no indicator in cycle {cycle}; there is nothing to fill in").format(
                    opd=owner.code, cycle=cycle.code
                )
            )
        title = f"{owner.name} ({owner.code})"
        deadline = phases.get("self-assessment")
    else:
        person = get_person(session, cycle=cycle, key=subject)
        rows = _assessor_rows(session, cycle, person.key)
        if not rows:
            raise RefusedError(
                _("{person} is not the assessor of any indicator in cycle {cycle}").format(
                    person=person.key, cycle=cycle.code
                )
            )
        title = f"{person.name} ({person.key})"
        deadline = phases.get("document-review")
    issued_at = clock.now()
    meta = {
        "format": FORMAT,
        "kind": kind,
        "cycle": cycle.code,
        "subject": subject,
        "issued_at": issued_at.isoformat(),
        "issued_by": actor,
        "signature": sign(kind=kind, cycle=cycle.code, subject=subject, secret=secret),
        "neutralised": L.NEUTRALISED,
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    if out.suffix.lower() == ".csv":
        _write_csv(out, kind, rows, meta)
    else:
        help_lines = _help_lines(kind, cycle, title, issued_at, deadline.deadline_at if deadline else None)
        _write_xlsx(out, kind, rows, meta, framework, help_lines)
    record(
        session,
        cycle_id=cycle.id,
        actor=actor,
        action="template.issued",
        subject=f"{kind}:{subject}",
        detail={"file": out.name, "rows": len(rows), "format": out.suffix.lower().lstrip(".")},
    )
    return TemplateInfo(kind, cycle.code, subject, out, len(rows), issued_at, meta)


def _opd_rows(session: Session, cycle: m.Cycle, opd: str) -> list[dict[str, Any]]:
    numbers = [
        a.indicator_number
        for a in session.exec(
            select(m.Assignment)
            .where(m.Assignment.cycle_id == cycle.id, m.Assignment.owner_opd == opd)
            .order_by(m.Assignment.indicator_number)
        )
    ]
    indicators, latest = _indicators_and_latest(session, cycle)
    reviews = latest_reviews(session, cycle=cycle)
    rows = []
    for n in numbers:
        ind = indicators[n]
        sub = latest.get(n)
        rev = reviews.get(sub.id) if sub else None
        rows.append(
            {
                "indicator": n,
                "indicator_name": ind.name,
                "aspect": ind.aspect,
                "status": _status_id(sub, rev),
                "assessor_note": rev.note if rev else None,
                "level": sub.level if sub else None,
                "explanation": sub.explanation if sub else None,
                "evidence": list(sub.evidence or []) if sub else [],
                "note": sub.note if sub else None,
            }
        )
    return rows


def _assessor_rows(session: Session, cycle: m.Cycle, assessor: str) -> list[dict[str, Any]]:
    assignments = session.exec(
        select(m.Assignment)
        .where(m.Assignment.cycle_id == cycle.id, m.Assignment.assessor_key == assessor)
        .order_by(m.Assignment.indicator_number)
    ).all()
    indicators, latest = _indicators_and_latest(session, cycle)
    reviews = latest_reviews(session, cycle=cycle)
    checks = {c.url: c for c in session.exec(select(m.EvidenceCheck).where(m.EvidenceCheck.cycle_id == cycle.id))}
    rows = []
    for a in assignments:
        ind = indicators[a.indicator_number]
        sub = latest.get(a.indicator_number)
        rev = reviews.get(sub.id) if sub else None
        evidence = list(sub.evidence or []) if sub else []
        statuses = []
        for url in evidence:
            check = checks.get(url)
            label = _(L.LINK_STATUS_ID[check.status if check else None])
            statuses.append(f"{label} ({check.http_status})" if check and check.http_status else label)
        rows.append(
            {
                "indicator": a.indicator_number,
                "indicator_name": ind.name,
                "opd": a.owner_opd,
                "version": sub.version if sub else None,
                "claimed_level": sub.level if sub else "belum ada kiriman",
                "explanation": sub.explanation if sub else None,
                "evidence": evidence,
                "link_status": statuses,
                "opd_note": sub.note if sub else None,
                "level": rev.level if rev else None,
                "verdict": VERDICT_ID[rev.verdict] if rev else None,
                "note": rev.note if rev else None,
            }
        )
    return rows


def _indicators_and_latest(session: Session, cycle: m.Cycle):
    indicators = {i.number: i for i in session.exec(select(m.Indicator).where(m.Indicator.cycle_id == cycle.id))}
    latest: dict[int, m.Submission] = {}
    for s in session.exec(select(m.Submission).where(m.Submission.cycle_id == cycle.id).order_by(m.Submission.version)):
        latest[s.indicator_number] = s
    return indicators, latest


def _status_id(sub: m.Submission | None, rev: m.Review | None) -> str:
    if sub is None:
        return "Belum diisi"
    late = " (terlambat)" if sub.late else ""
    if rev is None:
        return f"Versi {sub.version} terkirim, menunggu reviu{late}"
    if rev.verdict == "revise":
        return f"Versi {sub.version}: perlu perbaikan{late}"
    return f"Versi {sub.version}: diterima, level {rev.level}{late}"


def _cell_text(value: Any, *, sep: str) -> Any:
    if isinstance(value, list):
        return sep.join(str(v) for v in value) or None
    return value


def _write_csv(path: Path, kind: str, rows: list[dict[str, Any]], meta: dict[str, str]) -> None:
    """Semicolon and a BOM: what Excel in an Indonesian locale opens as columns without an import wizard."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    keys = [c.key for c in L.COLUMNS[kind]]
    meta_values = [meta[v] for v in L.CSV_META.values()]
    writer.writerow(keys + list(L.CSV_META) + [L.CSV_NEUTRALISED])
    for row in rows:
        cells = ["" if v is None else str(v) for v in (_cell_text(row.get(k), sep=" ") for k in keys)]
        quoted = " ".join(
            f"{k}:{text_digest(text)}" for k, text in zip(keys, cells, strict=True) if is_formula_like(text)
        )
        writer.writerow([safe_cell(text) for text in cells] + meta_values + [quoted])
    path.write_bytes(b"\xef\xbb\xbf" + buffer.getvalue().encode("utf-8"))


def _write_xlsx(
    path: Path,
    kind: str,
    rows: list[dict[str, Any]],
    meta: dict[str, str],
    framework: Framework,
    help_lines: list[str],
) -> None:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill, Protection
    from openpyxl.utils import get_column_letter

    header_fill = PatternFill("solid", fgColor="1F4E78")
    locked_fill = PatternFill("solid", fgColor="EDEDED")
    input_fill = PatternFill("solid", fgColor="FFF2CC")
    wrap = Alignment(wrap_text=True, vertical="top")

    wb = Workbook()
    help_ws = wb.active
    help_ws.title = L.HELP_SHEET
    help_ws.column_dimensions["A"].width = 110
    for i, line in enumerate(help_lines, start=1):
        cell = help_ws.cell(row=i, column=1)
        write_text_cell(cell, line)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        if i == 1:
            cell.font = Font(bold=True, size=13)

    ws = wb.create_sheet(L.DATA_SHEET[kind])
    columns = L.COLUMNS[kind]
    for j, col in enumerate(columns, start=1):
        cell = ws.cell(row=1, column=j, value=col.label)
        cell.font = Font(bold=True, color="FFFFFF")
        cell.fill = header_fill
        cell.alignment = Alignment(wrap_text=True, vertical="center")
        ws.column_dimensions[get_column_letter(j)].width = col.width
    for i, row in enumerate(rows, start=2):
        for j, col in enumerate(columns, start=1):
            cell = ws.cell(row=i, column=j)
            write_text_cell(cell, _cell_text(row.get(col.key), sep="\n"))
            cell.alignment = wrap
            cell.fill = input_fill if col.editable else locked_fill
            if col.editable:
                cell.protection = Protection(locked=False)
    last = max(len(rows) + 1, 2)
    if kind in (L.OPD_ITEMS, L.ASSESSOR_ITEMS):
        _item_validations(ws, kind, columns, last)
    else:
        _level_validations(ws, kind, columns, rows, framework, last)
    ws.freeze_panes = "C2"
    # Against accidental edits only (no password): what protects the store is the importer's checks.
    ws.protection.sheet = True
    ws.protection.formatColumns = False
    ws.protection.formatRows = False
    _levels_sheet(wb, framework, wrap)

    meta_ws = wb.create_sheet(L.META_SHEET)
    for i, key in enumerate(L.META_KEYS, start=1):
        meta_ws.cell(row=i, column=1, value=key)
        write_text_cell(meta_ws.cell(row=i, column=2), meta[key])
    meta_ws.sheet_state = "hidden"
    wb.active = wb.index(ws)
    wb.properties.creator = "spbe"
    wb.save(path)


def _item_validations(ws, kind: str, columns, last: int) -> None:
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    lists = {"aim": '"1,2,3,4,5"', "verdict": '"diterima,revisi"', "kind": '"bukti_tidak_tepat,belum_diunggah"'}
    for j, col in enumerate(columns, start=1):
        if col.key in lists:
            letter = get_column_letter(j)
            check = DataValidation(type="list", formula1=lists[col.key], allow_blank=True, showErrorMessage=True)
            check.add(f"{letter}2:{letter}{last}")
            ws.add_data_validation(check)


def _level_validations(ws, kind: str, columns, rows, framework: Framework, last: int) -> None:
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    level_col = get_column_letter(next(j for j, c in enumerate(columns, start=1) if c.key == "level"))
    # One list per level scale: a service indicator's prompt names Informasi..Optimalisasi, the others
    # Rintisan..Optimum (59/2020); the numbers 1-5 are the same on every scale.
    by_scale: dict[str, list[int]] = {}
    for i, row in enumerate(rows, start=2):
        by_scale.setdefault(framework.scale_for(int(row["indicator"])).key, []).append(i)
    if not by_scale:
        by_scale[framework.default_scale.key] = [2]
    for scale in framework.all_scales():
        if scale.key not in by_scale:
            continue
        names = "; ".join(f"{lv.level} {lv.name}" for lv in scale.levels)
        levels = DataValidation(
            type="list",
            formula1='"1,2,3,4,5"',
            allow_blank=True,
            showErrorMessage=True,
            showInputMessage=True,
            errorTitle="Level tidak valid",
            error="Pilih level 1 sampai 5 dari daftar.",
            promptTitle="Level 1-5",
            prompt=names[:250],
        )
        for start, end in _runs(by_scale[scale.key]):
            levels.add(f"{level_col}{start}:{level_col}{end}" if end > start else f"{level_col}{start}")
        ws.add_data_validation(levels)
    if kind == L.ASSESSOR:
        verdict_col = get_column_letter(next(j for j, c in enumerate(columns, start=1) if c.key == "verdict"))
        verdicts = DataValidation(
            type="list",
            formula1='"terima,revisi"',
            allow_blank=True,
            showErrorMessage=True,
            errorTitle="Keputusan tidak valid",
            error="Pilih terima atau revisi.",
        )
        verdicts.add(f"{verdict_col}2:{verdict_col}{last}")
        ws.add_data_validation(verdicts)


def _levels_sheet(wb, framework: Framework, wrap) -> None:
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    lv_ws = wb.create_sheet(L.LEVELS_SHEET)
    for j, (label, width) in enumerate((("Level", 8), ("Nama", 26), ("Yang diminta", 100)), start=1):
        cell = lv_ws.cell(row=1, column=j, value=label)
        cell.font = Font(bold=True)
        lv_ws.column_dimensions[get_column_letter(j)].width = width
    for i, lv in enumerate(framework.levels, start=2):
        lv_ws.cell(row=i, column=1, value=lv.level)
        write_text_cell(lv_ws.cell(row=i, column=2), lv.label)
        write_text_cell(lv_ws.cell(row=i, column=3), lv.asks)
        lv_ws.cell(row=i, column=3).alignment = wrap
    row = len(framework.levels) + 3
    for scale in framework.scales:  # indicators with their own scale (59/2020: services 32-47)
        members = ", ".join(f"{a}-{b}" if b > a else str(a) for a, b in _runs(sorted(scale.indicators)))
        write_text_cell(lv_ws.cell(row=row, column=1), f"{scale.title}: indikator {members}")
        lv_ws.cell(row=row, column=1).font = Font(bold=True)
        for k, lv in enumerate(scale.levels, start=row + 1):
            lv_ws.cell(row=k, column=1, value=lv.level)
            write_text_cell(lv_ws.cell(row=k, column=2), lv.label)
            write_text_cell(lv_ws.cell(row=k, column=3), lv.asks)
            lv_ws.cell(row=k, column=3).alignment = wrap
        row += len(scale.levels) + 2


def _runs(numbers: list[int]) -> list[tuple[int, int]]:
    """[2, 3, 4, 7] → [(2, 4), (7, 7)]: consecutive rows share one validation range."""
    out: list[tuple[int, int]] = []
    for n in numbers:
        if out and n == out[-1][1] + 1:
            out[-1] = (out[-1][0], n)
        else:
            out.append((n, n))
    return out


def _help_lines(kind: str, cycle: m.Cycle, title: str, issued_at: datetime, deadline: datetime | None) -> list[str]:
    when = tanggal_jam(issued_at, cycle.timezone)
    due = tanggal_jam(deadline, cycle.timezone) if deadline else "batas waktu tahap ini"
    common_tail = [
        "Jangan menggunakan rumus (formula) di sel mana pun: sel berisi rumus ditolak saat impor. Teks yang diawali "
        "=, +, - atau @ tetap disimpan sebagai teks.",
        "Jangan mengubah kolom berwarna abu-abu, nama lembar, urutan kolom, atau lembar tersembunyi. Berkas ini "
        "ditandatangani secara digital untuk penerimanya; berkas yang diubah untuk pihak lain akan ditolak.",
        "Impor bersifat semua-atau-tidak-sama-sekali: jika satu baris salah, tidak ada yang disimpan dan "
        "setiap kesalahan disebutkan (lembar, baris, kolom). Perbaiki lalu kirim ulang berkas yang sama.",
        "Mengimpor berkas yang sama dua kali tidak menambah apa pun.",
    ]
    if kind == L.OPD_ITEMS:
        lines = [
            f"Petunjuk pengisian: Penilaian Mandiri per butir bukti dukung {cycle.year}",
            f"Berkas ini diterbitkan untuk {title} pada {when}, khusus untuk perangkat daerah tersebut.",
            f'1. Lembar "{L.DATA_SHEET[kind]}": satu baris per butir yang dijawab perangkat daerah Anda, per '
            "indikator dan tingkat, dengan kriteria tingkatnya. Hanya kolom berwarna kuning yang diisi.",
            '2. "Tingkat sasaran indikator": tingkat yang dituju tahun ini (1-5), cukup pada satu baris per '
            "indikator; butir utama sampai tingkat itu wajib dijawab pada penilaian mandiri.",
            '3. "Bukti": tautan https:// atau rujukan berkas yang sudah diunggah (file:sha256:...), satu per baris.',
            "4. Butir di atas tingkat yang belum diterima penuh ditolak otomatis sampai tingkat itu diterima.",
            f"5. Kirim kembali berkas ini sebelum {due}; setiap jawaban disimpan sebagai versi baru.",
        ]
    elif kind == L.ASSESSOR_ITEMS:
        lines = [
            f"Petunjuk pengisian: Reviu per butir bukti dukung {cycle.year}",
            f"Berkas ini diterbitkan untuk asesor {title} pada {when}.",
            f'1. Lembar "{L.DATA_SHEET[kind]}" memuat butir yang sudah dijawab pada indikator yang Anda nilai.',
            '2. "Keputusan": diterima, atau revisi dengan "Alasan revisi" (bukti_tidak_tepat atau belum_diunggah) '
            'dan "Catatan asesor" yang menyebut apa yang harus diperbaiki.',
            "3. Jika perangkat daerah mengirim versi baru setelah berkas ini diterbitkan, baris itu ditolak saat "
            "impor: minta berkas baru.",
            f"4. Kirim kembali berkas ini kepada koordinator SPBE sebelum {due}.",
        ]
    elif kind == L.OPD:
        lines = [
            f"Petunjuk pengisian: Penilaian Mandiri SPBE {cycle.year}",
            f"Berkas ini diterbitkan untuk {title} pada {when}, khusus untuk perangkat daerah tersebut.",
            f'1. Isi lembar "{L.DATA_SHEET[kind]}": satu baris untuk setiap indikator yang menjadi tanggung jawab '
            "perangkat daerah Anda. Hanya kolom berwarna kuning yang diisi.",
            '2. "Level diklaim": pilih 1 sampai 5 dari daftar. Arti setiap level ada di lembar '
            f'"{L.LEVELS_SHEET}"; setiap level mensyaratkan terpenuhinya level di bawahnya.',
            '3. "Bukti dukung": tempel tautan https:// ke dokumen pendukung, satu tautan per baris (Alt+Enter), '
            'paling banyak 20. Pastikan tautan dapat dibuka asesor tanpa login (Google Drive: "Siapa saja yang '
            'memiliki link"). Dokumen harus mencerminkan kondisi nyata di lapangan.',
            '4. "Penjelasan" (maks. 4000 karakter) dan "Catatan" (maks. 2000 karakter): teks biasa.',
            "5. Baris yang kolom kuningnya kosong dilewati; mengosongkan baris tidak menghapus kiriman sebelumnya.",
            f"6. Kirim kembali berkas ini kepada koordinator SPBE sebelum {due}. Setiap kiriman disimpan sebagai "
            "versi baru; kiriman setelah batas waktu tetap disimpan dan ditandai terlambat.",
            '7. Jika asesor meminta perbaikan (lihat "Status saat ini" dan "Catatan asesor"), perbarui isian '
            "lalu kirim ulang.",
        ]
    else:
        lines = [
            f"Petunjuk pengisian: Reviu Asesor SPBE {cycle.year}",
            f"Berkas ini diterbitkan untuk asesor {title} pada {when}.",
            f'1. Lembar "{L.DATA_SHEET[kind]}" memuat indikator yang ditugaskan kepada Anda beserta versi '
            "terakhir kiriman perangkat daerah, bukti dukung, dan status tautannya.",
            '2. "Level tervalidasi": pilih 1 sampai 5 (wajib bila keputusan terima).',
            '3. "Keputusan": terima, atau revisi bila perangkat daerah harus memperbaiki; "Catatan asesor" '
            "wajib diisi untuk revisi dan sebaiknya menyebut apa yang harus diperbaiki.",
            "4. Jika perangkat daerah mengirim versi baru setelah berkas ini diterbitkan, baris tersebut ditolak "
            "saat impor: minta berkas baru kepada koordinator.",
            "5. Anda tidak dapat menilai indikator milik perangkat daerah Anda sendiri (konflik kepentingan).",
            f"6. Kirim kembali berkas ini kepada koordinator SPBE sebelum {due}.",
        ]
    numbered = sum(1 for line in lines if line[:1].isdigit())  # the two heading lines carry no number
    return lines + [f"{i}. {text}" for i, text in enumerate(common_tail, start=numbered + 1)]
