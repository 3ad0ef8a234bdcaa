"""The report as one self-contained HTML page: charts embedded as data URIs, every value escaped.

The template (`config/templates/report.html.j2`) is rendered with autoescape on, so text that people
typed (OPD names, titles) can never become markup; a Content-Security-Policy meta tag forbids scripts
and remote loads as a second line of defence.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence

from spbe.messages import environment
from spbe.number_text import decimal_text, exact_text, signed_text
from spbe.report.charts import Chart
from spbe.report.model import ReportData

TEMPLATE = "report.html.j2"


def _environment():
    """The shared HTML environment, with the number filters the report reads: `angka` ("4,20"),
    `tepat` (an exact value, "4,195") and `bertanda` (a change, "+0,47")."""
    env = environment(html=True)
    env.filters.update(angka=decimal_text, tepat=exact_text, bertanda=signed_text)
    return env


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
