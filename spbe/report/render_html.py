"""The report as one self-contained HTML page: charts embedded as data URIs, every value escaped.

The template (`config/templates/report.html.j2`) is rendered with autoescape on, so text that people
typed (OPD names, titles) can never become markup; a Content-Security-Policy meta tag forbids scripts
and remote loads as a second line of defence.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from functools import cache

from spbe.messages import tanggal, tanggal_jam
from spbe.paths import config_dir
from spbe.report.charts import Chart
from spbe.report.model import ReportData

TEMPLATE = "report.html.j2"


@cache
def _environment():
    from jinja2 import Environment, FileSystemLoader, StrictUndefined

    env = Environment(
        loader=FileSystemLoader(str(config_dir() / "templates")),
        undefined=StrictUndefined,
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["tanggal"] = tanggal
    env.filters["tanggal_jam"] = tanggal_jam
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
