"""What is known of one item: accepted, sent back (and why), submitted and waiting, or nothing yet.

These are the words of the ministry's app. `ditolak otomatis` is never entered by anyone: it is derived
(`spbe.items.valuation`) for every item above the first level that is not fully accepted, with the app's
own sentence.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class ItemStatus(StrEnum):
    DITERIMA = "diterima"  # accepted by the assessor
    REVISI = "revisi"  # sent back, with a RevisionKind
    PROSES = "proses"  # submitted (file or link), not judged yet
    BELUM = "belum"  # nothing uploaded
    DITOLAK_OTOMATIS = "ditolak otomatis"  # derived: a lower level is not fully accepted

    @property
    def label(self) -> str:
        return _LABELS[self]


_LABELS = {
    ItemStatus.DITERIMA: "diterima",
    ItemStatus.REVISI: "revisi",
    ItemStatus.PROSES: "proses (sudah diunggah, belum dinilai)",
    ItemStatus.BELUM: "belum diunggah",
    ItemStatus.DITOLAK_OTOMATIS: "ditolak otomatis",
}

AUTO_REJECTION_NOTE = "Otomatis ditolak karena tingkat kematangan sebelumnya ditolak"

#: Statuses a person (OPD or assessor) can give; the rest are derived.
ENTERED_STATUSES = (ItemStatus.DITERIMA, ItemStatus.REVISI, ItemStatus.PROSES, ItemStatus.BELUM)


class RevisionKind(StrEnum):
    """Why an item was sent back (the app's two reasons)."""

    BUKTI_TIDAK_TEPAT = "bukti tidak tepat"
    BELUM_DIUNGGAH = "belum diunggah"


@dataclass(frozen=True, slots=True)
class ItemState:
    """The entered state of one item. Only `revisi` carries a kind (optional: older records lack it)."""

    status: ItemStatus = ItemStatus.BELUM
    revision_kind: RevisionKind | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.status, ItemStatus):
            raise TypeError(f"status must be an ItemStatus, got {self.status!r}")
        if self.status is ItemStatus.DITOLAK_OTOMATIS:
            raise ValueError("'ditolak otomatis' is derived from the lower levels, never entered")
        if self.revision_kind is not None and self.status is not ItemStatus.REVISI:
            raise ValueError(f"a revision kind belongs to 'revisi' only, not {self.status.value!r}")

    @property
    def accepted(self) -> bool:
        return self.status is ItemStatus.DITERIMA

    @property
    def label(self) -> str:
        if self.revision_kind is not None:
            return f"revisi ({self.revision_kind.value})"
        return self.status.label


ACCEPTED = ItemState(ItemStatus.DITERIMA)
NOTHING = ItemState(ItemStatus.BELUM)
