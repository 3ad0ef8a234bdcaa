"""What an OPD answers on its page, through the same services as `spbe submit`: a new version with its
level, links, uploaded files, explanation and note. And who may open an uploaded file.

The form shows the current evidence: its links in a text box, its files as boxes to keep. What is sent is
the whole new evidence list, so removing a link is as easy as adding one; an unchanged form is a no-op
(identical content, services.submissions)."""

from __future__ import annotations

import hashlib
from typing import Any

from sqlmodel import Session, col, select

from spbe.errors import InputError
from spbe.evidence_files import REF_PREFIX, parse_ref, sniff
from spbe.i18n import _
from spbe.services import items as items_svc
from spbe.services import submissions as svc
from spbe.services.evidence_store import add_evidence_file, evidence_root, find_evidence_file
from spbe.services.submission_store import latest_submission
from spbe.settings import get_settings
from spbe.store import models as m
from spbe.store import tables_items as t
from spbe.store.tables_evidence import EvidenceFile

MAX_FILE_BYTES = 20 * 1024 * 1024  # an evidence file (spbe.evidence_files.DEFAULT_MAX_BYTES)
MAX_TEMPLATE_BYTES = 5 * 1024 * 1024  # a filled template


def answer(
    session: Session,
    *,
    cycle: m.Cycle,
    actor: str,
    opd: str,
    indicator: int,
    level: int | None,
    links: list[str],
    explanation: str | None,
    note: str | None,
    new_file: str | None = None,
) -> svc.SubmitResult:
    """A new version from the page's form (the level of the latest version when none is picked).
    `new_file` is the reference of a file stored in the same transaction, right after."""
    if level is None:
        latest = latest_submission(session, cycle=cycle, indicator=indicator)
        if latest is None:
            raise InputError(_("level: choose level 1-5 for this indicator"), source=_where(indicator))
        level = latest.level
    for entry in links:
        if (
            entry != new_file
            and entry.startswith(REF_PREFIX)
            and find_evidence_file(session, cycle=cycle, digest=parse_ref(entry) or "") is None
        ):
            raise InputError(_("evidence: the referenced file is not in storage"), source=_where(indicator))
    return svc.submit(
        session,
        cycle=cycle,
        opd=opd,
        indicator=indicator,
        level=level,
        evidence=links,
        actor=actor,
        explanation=explanation,
        note=note,
        source="portal",
    )


def answer_with_file(
    session: Session,
    *,
    cycle: m.Cycle,
    actor: str,
    opd: str,
    indicator: int,
    data: bytes,
    name: str | None,
    level: int | None,
    links: list[str],
    explanation: str | None,
    note: str | None,
) -> dict[str, Any]:
    """Answer with the file added to the evidence, then store it: a file refused by its name, size or
    content, or an answer the services refuse, leaves nothing on disk or in the store."""
    check_name(name)
    if not data:
        raise InputError(_("empty file"), source=_where(indicator))
    if len(data) > MAX_FILE_BYTES:
        raise InputError(_too_big(), source=_where(indicator))
    sniff(data)  # refuses programs and unknown content before anything else
    ref = REF_PREFIX + hashlib.sha256(data).hexdigest()
    result = answer(
        session,
        cycle=cycle,
        actor=actor,
        opd=opd,
        indicator=indicator,
        level=level,
        links=[*links, ref] if ref not in links else links,
        explanation=explanation,
        note=note,
        new_file=ref,
    )
    row = add_evidence_file(
        session,
        cycle=cycle,
        data=data,
        name=name,
        opd=opd,
        actor=actor,
        root=evidence_root(get_settings().data_dir),
        max_bytes=MAX_FILE_BYTES,
    )
    return {
        "file": {"sha256": row.sha256, "size": row.size, "media_type": row.media_type, "name": row.name},
        "indicator": indicator,
        "version": result.submission.version,
        "created": result.created,
        "late": result.late,
    }


def check_name(name: str | None) -> None:
    """A file's name is a label, never a path: a name that is one (a folder, `..`, a control character)
    is refused outright; browsers send the bare name, so only a crafted request meets this."""
    if name is None:
        return
    if (
        any(c in name for c in "/\\")
        or name.strip() in (".", "..")
        or any(ord(c) < 32 for c in name)
        or len(name) > 255
    ):
        raise InputError(
            _("file name {name} is not valid: send the file alone, without a folder").format(name=repr(name[:60]))
        )


