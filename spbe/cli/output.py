"""Printing for the CLI: JSON for machines, plain aligned text for people. Kept free of heavy imports."""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from decimal import Decimal
from typing import Any


def _default(obj: Any) -> Any:
    if isinstance(obj, Decimal):
        return str(obj)
    if hasattr(obj, "isoformat"):
        return obj.isoformat()
    raise TypeError(f"not JSON serialisable: {type(obj).__name__}")


def print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2, default=_default) + "\n")


def table(rows: Sequence[Sequence[Any]], header: Sequence[str]) -> str:
    cells = [[str(c) for c in header]] + [[str(c) for c in r] for r in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(header))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def warn(message: str) -> None:
    """A warning on stderr, beside the error's "galat:" (spbe.cli.main): "peringatan: ..."."""
    from spbe.i18n import _

    sys.stderr.write(_("warning: {message}").format(message=message) + "\n")


def flow_run_line(result: dict[str, Any]) -> str:
    """"flow run: ID" (Prefect's own term), with the run's UI link where a server gave one."""
    from spbe.i18n import _

    line = _("flow run: {id}").format(id=result["flow_run_id"])
    return f"{line}  {result['ui_url']}" if result.get("ui_url") else line


def waiting_line(indicators: Sequence[str]) -> str:
    """The external indicators still without the agency's value ("I5, I7"): each is scored 1 meanwhile."""
    from spbe.i18n import _

    return _("waiting for external values (scored 1): {indicators}").format(indicators=", ".join(indicators))


def unverified_line(framework_id: str) -> str:
    """What every score, plan and catalog says first about a framework whose weights are not yet verified."""
    from spbe.i18n import _

    return _("framework {framework} is UNVERIFIED: weights and predicate bounds come from second-hand sources").format(
        framework=framework_id
    )
