"""The evidence link check as a flow: run when document review opens, and on demand.

Reads like the process: collect the latest evidence links, check them in batches, record each link's
status and tell every OPD with broken links once. Safe to run again: an unchanged result queues no
new notice. `spbe links` runs the same steps without Prefect (spbe.linkcheck.service.run_link_check).
"""

from __future__ import annotations

from prefect import flow

from spbe.services.people import Actor
from tasks.common import typed
from tasks.evidence import BATCH, check_link_batch, collect_evidence_links, publish_link_artifact, record_link_results


def _run_name() -> str:
    from prefect.runtime import flow_run

    code = (flow_run.parameters or {}).get("cycle_code") or "current cycle"
    return f"evidence links · {code}"


@flow(name="check-evidence-links", flow_run_name=_run_name, log_prints=True)
@typed
def check_evidence_links(actor: str, cycle_code: str | None = None) -> dict:
    """A coordinator checks every link now (the opening of document review does it as well)."""
    return evidence_check_steps(actor, cycle_code=cycle_code)


def evidence_check_steps(actor: Actor, *, cycle_code: str | None = None) -> dict:
    """The steps of the check, inside whichever run asked for it (this flow, or a phase's opening)."""
    code, links, settings = collect_evidence_links(cycle_code, actor)
    urls = list(dict.fromkeys(link.url for link in links))
    results = []
    for start in range(0, len(urls), BATCH):
        batch = urls[start : start + BATCH]
        results += check_link_batch(batch, settings, first=start + 1, last=start + len(batch))
    summary = record_link_results(code, links, results)
    publish_link_artifact(summary)
    counts = ", ".join(f"{k} {v}" for k, v in sorted(summary["counts"].items())) or "no links"
    print(
        f"{code}: {summary['links']} evidence link(s) checked ({counts}); {summary['notices_queued']} notice(s) queued"
    )
    return summary
