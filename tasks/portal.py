"""The portal's uploads as tasks: a received file is checked and written in one transaction, or nothing is."""

from __future__ import annotations

from pathlib import Path

from prefect import task

from spbe.store.db import require_schema, session_scope
from tasks.common import RETRY


@task(name="portal-import-file", task_run_name="import {subject}", **RETRY)
def portal_import_task(path: str, actor: str, subject: str) -> dict:
    from spbe.intake.importer import import_file

    with session_scope(require_schema()) as session:
        return import_file(session, path=Path(path), actor=actor).as_dict()


@task(name="portal-store-evidence", task_run_name="evidence {opd} · indicator {indicator}", **RETRY)
def store_evidence_task(
    path: str,
    name: str,
    actor: str,
    opd: str,
    indicator: int,
    level: int | None,
    links: list[str],
    explanation: str | None,
    note: str | None,
) -> dict:
    from spbe.portal.answers import answer_with_file
    from spbe.services.cycles import current_cycle

    with session_scope(require_schema()) as session:
        cycle = current_cycle(session)
        return answer_with_file(
            session,
            cycle=cycle,
            actor=actor,
            opd=opd,
            indicator=indicator,
            data=Path(path).read_bytes(),
            name=name,
            level=level,
            links=links,
            explanation=explanation,
            note=note,
        )


@task(name="portal-store-item-evidence", task_run_name="evidence {opd} · item {code}", **RETRY)
def store_item_evidence_task(
    path: str, name: str, actor: str, opd: str, code: str, links: list[str], note: str | None
) -> dict:
    from spbe.portal.answers import answer_item_with_file
    from spbe.services.cycles import current_cycle

    with session_scope(require_schema()) as session:
        return answer_item_with_file(
            session,
            cycle=current_cycle(session),
            actor=actor,
            opd=opd,
            code=code,
            data=Path(path).read_bytes(),
            name=name,
            links=links,
            note=note,
        )
