"""Importing a filled template as a task: all or nothing, in one transaction."""

from __future__ import annotations

from pathlib import Path

from prefect import task

from spbe.store.db import require_schema, session_scope
from tasks.common import RETRY


@task(name="import-file", task_run_name="import {path}", **RETRY)
def import_task(path: str, actor: str, dry_run: bool = False) -> dict:
    from spbe.intake.importer import import_file

    with session_scope(require_schema()) as session:
        return import_file(session, path=Path(path), actor=actor, dry_run=dry_run).as_dict()
