"""What people send through the portal, as flow runs: a filled template imported, an evidence file stored
with the version it belongs to. The Prefect UI shows who sent what and when, as for `spbe import`.

The uploaded bytes never travel as a parameter: the portal writes them to a file under the data directory
with a name of its own (never the uploader's) and passes that path; the run's name says who and for what."""

from __future__ import annotations

from prefect import flow

from tasks.common import typed
from tasks.portal import portal_import_task, store_evidence_task, store_item_evidence_task


def _name(what: str):
    def name() -> str:
        from prefect.runtime import flow_run

        params = flow_run.parameters or {}
        return f"portal · {what} · {params.get('subject') or params.get('opd', '?')} · {params.get('actor', '?')}"

    return name


@flow(name="portal-import", flow_run_name=_name("impor templat"), log_prints=True)
@typed
def portal_import(path: str, actor: str, subject: str) -> dict:
    """A template uploaded on an OPD's or assessor's page: all rows or none."""
    result = portal_import_task(path, actor, subject)
    print(f"{subject}: {len(result['created'])} new, {len(result['unchanged'])} unchanged")
    return result


@flow(name="portal-evidence", flow_run_name=_name("unggah bukti"), log_prints=True)
@typed
def portal_evidence(
    path: str,
    name: str,
    actor: str,
    opd: str,
    indicator: int,
    level: int | None = None,
    links: list[str] | None = None,
    explanation: str | None = None,
    note: str | None = None,
) -> dict:
    """An evidence file uploaded for one indicator: stored by its hash and added to a new version."""
    result = store_evidence_task(path, name, actor, opd, indicator, level, list(links or []), explanation, note)
    print(f"{opd} indicator {indicator}: {result['file']['media_type']} {result['file']['size']} bytes")
    return result


@flow(name="portal-item-evidence", flow_run_name=_name("unggah bukti butir"), log_prints=True)
@typed
def portal_item_evidence(
    path: str, name: str, actor: str, opd: str, code: str, links: list[str] | None = None, note: str | None = None
) -> dict:
    """An evidence file uploaded for one Pemdi item: stored by its hash and added to a new version."""
    result = store_item_evidence_task(path, name, actor, opd, code, list(links or []), note)
    print(f"{opd} butir {code}: {result['file']['media_type']} {result['file']['size']} bytes")
    return result
