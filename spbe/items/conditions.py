"""Conditions some evidence must meet, so intake can warn before an assessor sends the item back.

I10–I12 rest on the city's IKASANDI result (BSSN), uploaded and judged like any item: levels 1–2 accept
a self-assessment, level 3 and up need BSSN's verification, and the result must be at most 12 months
old. These are data (`[[item_conditions]]` in framework.toml), attached to the items they match; the
check itself is a pure function of the facts intake knows (the result's date, who verified it).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from dateutil.relativedelta import relativedelta

from spbe.items.catalog import ITEM_LEVELS, Item
from spbe.items.provenance import Provenance, read_provenance


@dataclass(frozen=True, slots=True)
class EvidenceCondition:
    id: str
    indicators: frozenset[int]
    from_level: int  # applies on this level and above
    text_contains: str  # only items whose text contains this (case-insensitive); "" = every item
    max_age_months: int | None  # the evidence's own date may be at most this old
    verified_by: str | None  # who must have verified the result (e.g. "BSSN")
    text: str  # the condition as people read it
    provenance: Provenance

    def applies_to(self, item: Item) -> bool:
        return (
            item.indicator in self.indicators
            and item.level >= self.from_level
            and self.text_contains.casefold() in item.text.casefold()
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "indicators": [f"I{n}" for n in sorted(self.indicators)],
            "from_level": self.from_level,
            "text_contains": self.text_contains,
            "max_age_months": self.max_age_months,
            "verified_by": self.verified_by,
            "text": self.text,
            **self.provenance.as_dict(),
        }


def evidence_warnings(
    condition: EvidenceCondition, *, on: date, evidence_date: date | None = None, verified_by: str | None = None
) -> tuple[str, ...]:
    """What is wrong with evidence for an item under `condition`, as sentences (empty if nothing).

    Unknown facts are warned about, not assumed: a missing date or verifier is itself a warning when the
    condition asks for it.
    """
    out: list[str] = []
    if condition.max_age_months is not None:
        oldest = on - relativedelta(months=condition.max_age_months)
        if evidence_date is None:
            out.append(f"{condition.text}: tanggal hasil belum dicatat")
        elif evidence_date < oldest:
            out.append(
                f"{condition.text}: hasil bertanggal {evidence_date:%d-%m-%Y}, lebih tua dari "
                f"{condition.max_age_months} bulan (paling lama {oldest:%d-%m-%Y})"
            )
        elif evidence_date > on:
            out.append(f"{condition.text}: tanggal hasil {evidence_date:%d-%m-%Y} ada di masa depan")
    if condition.verified_by is not None:
        if not verified_by:
            out.append(f"{condition.text}: belum tercatat diverifikasi {condition.verified_by}")
        elif verified_by.strip().casefold() != condition.verified_by.casefold():
            out.append(f"{condition.text}: diverifikasi {verified_by.strip()}, bukan {condition.verified_by}")
    return tuple(out)


def parse_conditions(
    raw: object, *, indicators: Sequence[int], where: str, problems: list[str]
) -> tuple[EvidenceCondition, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list):
        problems.append(f"{where}: `item_conditions` harus daftar tabel [[item_conditions]]")
        return ()
    out: list[EvidenceCondition] = []
    ids: set[str] = set()
    for n, table in enumerate(raw, start=1):
        at = f"{where} [[item_conditions]] ke-{n}"
        if not isinstance(table, Mapping):
            problems.append(f"{at}: harus tabel")
            continue
        before = len(problems)
        cid = str(table.get("id", "")).strip()
        if not cid or cid in ids:
            problems.append(f"{at}: `id` harus diisi dan unik, ada {cid!r}")
        ids.add(cid)
        numbers = table.get("indicators")
        if (
            not isinstance(numbers, list)
            or not numbers
            or any(isinstance(x, bool) or not isinstance(x, int) or x not in indicators for x in numbers)
        ):
            problems.append(f"{at}: `indicators` harus daftar nomor indikator kerangka ini, ada {numbers!r}")
            numbers = []
        level = table.get("from_level", 1)
        if isinstance(level, bool) or level not in ITEM_LEVELS:
            problems.append(f"{at}: `from_level` harus 1..5, ada {level!r}")
        age = table.get("max_age_months")
        if age is not None and (isinstance(age, bool) or not isinstance(age, int) or age <= 0):
            problems.append(f"{at}: `max_age_months` harus bilangan bulat positif, ada {age!r}")
        verifier = table.get("verified_by")
        if verifier is not None and not str(verifier).strip():
            problems.append(f"{at}: `verified_by` kosong")
        if age is None and verifier is None:
            problems.append(
                f"{at}: isi `max_age_months` dan/atau `verified_by`; tanpa keduanya tidak ada yang diperiksa"
            )
        text = str(table.get("text", "")).strip()
        if not text:
            problems.append(f"{at}: `text` wajib diisi (kalimat syaratnya)")
        provenance = read_provenance(table, at, problems)
        if len(problems) > before:
            continue
        out.append(
            EvidenceCondition(
                id=cid,
                indicators=frozenset(numbers),
                from_level=level,
                text_contains=str(table.get("text_contains", "")).strip(),
                max_age_months=age,
                verified_by=None if verifier is None else str(verifier).strip(),
                text=text,
                provenance=provenance,
            )
        )
    return tuple(out)
