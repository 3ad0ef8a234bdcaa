"""Input from OPD admins and assessors: a filled template (XLSX or CSV) imported as one flow run, so the
UI shows who sent what and when. `spbe import FILE` does the same without Prefect."""

from __future__ import annotations

from pathlib import Path

from prefect import flow

from tasks.common import typed
from tasks.intake import import_task


def _run_name() -> str:
    from prefect.runtime import flow_run

    params = flow_run.parameters or {}
    return f"import · {Path(str(params.get('path', '?'))).name} · {params.get('actor', '?')}"


@flow(name="intake-import", flow_run_name=_run_name, log_prints=True)
@typed
def import_input(path: str, actor: str, dry_run: bool = False) -> dict:
    """Import one filled template; a bad file changes nothing and the run fails with every problem listed."""
    result = import_task(path, actor, dry_run=dry_run)
    from prefect.artifacts import create_table_artifact

    from spbe.i18n import _

    if result["created"]:
        create_table_artifact(
            table=result["created"], description=_("Rows imported from {file}").format(file=Path(path).name)
        )
    print(
        _("{file}: {new} new, {unchanged} unchanged, late {late}").format(
            file=Path(path).name,
            new=len(result["created"]),
            unchanged=len(result["unchanged"]),
            late=", ".join(map(str, result["late"])) or "-",
        )
    )
    for warning in result.get("warnings", []):
        print(warning)
    return result
