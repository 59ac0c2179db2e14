"""Charts drawn on the server as inline SVG: bars, lines and a gauge. No script and no asset:
the page works without JavaScript and under the kernel's Content-Security-Policy (colours
come from classes styled by the page, never from ``style`` attributes). Each chart carries a
``<title>`` and ``<desc>``; the page puts a table of the same figures beside it."""

from __future__ import annotations

import math

from markupsafe import Markup, escape

from crmkit_analytics.dashboard.tiles import Chart, Figure

WIDTH = 320
BAR_HEIGHT = 18
LINE_HEIGHT = 140


NO_VALUE = "\u2013"
"""How a figure with no value (nothing measured) is shown: an en dash."""


def number(value: float | None, unit: str = "count") -> str:
    """A figure as the page shows it: ``1,234``, ``56.7 %``, ``+12`` for an NPS,
    :data:`NO_VALUE` when nothing was measured."""
    if value is None:
        return NO_VALUE
    if unit == "percent":
        return f"{value:,.1f} %"
    if unit == "nps":
        return f"{value:+.0f}"
    if unit == "count" or float(value).is_integer():
        return f"{value:,.0f}"
    return f"{value:,.2f}"


def _open(chart: Chart, ident: str, height: int, summary: str) -> list[str]:
    return [
        f'<svg class="chart chart-{chart.kind}" viewBox="0 0 {WIDTH} {height}" '
        f'width="100%" role="img" aria-labelledby="{ident}-t {ident}-d" '
        'xmlns="http://www.w3.org/2000/svg">',
        f'<title id="{ident}-t">{escape(chart.title)}</title>',
        f'<desc id="{ident}-d">{escape(summary)}</desc>',
    ]


def _summary(figures: tuple[Figure, ...]) -> str:
    return "; ".join(f"{f.label}: {number(f.value, f.unit)}" for f in figures)


def _v(figure: Figure) -> float:
    """Where a figure is drawn: nothing measured sits at zero (its label says so)."""
    return figure.value or 0.0


def bars(chart: Chart, ident: str) -> Markup:
    """One horizontal bar per figure, labelled, each a link to the list behind it."""
    height = BAR_HEIGHT * len(chart.figures) + 4
    out = _open(chart, ident, height, _summary(chart.figures))
    top = max(
        [abs(_v(f)) for f in chart.figures] + [abs(f.previous or 0) for f in chart.figures] + [1e-9]
    )
    left, span = 110, WIDTH - 110 - 60
    for i, f in enumerate(chart.figures):
        y = i * BAR_HEIGHT + 2
        length = max(abs(_v(f)) / top * span, 0.5 if f.value else 0)
        bar = (
            f'<rect class="bar{" negative" if _v(f) < 0 else ""}" x="{left}" y="{y + 2}" '
            f'width="{length:.1f}" height="{BAR_HEIGHT - 6}"/>'
        )
        if f.previous is not None:
            mark = abs(f.previous) / top * span + left
            bar += (
                f'<line class="previous" x1="{mark:.1f}" x2="{mark:.1f}" '
                f'y1="{y}" y2="{y + BAR_HEIGHT - 2}"/>'
            )
        label = escape(f.label[:18])
        text = (
            f'<text class="label" x="{left - 4}" y="{y + 13}" text-anchor="end">{label}</text>'
            f'<text class="value" x="{left + length + 4:.1f}" y="{y + 13}">'
            f"{escape(number(f.value, f.unit))}</text>"
        )
        row = bar + text
        if f.drill:
            row = f'<a href="{escape(f.drill)}">{row}</a>'
        out.append(f"<g>{row}</g>")
    out.append("</svg>")
    return Markup("".join(out))


def line(chart: Chart, ident: str) -> Markup:
    """The figures in time order as a line (points link to the list behind them), with a
    dashed second series (``against``: a target) when there is one."""
    figures = chart.figures
    summary = _summary(figures)
    if chart.against:
        summary += f" — {chart.against_label}: {_summary(chart.against)}"
    out = _open(chart, ident, LINE_HEIGHT + 20, summary)
    values = [0.0, *(_v(f) for f in figures), *(_v(f) for f in chart.against)]
    top, bottom = max(values), min(values)
    spread = (top - bottom) or 1.0
    left, span = 8, WIDTH - 16
    step = span / max(len(figures) - 1, 1)

    def y_of(value: float) -> float:
        return 10 + (top - value) / spread * (LINE_HEIGHT - 20)

    for series, css in ((chart.against, "against"), (figures, "series")):
        if not series:
            continue
        points = " ".join(f"{left + i * step:.1f},{y_of(_v(f)):.1f}" for i, f in enumerate(series))
        out.append(f'<polyline class="{css}" points="{points}" fill="none"/>')
    for i, f in enumerate(figures):
        dot = (
            f'<circle class="point" cx="{left + i * step:.1f}" cy="{y_of(_v(f)):.1f}" r="3">'
            f"<title>{escape(f.label)}: {escape(number(f.value, f.unit))}</title></circle>"
        )
        out.append(f'<a href="{escape(f.drill)}">{dot}</a>' if f.drill else dot)
    if figures:
        out.append(
            f'<text class="label" x="{left}" y="{LINE_HEIGHT + 14}">{escape(figures[0].label)}</text>'
            f'<text class="label" x="{WIDTH - 8}" y="{LINE_HEIGHT + 14}" text-anchor="end">'
            f"{escape(figures[-1].label)}</text>"
        )
    out.append("</svg>")
    return Markup("".join(out))


def gauge(chart: Chart, ident: str) -> Markup:
    """A half-circle dial from ``low`` to ``high`` with the figure's value (an NPS from -100 to
    100, a compliance from 0 to 100)."""
    f = chart.figures[0]
    out = _open(
        chart,
        ident,
        120,
        f"{f.label}: {number(f.value, f.unit)} on a scale from {chart.low:g} to {chart.high:g}",
    )
    share = min(max((_v(f) - chart.low) / ((chart.high - chart.low) or 1), 0.0), 1.0)
    cx, cy, r = WIDTH / 2, 100, 80

    def point(fraction: float) -> tuple[float, float]:
        angle = math.pi * (1 - fraction)
        return cx + r * math.cos(angle), cy - r * math.sin(angle)

    x0, y0 = point(0)
    x1, y1 = point(1)
    xv, yv = point(share)
    out.append(
        f'<path class="track" d="M{x0:.1f},{y0:.1f} A{r},{r} 0 0 1 {x1:.1f},{y1:.1f}" fill="none"/>'
    )
    if share > 0 and f.value is not None:
        out.append(
            f'<path class="bar-arc" d="M{x0:.1f},{y0:.1f} A{r},{r} 0 0 1 {xv:.1f},{yv:.1f}" fill="none"/>'
        )
    value = f'<text class="gauge-value" x="{cx}" y="{cy - 10}" text-anchor="middle">{escape(number(f.value, f.unit))}</text>'
    out.append(f'<a href="{escape(f.drill)}">{value}</a>' if f.drill else value)
    out.append(
        f'<text class="label" x="{x0:.0f}" y="{cy + 16}" text-anchor="middle">{chart.low:g}</text>'
        f'<text class="label" x="{x1:.0f}" y="{cy + 16}" text-anchor="middle">{chart.high:g}</text>'
    )
    out.append("</svg>")
    return Markup("".join(out))


def draw(chart: Chart, ident: str) -> Markup:
    """The chart's SVG; ``ident`` (unique on the page) names its title and description."""
    return {"bars": bars, "line": line, "gauge": gauge}[chart.kind](chart, ident)
