"""Tasks of the evidence link check: read the links, check them in batches, record and notify.

Batches, not one task per URL (a task run costs ~5 ms and ~20 KB on the Prefect server). No caching:
a link checked an hour ago may be broken now. Network work runs outside any database transaction.
"""

from __future__ import annotations

from prefect import task
from prefect.cache_policies import NONE as NO_CACHE

from spbe import clock
from spbe.i18n import _
from spbe.linkcheck.checker import LinkChecker, LinkResult
from spbe.linkcheck.policy import EvidenceSettings
from spbe.linkcheck.service import EvidenceLink, collect_links, evidence_settings, record_results
from spbe.services.cycles import current_cycle
from spbe.services.people import Actor, require_coordinator_or_timekeeper
from spbe.store.db import require_schema, session_scope
from tasks.common import RETRY

BATCH = 200  # URLs per task run; inside a batch the checker's own concurrency applies


@task(name="collect-evidence-links", task_run_name="collect evidence links", cache_policy=NO_CACHE, **RETRY)
def collect_evidence_links(cycle_code: str | None, actor: Actor) -> tuple[str, list[EvidenceLink], EvidenceSettings]:
    """The links to check; a check tells OPDs of their broken links, so a coordinator asks (or an opening)."""
    with session_scope(require_schema()) as session:
        cycle = current_cycle(session, cycle_code)
        require_coordinator_or_timekeeper(session, cycle, actor, doing=_("check the evidence links"))
        return cycle.code, collect_links(session, cycle=cycle), evidence_settings(cycle)


@task(name="check-link-batch", task_run_name="check links {first}-{last}", cache_policy=NO_CACHE)
def check_link_batch(urls: list[str], settings: EvidenceSettings, first: int, last: int) -> list[LinkResult]:
    return LinkChecker(settings).check_all_sync(urls)


@task(name="record-link-results", task_run_name="record link status", cache_policy=NO_CACHE, **RETRY)
def record_link_results(cycle_code: str, links: list[EvidenceLink], results: list[LinkResult]) -> dict:
    with session_scope(require_schema()) as session:
        cycle = current_cycle(session, cycle_code)
        report = record_results(session, cycle=cycle, links=links, results=results, now=clock.now())
        return report.as_dict()


@task(name="publish-link-artifact", task_run_name="publish broken links")
def publish_link_artifact(summary: dict) -> None:
    from prefect.artifacts import create_table_artifact

    broken = [
        {
            "indikator": r["indicator"],
            "OPD": r["opd"] or "-",
            "tautan": r["url"],
            "status": r["status"],
            "keterangan": r["detail"] or "",
        }
        for r in summary["results"]
        if r["status"] != "ok"
    ]
    create_table_artifact(
        table=broken
        or [{"indikator": "-", "OPD": "-", "tautan": "semua tautan dapat dibuka", "status": "ok", "keterangan": ""}],
        key=f"{summary['cycle']}-evidence-links".lower(),
        description=f"Evidence links not ok: {len(broken)} of {summary['links']}",
    )
