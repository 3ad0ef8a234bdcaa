"""The report's charts as PNG bytes of a fixed pixel size, drawn with matplotlib's Agg backend.

Figures are built with the object API (`Figure` + `FigureCanvasAgg`), never `pyplot`: no global state,
no GUI backend, safe inside a Prefect worker thread. Sizes are fixed (no tight bounding box) so the
HTML and XLSX layouts know what they embed.
"""

from __future__ import annotations

import io
import math
import textwrap
from dataclasses import dataclass
from decimal import Decimal

from spbe.number_text import decimal_text as num
from spbe.report.model import ReportData

DPI = 100
BAR_SIZE = (1000, 560)
RADAR_SIZE = (640, 640)
TREND_SIZE = (900, 480)

BLUE, GREEN, GREY, RED = "#1f5fa8", "#2e8b57", "#9aa5b1", "#c0392b"


@dataclass(frozen=True)
class Chart:
    key: str  # file stem: grafik-<key>.png
    title: str
    png: bytes
    width: int
    height: int

    @property
    def file_name(self) -> str:
        return f"grafik-{self.key}.png"


def draw_all(data: ReportData) -> list[Chart]:
    charts = [aspect_bars(data), trend(data)]
    radar = domain_radar(data)
    if radar is not None:
        charts.insert(1, radar)
    return charts


def aspect_bars(data: ReportData) -> Chart:
    fig, canvas = _figure(BAR_SIZE)
    ax = fig.add_axes((0.36, 0.1, 0.6, 0.8))
    names = [_label(textwrap.fill(a.name, 42)) for a in data.aspects][::-1]
    values = [float(a.index) for a in data.aspects][::-1]
    target = float(data.plan_target)
    colors = [GREEN if v >= target else BLUE for v in values]
    bars = ax.barh(range(len(values)), values, color=colors, height=0.6)
    ax.set_yticks(range(len(values)), names, fontsize=9)
    ax.set_xlim(0, 5.4)
    ax.set_xticks([1, 2, 3, 4, 5])
    ax.axvline(target, color=RED, linestyle="--", linewidth=1.5, label=f"Target {num(data.plan_target)}")
    for bar, aspect in zip(bars, data.aspects[::-1], strict=True):
        value = float(aspect.index)
        ax.text(value + 0.05, bar.get_y() + bar.get_height() / 2, num(aspect.index), va="center", fontsize=9)
    ax.set_xlabel("Indeks")
    ax.legend(loc="lower right", fontsize=9)
    ax.set_title(_label(f"Indeks per aspek {data.year} dan target"), fontsize=12)
    ax.grid(axis="x", color="#e5e8eb")
    ax.set_axisbelow(True)
    return _png(fig, canvas, "aspek", "Indeks per aspek dan target", BAR_SIZE)


def domain_radar(data: ReportData) -> Chart | None:
    """Domains on a radar; a framework without domains (Pemdi) shows its aspects instead."""
    groups, what = (data.domains, "domain") if len(data.domains) >= 3 else (data.aspects, "aspek")
    if len(groups) < 3:
        return None
    fig, canvas = _figure(RADAR_SIZE)
    ax = fig.add_axes((0.18, 0.14, 0.64, 0.7), projection="polar")
    n = len(groups)
    angles = [2 * math.pi * k / n for k in range(n)]
    closed = [*angles, angles[0]]
    values = [float(g.index) for g in groups]
    target = float(data.plan_target)
    ax.plot(closed, [*values, values[0]], color=BLUE, linewidth=2, label=f"{data.index_name} {data.year}")
    ax.fill(closed, [*values, values[0]], color=BLUE, alpha=0.2)
    ax.plot(
        closed, [target] * (n + 1), color=RED, linestyle="--", linewidth=1.5, label=f"Target {num(data.plan_target)}"
    )
    ax.set_theta_offset(math.pi / 2)  # the first group at the top, then clockwise
    ax.set_theta_direction(-1)
    ax.set_ylim(0, 5)
    ax.set_yticks([1, 2, 3, 4, 5], ["1", "2", "3", "4", "5"], fontsize=8)
    ax.set_rlabel_position(180 / n)
    ax.set_xticks(angles, [_label(textwrap.fill(g.name, 18)) for g in groups], fontsize=9)
    ax.tick_params(axis="x", pad=16)
    ax.legend(loc="upper right", bbox_to_anchor=(1.22, 1.16), fontsize=9)
    fig.suptitle(_label(f"Indeks per {what} {data.year}"), fontsize=12)
    return _png(fig, canvas, f"radar-{what}", f"Indeks per {what}", RADAR_SIZE)


