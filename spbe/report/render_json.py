"""The report as JSON: the whole data model, for other tools (and for checking it equals `spbe score`)."""

from __future__ import annotations

import json

from spbe.report.model import ReportData


def render(data: ReportData) -> str:
    return json.dumps(data.as_dict(), ensure_ascii=False, indent=2) + "\n"
