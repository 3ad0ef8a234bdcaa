"""Rules for the values of item-by-item evidence (Pemdi): an item's evidence (links or stored files), its
verdict, the kind of a revision request and the stage of a judgement. Shared by the CLI, the importer and
the services, so a value is accepted or refused the same way wherever it comes from.

Each parser returns the clean value or raises `ValueError` saying what is wrong; callers add where.
"""

from __future__ import annotations

import re

from spbe.evidence_files import REF_PREFIX
from spbe.intake.values import MAX_EVIDENCE_URLS, parse_url

ITEM_VERDICTS = {
    "diterima": "diterima",
    "terima": "diterima",
    "accept": "diterima",
    "accepted": "diterima",
    "revisi": "revisi",
    "revise": "revisi",
    "perbaikan": "revisi",
    "perbaiki": "revisi",
}
REVISION_KINDS = ("bukti_tidak_tepat", "belum_diunggah")
STAGES = ("internal", "interviu")
_HEX64 = re.compile(r"^[0-9a-f]{64}$")
_SPLIT = re.compile(r"[\s;]+")


def parse_item_verdict(value: object) -> str:
    text = "" if value is None else " ".join(str(value).split()).casefold()
    if not text:
        raise ValueError("kosong; tulis diterima atau revisi")
    try:
        return ITEM_VERDICTS[text]
    except KeyError:
        raise ValueError(f"{text[:40]!r} bukan putusan; tulis diterima atau revisi") from None


def parse_revision_kind(value: object) -> str | None:
    """`bukti_tidak_tepat` / `belum_diunggah` (spaces or hyphens instead of underscores are fine); empty → None."""
    text = "" if value is None else str(value).strip().casefold()
    if not text:
        return None
    token = re.sub(r"[\s-]+", "_", text)
    if token not in REVISION_KINDS:
        raise ValueError(f"{text[:40]!r} bukan alasan revisi; pilih {' atau '.join(REVISION_KINDS)}")
    return token


def parse_stage(value: object) -> str:
    text = "internal" if value is None else str(value).strip().casefold() or "internal"
    if text not in STAGES:
        raise ValueError(f"{text[:40]!r} bukan tahap penilaian; pilih {' atau '.join(STAGES)}")
    return text


def parse_item_evidence(value: object) -> list[str]:
    """Links (http/https, checked as for indicators) and stored-file references (`file:sha256:<hex>`), from
    a list or a cell (separated by new lines, spaces or semicolons); order kept, repeats dropped. Whether a
    referenced file exists in the cycle is the service's check."""
    if value is None:
        return []
    entries = value if isinstance(value, list | tuple) else _SPLIT.split(str(value))
    out: list[str] = []
    problems: list[str] = []
    for entry in entries:
        entry = str(entry).strip()
        if not entry:
            continue
        if entry.casefold().startswith(REF_PREFIX):
            digest = entry[len(REF_PREFIX) :].casefold()
            if not _HEX64.match(digest):
                problems.append(f"{entry[:80]!r} bukan rujukan berkas yang sah (file:sha256:<64 heksadesimal>)")
                continue
            clean = REF_PREFIX + digest
        else:
            try:
                clean = parse_url(entry)
            except ValueError as exc:
                problems.append(str(exc))
                continue
        if clean not in out:
            out.append(clean)
    if problems:
        raise ValueError("; ".join(problems))
    if len(out) > MAX_EVIDENCE_URLS:
        raise ValueError(f"{len(out)} bukti; paling banyak {MAX_EVIDENCE_URLS} per butir (tautkan sebuah folder)")
    return out
