"""`spbe export ministry --out DIR`: the evidence the city's review accepted, laid out per item code so that
entering it into the ministry's app is mechanical.

DIR/<code>/NN-<safe name> are copies of the stored files (spbe/evidence_files), DIR/<code>/tautan.txt
lists the links, DIR/manifest.csv and manifest.json hold one row per file or link (code, official code,
indicator, level, item text, file or link, status, note). Names are made safe (letters, digits, '.', '-',
'_'; never a path). Running it again writes the same tree: files of the previous export that are no longer
accepted are removed (only those its manifest listed). Coordinators only; audited (`export.ministry`),
which the ministry-upload gate reads.
"""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlmodel import Session

from spbe import evidence_files
from spbe.errors import InputError
from spbe.services.evidence_store import evidence_root, find_evidence_file
from spbe.services.people import Actor, actor_id, require_coordinator
from spbe.services.snapshot import EXPORT_ACTION, take_snapshot
from spbe.store import models as m
from spbe.store.audit import record

MANIFEST_COLUMNS = ("code", "official_code", "indicator", "level", "text", "kind", "file", "link", "status", "note")
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def safe_name(name: str, *, limit: int = 80) -> str:
    """A file name that is never a path and never hidden: 'SK Tim/Pemdi 2026.pdf' → 'SK_Tim_Pemdi_2026.pdf'."""
    cleaned = _UNSAFE.sub("_", name).strip("._") or "berkas"
    return cleaned[:limit]


@dataclass(frozen=True)
class ExportResult:
    out: Path
    items: int
    files: int
    links: int
    removed: int

    def as_dict(self) -> dict:
        return {
            "out": str(self.out),
            "items": self.items,
            "files": self.files,
            "links": self.links,
            "removed": self.removed,
        }


def export_ministry(
    session: Session, *, cycle: m.Cycle, actor: Actor, out: Path, data_dir: Path, now: datetime
) -> ExportResult:
    require_coordinator(session, cycle, actor, doing="menyusun ekspor bukti dukung untuk aplikasi kementerian")
    snap = take_snapshot(session, cycle)
    if not snap.by_items:
        raise InputError(
            f"{cycle.framework_id} dinilai per tingkat, bukan per butir: ekspor kementerian per butir "
            "hanya untuk kerangka per butir (pemdi-2026)"
        )
    root = evidence_root(data_dir)
    rows: list[dict[str, str]] = []
    writes: dict[Path, bytes] = {}
    accepted = [i for i in snap.items if i.verdict == "diterima" and i.version is not None]
    for item in accepted:
        folder = safe_name(item.code)
        status = "ditolak otomatis" if item.auto_rejected else "diterima"
        links: list[str] = []
        base = {
            "code": item.code,
            "official_code": item.official_code,
            "indicator": f"I{item.indicator}",
            "level": str(item.level),
            "text": item.text,
            "status": status,
            "note": item.note or "",
        }
        for n, entry in enumerate(item.evidence, start=1):
            digest = evidence_files.parse_ref(entry)
            if digest is None:
                links.append(entry)
                rows.append(base | {"kind": "link", "file": "", "link": entry})
                continue
            stored = find_evidence_file(session, cycle=cycle, digest=digest)
            label = stored.name if stored else digest[:12]
            relative = f"{folder}/{n:02d}-{safe_name(label)}"
            writes[out / relative] = evidence_files.read(root, digest)
            rows.append(base | {"kind": "file", "file": relative, "link": ""})
        if links:
            writes[out / folder / "tautan.txt"] = ("\n".join(links) + "\n").encode("utf-8")
    removed = _remove_previous(out, keep=set(writes))
    for path, data in writes.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists() or path.read_bytes() != data:
            path.write_bytes(data)
    listed = sorted(str(p.relative_to(out)) for p in writes)
    (out / "manifest.json").write_text(
        json.dumps({"cycle": cycle.code, "written": sorted(listed), "rows": rows}, ensure_ascii=False, indent=1),
        encoding="utf-8",
    )
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=MANIFEST_COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    (out / "manifest.csv").write_text(buffer.getvalue(), encoding="utf-8")
    result = ExportResult(
        out, len(accepted), sum(r["kind"] == "file" for r in rows), sum(r["kind"] == "link" for r in rows), removed
    )
    record(
        session,
        cycle_id=cycle.id,
        actor=actor_id(actor),
        action=EXPORT_ACTION,
        subject="ministry",
        detail=result.as_dict() | {"out": out.name},
    )
    return result


def _remove_previous(out: Path, *, keep: set[Path]) -> int:
    """Files the previous export wrote (its manifest says which) that this one does not: removed."""
    manifest = out / "manifest.json"
    if not manifest.is_file():
        return 0
    try:
        written = json.loads(manifest.read_text(encoding="utf-8")).get("written", [])
    except (ValueError, AttributeError):
        return 0
    removed = 0
    for relative in written:
        path = (out / str(relative)).resolve()
        if out.resolve() not in path.parents or path in {p.resolve() for p in keep}:
            continue  # never outside the folder; never what this export writes again
        if path.is_file():
            path.unlink()
            removed += 1
    return removed
