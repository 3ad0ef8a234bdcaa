"""The shape of the two templates: sheets, columns, and the metadata that identifies a file.

XLSX headers carry the Indonesian label people read; CSV headers carry the English key. The importer
accepts either (headers are matched case-insensitively), so a CSV typed by hand can use the keys.

CSV form (one file, one header line, comma or semicolon, UTF-8 with or without BOM): the data columns
below plus five metadata columns repeated on every row (`template_kind`, `template_cycle`,
`template_subject`, `template_issued_at`, `template_signature`), and `template_neutralised`, which lists
the cells of that row the template neutralised. `spbe template --out FILE.csv` writes it; several evidence
links go in one cell separated by spaces.
"""

from __future__ import annotations

from dataclasses import dataclass

from spbe.linkcheck.policy import STATUS_ID as LINK_STATUS_ID  # noqa: F401  (re-exported for templates)

OPD = "opd"
ASSESSOR = "assessor"
# Under an items framework (Pemdi) the same two templates list evidence items instead of indicators.
OPD_ITEMS = "opd-items"
ASSESSOR_ITEMS = "assessor-items"
KINDS = (OPD, ASSESSOR, OPD_ITEMS, ASSESSOR_ITEMS)
ITEM_KIND = {OPD: OPD_ITEMS, ASSESSOR: ASSESSOR_ITEMS}
OPD_KINDS = (OPD, OPD_ITEMS)

META_SHEET = "_meta"
LEVELS_SHEET = "Tingkat Kematangan"
HELP_SHEET = "Petunjuk"
DATA_SHEET = {
    OPD: "Penilaian Mandiri",
    ASSESSOR: "Reviu Asesor",
    OPD_ITEMS: "Butir Bukti Dukung",
    ASSESSOR_ITEMS: "Reviu Butir",
}

META_KEYS = ("format", "kind", "cycle", "subject", "issued_at", "issued_by", "signature", "neutralised")
# How the template kept formula-like text from being evaluated (spbe.safe_text). "quote-prefix": XLSX cells
# hold the text itself with Excel's quote-prefix style, so nothing is stripped on import. Files issued
# before this key existed hold a leading apostrophe in the value, which the reader strips (legacy).
NEUTRALISED = "quote-prefix"
CSV_META = {
    "template_kind": "kind",
    "template_cycle": "cycle",
    "template_subject": "subject",
    "template_issued_at": "issued_at",
    "template_signature": "signature",
}
# Per CSV row: the cells the template wrote with a neutralising apostrophe, as `key:digest` pairs (a digest
# of the text as stored). The reader strips an apostrophe only from a cell still holding exactly that text:
# one a person typed is kept.
CSV_NEUTRALISED = "template_neutralised"
MAX_ROWS = 2000  # data rows read from one file; a template holds at most one row per indicator


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    width: int
    editable: bool = False


COLUMNS: dict[str, tuple[Column, ...]] = {
    OPD: (
        Column("indicator", "No. Indikator", 10),
        Column("indicator_name", "Indikator", 48),
        Column("aspect", "Aspek", 26),
        Column("status", "Status saat ini", 26),
        Column("assessor_note", "Catatan asesor", 36),
        Column("level", "Level diklaim (1-5)", 14, editable=True),
        Column("explanation", "Penjelasan", 48, editable=True),
        Column("evidence", "Bukti dukung (URL, satu per baris)", 48, editable=True),
        Column("note", "Catatan", 30, editable=True),
    ),
    ASSESSOR: (
        Column("indicator", "No. Indikator", 10),
        Column("indicator_name", "Indikator", 40),
        Column("opd", "Perangkat Daerah", 16),
        Column("version", "Versi", 8),
        Column("claimed_level", "Level diklaim", 10),
        Column("explanation", "Penjelasan OPD", 40),
        Column("evidence", "Bukti dukung", 44),
        Column("link_status", "Status tautan", 22),
        Column("opd_note", "Catatan OPD", 28),
        Column("level", "Level tervalidasi (1-5)", 14, editable=True),
        Column("verdict", "Keputusan (terima/revisi)", 16, editable=True),
        Column("note", "Catatan asesor", 40, editable=True),
    ),
    OPD_ITEMS: (
        Column("indicator", "Indikator", 9),
        Column("indicator_name", "Nama indikator", 30),
        Column("level", "Tingkat", 8),
        Column("criterion", "Kriteria tingkat", 40),
        Column("code", "Kode butir", 12),
        Column("official_code", "Kode kementerian", 12),
        Column("role", "Peran", 10),
        Column("text", "Bukti yang diminta", 50),
        Column("status", "Status saat ini", 24),
        Column("assessor_note", "Catatan asesor", 32),
        Column("aim", "Tingkat sasaran indikator (1-5)", 12, editable=True),
        Column("evidence", "Bukti (URL atau file:sha256:..., satu per baris)", 44, editable=True),
        Column("note", "Catatan", 30, editable=True),
    ),
    ASSESSOR_ITEMS: (
        Column("indicator", "Indikator", 9),
        Column("level", "Tingkat", 8),
        Column("code", "Kode butir", 12),
        Column("text", "Bukti yang diminta", 44),
        Column("opd", "Perangkat Daerah", 14),
        Column("version", "Versi", 7),
        Column("evidence", "Bukti", 44),
        Column("opd_note", "Catatan OPD", 28),
        Column("status", "Status saat ini", 20),
        Column("verdict", "Keputusan (diterima/revisi)", 14, editable=True),
        Column("kind", "Alasan revisi (bukti_tidak_tepat/belum_diunggah)", 18, editable=True),
        Column("note", "Catatan asesor", 36, editable=True),
    ),
}

# The columns the importer reads; the rest are information for the person filling the file in.
READ = {
    OPD: ("indicator", "level", "explanation", "evidence", "note"),
    ASSESSOR: ("indicator", "version", "level", "verdict", "note"),
    OPD_ITEMS: ("code", "aim", "evidence", "note"),
    ASSESSOR_ITEMS: ("code", "version", "verdict", "kind", "note"),
}
INPUTS = {kind: tuple(c.key for c in cols if c.editable) for kind, cols in COLUMNS.items()}


def header_map(kind: str) -> dict[str, str]:
    """Header text (case-folded) → column key, for both the label and the key itself."""
    out: dict[str, str] = {}
    for col in COLUMNS[kind]:
        out[col.label.casefold()] = col.key
        out[col.key.casefold()] = col.key
    return out


def column(kind: str, key: str) -> Column:
    return next(c for c in COLUMNS[kind] if c.key == key)