def trend(data: ReportData) -> Chart:
    fig, canvas = _figure(TREND_SIZE)
    ax = fig.add_axes((0.08, 0.12, 0.8, 0.76))
    years = [p.year for p in data.history]
    target = float(data.plan_target)
    for lower, upper, shade, name in _bands(data):
        ax.axhspan(lower, upper, color=shade, linewidth=0)
        ax.text(
            1.0,
            (lower + upper) / 2,
            f" {_label(name)}",
            transform=ax.get_yaxis_transform(),
            va="center",
            fontsize=8,
            color="#5f6b7a",
        )
    runs = trend_runs(data)
    for run in runs:
        own = run[0].framework_id == data.framework.id
        label = data.index_name if own else f"{run[0].framework_id or 'kerangka tidak diketahui'} (skala berbeda)"
        ax.plot(
            [p.year for p in run],
            [float(p.index) for p in run],
            color=BLUE if own else GREY,
            marker="o",
            linewidth=2,
            linestyle="-" if own else ":",
            label=label,
        )
    for p in data.history:
        ax.annotate(
            num(p.index), (p.year, float(p.index)), textcoords="offset points", xytext=(0, 8), ha="center", fontsize=9
        )
    if len(runs) > 1:
        ax.text(
            0.01,
            0.02,
            "Kerangka berbeda: indeks antar kerangka tidak dapat dibandingkan langsung",
            transform=ax.transAxes,
            fontsize=8,
            color=RED,
        )
    ax.axhline(target, color=RED, linestyle="--", linewidth=1.5, label=f"Target {num(data.plan_target)}")
    ax.set_xticks(years, [str(y) for y in years])
    if len(years) == 1:
        ax.set_xlim(years[0] - 1, years[0] + 1)
    ax.set_ylim(1, 5)
    ax.set_ylabel("Indeks")
    ax.legend(loc="lower right", fontsize=9)
    ax.set_title(_label(f"Perkembangan indeks {data.framework.short_name} {data.city}"), fontsize=12)
    return _png(fig, canvas, "tren", "Perkembangan indeks dari tahun ke tahun", TREND_SIZE)


def trend_runs(data: ReportData) -> list[list]:
    """Consecutive years on one framework: each run is its own line, so a year on another scale is drawn
    apart and never joined to this cycle's."""
    runs: list[list] = []
    for p in data.history:
        if runs and runs[-1][0].framework_id == p.framework_id:
            runs[-1].append(p)
        else:
            runs.append([p])
    return runs


def _bands(data: ReportData) -> list[tuple[float, float, str, str]]:
    """Predicate bands as faint stripes, so the trend reads against the framework's bounds."""
    shades = ["#dcefdc", "#e9f4dc", "#fbf6d5", "#fcebd6", "#f8ddd8"]
    upper = Decimal(5)
    out = []
    for k, p in enumerate(data.framework.predicates):
        out.append((float(max(p.min, Decimal(1))), float(upper), shades[k % len(shades)], p.name))
        upper = p.min
    return out


def _label(text: str) -> str:
    """Text for matplotlib: a `$` would start mathtext (and fail on user text), so it is escaped."""
    return text.replace("$", r"\$")


def _figure(size: tuple[int, int]):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(size[0] / DPI, size[1] / DPI), dpi=DPI)
    return fig, FigureCanvasAgg(fig)


def _png(fig, canvas, key: str, title: str, size: tuple[int, int]) -> Chart:
    buf = io.BytesIO()
    canvas.print_png(buf, metadata={"Software": None})
    return Chart(key, title, buf.getvalue(), *size)