def may_read_file(session: Session, *, cycle: m.Cycle, kind: str, subject: str, digest: str) -> EvidenceFile | None:
    """The file row when this viewer may open it: a coordinator any file of the cycle; an OPD the files
    uploaded for it or named in its own versions; an assessor the files named in versions of indicators
    assigned to them. None otherwise (the page then says "not found", never "forbidden")."""
    row = find_evidence_file(session, cycle=cycle, digest=digest)
    if row is None:
        return None
    if kind == "coordinator":
        return row
    ref = REF_PREFIX + digest
    if kind == "opd":
        if row.opd_code == subject:
            return row
        subs = session.exec(
            select(m.Submission).where(m.Submission.cycle_id == cycle.id, m.Submission.opd_code == subject)
        )
    else:
        mine = [
            a.indicator_number
            for a in session.exec(
                select(m.Assignment).where(m.Assignment.cycle_id == cycle.id, m.Assignment.assessor_key == subject)
            )
        ]
        subs = session.exec(
            select(m.Submission).where(m.Submission.cycle_id == cycle.id, m.Submission.indicator_number.in_(mine))  # type: ignore[attr-defined]
        )
    if any(ref in (s.evidence or []) for s in subs):
        return row
    return row if _in_item_answers(session, cycle=cycle, kind=kind, subject=subject, ref=ref) else None


def _in_item_answers(session: Session, *, cycle: m.Cycle, kind: str, subject: str, ref: str) -> bool:
    """Under Pemdi: the file is named in an answer of this OPD, or of an indicator this assessor judges."""
    query = select(t.ItemAnswer).where(t.ItemAnswer.cycle_id == cycle.id)
    if kind == "opd":
        query = query.where(t.ItemAnswer.opd_code == subject)
    else:
        mine = select(m.Assignment.indicator_number).where(
            m.Assignment.cycle_id == cycle.id, m.Assignment.assessor_key == subject
        )
        query = query.where(col(t.ItemAnswer.indicator_number).in_(mine))
    return any(ref in (a.evidence or []) for a in session.exec(query))


def answer_item(
    session: Session, *, cycle: m.Cycle, actor: str, code: str, links: list[str], note: str | None
) -> items_svc.ItemSubmitResult:
    """A new version of one Pemdi item from the page's form, through the same service as `spbe submit --item`."""
    return items_svc.submit_item(
        session, cycle=cycle, actor=actor, code=code, evidence=links, note=note, source="portal"
    )


def answer_item_with_file(
    session: Session,
    *,
    cycle: m.Cycle,
    actor: str,
    opd: str,
    code: str,
    data: bytes,
    name: str | None,
    links: list[str],
    note: str | None,
) -> dict[str, Any]:
    """Answer an item with the file added to its evidence: the file is checked (name, size, content) before
    anything is written, stored, then the answer recorded; an answer the service refuses takes the stored
    bytes back off the disk (the store's rows roll back with the transaction)."""
    from spbe.evidence_files import path_of

    check_name(name)
    if not data:
        raise InputError(_("empty file"), source=f"butir {code}")
    if len(data) > MAX_FILE_BYTES:
        raise InputError(_too_big(), source=f"butir {code}")
    sniff(data)
    root = evidence_root(get_settings().data_dir)
    digest = hashlib.sha256(data).hexdigest()
    on_disk = path_of(root, digest)
    existed = on_disk.exists()
    try:
        row = add_evidence_file(
            session, cycle=cycle, data=data, name=name, opd=opd, actor=actor, root=root, max_bytes=MAX_FILE_BYTES
        )
        ref = REF_PREFIX + row.sha256
        result = answer_item(
            session, cycle=cycle, actor=actor, code=code, links=[*links, ref] if ref not in links else links, note=note
        )
    except Exception:
        if not existed:
            on_disk.unlink(missing_ok=True)
        raise
    return {
        "file": {"sha256": row.sha256, "size": row.size, "media_type": row.media_type, "name": row.name},
        "item": result.item.code,
        "version": result.answer.version,
        "created": result.created,
        "late": result.late,
    }


def _where(indicator) -> str:
    return _("indicator {indicator}").format(indicator=indicator)


def _too_big() -> str:
    return _("file exceeds the limit of {mb} MB").format(mb=MAX_FILE_BYTES // (1024 * 1024))
