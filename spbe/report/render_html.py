"""The report as one self-contained HTML page: charts embedded as data URIs, every value escaped.

The template (`config/templates/report.html.j2`) is rendered with autoescape on, so text that people
typed (OPD names, titles) can never become markup; a Content-Security-Policy meta tag forbids scripts
and remote loads as a second line of defence.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence

from spbe.messages import environment
from spbe.report.charts import Chart
from spbe.report.model import ReportData

TEMPLATE = "report.html.j2"


def _environment():
    return environment(html=True)


def render(data: ReportData, charts: Sequence[Chart] = ()) -> str:
    embedded = [
        {
            "key": c.key,
            "title": c.title,
            "uri": "data:image/png;base64," + base64.b64encode(c.png).decode("ascii"),
            "width": c.width,
            "height": c.height,
        }
        for c in charts
    ]
    return _environment().get_template(TEMPLATE).render(d=data, charts=embedded)
