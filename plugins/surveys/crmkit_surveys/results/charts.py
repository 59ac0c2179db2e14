"""Bar and line charts drawn on the server as SVG: the geometry here, the markup in the page's
template (escaped like any text), so that the page needs no script. Each chart has a title and
a description saying every value, for readers who cannot see it."""

from __future__ import annotations

from collections.abc import Sequence

from attrs import frozen

WIDTH = 640
BAR_HEIGHT = 22
GAP = 6
LABEL_WIDTH = 160
VALUE_WIDTH = 60
LINE_HEIGHT = 220
MARGIN = 40


@frozen
class Bar:
    label: str
    value: int
    y: float
    width: float


@frozen
class BarChart:
    title: str
    description: str
    width: int
    height: int
    label_width: int
    bar_height: int
    bars: list[Bar]


def bar_chart(title: str, items: Sequence[tuple[str, int]]) -> BarChart:
    """Horizontal bars, one per (label, count), the longest as wide as the chart allows."""
    most = max((value for _, value in items), default=0) or 1
    room = WIDTH - LABEL_WIDTH - VALUE_WIDTH
    bars = [
        Bar(label, value, i * (BAR_HEIGHT + GAP), round(room * value / most, 1))
        for i, (label, value) in enumerate(items)
    ]
    description = "; ".join(f"{label}: {value}" for label, value in items) or "no answers"
    height = max(len(items) * (BAR_HEIGHT + GAP), BAR_HEIGHT)
    return BarChart(title, description, WIDTH, height, LABEL_WIDTH, BAR_HEIGHT, bars)


@frozen
class Point:
    label: str
    value: float | None
    x: float
    y: float | None


@frozen
class Tick:
    value: float
    y: float


@frozen
class LineChart:
    """``lines``: runs of points with a value (a period without answers breaks the line)."""

    title: str
    description: str
    width: int
    height: int
    margin: int
    points: list[Point]
    lines: list[str]
    ticks: list[Tick]


def line_chart(
    title: str, items: Sequence[tuple[str, float | None]], low: float, high: float
) -> LineChart:
    """A line over periods (label, value or None) on a vertical axis from ``low`` to ``high``."""
    inner_w, inner_h = WIDTH - 2 * MARGIN, LINE_HEIGHT - 2 * MARGIN
    step = inner_w / max(len(items) - 1, 1)

    def y_of(value: float) -> float:
        return round(MARGIN + inner_h * (high - value) / (high - low), 1)

    points = [
        Point(label, value, round(MARGIN + i * step, 1), None if value is None else y_of(value))
        for i, (label, value) in enumerate(items)
    ]
    lines: list[str] = []
    run: list[str] = []
    for point in [*points, Point("", None, 0, None)]:
        if point.y is None:
            if len(run) > 1:
                lines.append(" ".join(run))
            run = []
        else:
            run.append(f"{point.x},{point.y}")
    ticks = [Tick(v, y_of(v)) for v in (low, (low + high) / 2, high)]
    description = "; ".join(
        f"{label}: {'no answers' if value is None else value}" for label, value in items
    )
    return LineChart(title, description, WIDTH, LINE_HEIGHT, MARGIN, points, lines, ticks)
