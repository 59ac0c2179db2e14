"""The forecast drawn as inline SVG: a bar per period (the forecast, split into won and the
rest), the target as a dashed line, the baseline as a line. No script, no asset, no
``style`` attribute: colours come from classes the page styles."""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup, escape

WIDTH = 600
HEIGHT = 220
MARGIN = 30


def forecast_chart(
    title: str,
    labels: Sequence[str],
    actual: Sequence[float],
    forecast: Sequence[float],
    baseline: Sequence[float],
    target: Sequence[float | None],
) -> Markup:
    """Bars of ``forecast`` (the ``actual`` part darker), lines of ``baseline`` and ``target``."""
    count = len(labels)
    if count == 0:
        return Markup("")
    top = max([*forecast, *baseline, *(t for t in target if t is not None), 1.0])
    plot_height = HEIGHT - 2 * MARGIN
    slot = (WIDTH - MARGIN) / count
    bar = slot * 0.6

    def y(value: float) -> float:
        return HEIGHT - MARGIN - plot_height * value / top

    def x(index: int) -> float:
        return MARGIN + slot * index + slot / 2

    summary = "; ".join(
        f"{label}: forecast {f:,.0f}" + ("" if t is None else f", target {t:,.0f}")
        for label, f, t in zip(labels, forecast, target, strict=True)
    )
    parts = [
        f'<svg class="chart forecast" viewBox="0 0 {WIDTH} {HEIGHT}" width="100%" role="img" '
        'xmlns="http://www.w3.org/2000/svg">',
        f"<title>{escape(title)}</title><desc>{escape(summary)}</desc>",
        f'<line class="axis" x1="{MARGIN}" y1="{y(0):.1f}" x2="{WIDTH}" y2="{y(0):.1f}"/>',
        f'<text x="2" y="{y(top) + 4:.1f}">{top:,.0f}</text>',
    ]
    for index, label in enumerate(labels):
        left = x(index) - bar / 2
        parts.append(
            f'<rect class="bar" x="{left:.1f}" y="{y(forecast[index]):.1f}" width="{bar:.1f}" '
            f'height="{y(0) - y(forecast[index]):.1f}"><title>{escape(label)}: forecast '
            f"{forecast[index]:,.0f}</title></rect>"
        )
        done = min(actual[index], forecast[index])
        if done > 0:
            parts.append(
                f'<rect class="bar actual" x="{left:.1f}" y="{y(done):.1f}" width="{bar:.1f}" '
                f'height="{y(0) - y(done):.1f}"><title>{escape(label)}: so far '
                f"{done:,.0f}</title></rect>"
            )
        parts.append(
            f'<text x="{x(index):.1f}" y="{HEIGHT - MARGIN + 14}" text-anchor="middle">'
            f"{escape(label)}</text>"
        )
    points = " ".join(f"{x(i):.1f},{y(v):.1f}" for i, v in enumerate(baseline))
    parts.append(f'<polyline class="baseline" fill="none" points="{points}"/>')
    for index, value in enumerate(target):
        if value is not None:
            left, right = x(index) - slot / 2 + 2, x(index) + slot / 2 - 2
            parts.append(
                f'<line class="target" x1="{left:.1f}" y1="{y(value):.1f}" x2="{right:.1f}" '
                f'y2="{y(value):.1f}"><title>{escape(labels[index])}: target '
                f"{value:,.0f}</title></line>"
            )
    parts.append("</svg>")
    return Markup("".join(parts))
