"""NPS, CSAT and means with their 95 % confidence intervals, from counts: pure functions.

- NPS: the share of promoters (9-10) less the share of detractors (0-6), times 100. Its
  variance is that of a difference of two proportions of one multinomial sample,
  ``(p_prom + p_det - (p_prom - p_det)^2) / n``; the interval is NPS +/- 1.96 standard errors
  (a Wald interval), clipped to -100..100.
- CSAT: the share of satisfied answers (4-5 on 1-5), with a Wilson score interval, which
  stays inside 0..100 and does not collapse at small n or at 0 % and 100 %.
- Mean: with Student's t (n - 1 degrees of freedom), clipped to the scale; one answer says
  nothing of the spread, so its interval is the whole scale.

No answers, no figure: every function returns None for n = 0.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

from attrs import frozen

Z95 = 1.959963984540054
"""The standard normal's 97.5 % quantile."""
T975 = (
    12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228,
    2.201, 2.179, 2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086,
    2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042,
)  # fmt: skip
"""Student's t 97.5 % quantiles for 1 to 30 degrees of freedom."""
PROMOTERS = (9, 10)
PASSIVES = (7, 8)
DETRACTORS = (0, 6)
SATISFIED = (4, 5)


@frozen
class Nps:
    """``score`` (-100..100) of ``n`` answers with its interval ``low``..``high``."""

    n: int
    promoters: int
    passives: int
    detractors: int
    score: float
    low: float
    high: float


@frozen
class Share:
    """``percent`` (0..100) of ``n`` answers were ``hits``; Wilson interval ``low``..``high``."""

    n: int
    hits: int
    percent: float
    low: float
    high: float


@frozen
class Mean:
    """The mean of ``n`` answers with its interval ``low``..``high`` (inside the scale)."""

    n: int
    mean: float
    low: float
    high: float


def _clip(value: float, low: float, high: float) -> float:
    return float(min(max(value, low), high))


def _round(value: float) -> float:
    return round(value, 2)


def nps(promoters: int, passives: int, detractors: int) -> Nps | None:
    """The NPS of these counts, or None without answers."""
    n = promoters + passives + detractors
    if n == 0:
        return None
    p_prom, p_det = promoters / n, detractors / n
    difference = p_prom - p_det
    variance = max(p_prom + p_det - difference**2, 0.0) / n
    margin = Z95 * math.sqrt(variance)
    return Nps(
        n,
        promoters,
        passives,
        detractors,
        _round(100 * difference),
        _round(100 * _clip(difference - margin, -1.0, 1.0)),
        _round(100 * _clip(difference + margin, -1.0, 1.0)),
    )


def nps_of(scores: Mapping[int, int]) -> Nps | None:
    """The NPS of score counts on 0..10 (``{10: 4, 9: 3, 6: 1}``)."""

    def between(bounds: tuple[int, int]) -> int:
        return sum(count for score, count in scores.items() if bounds[0] <= score <= bounds[1])

    return nps(between(PROMOTERS), between(PASSIVES), between(DETRACTORS))


def share(hits: int, n: int) -> Share | None:
    """``hits`` of ``n`` as a percentage with its Wilson interval, or None for n = 0."""
    if n == 0:
        return None
    p = hits / n
    z2 = Z95**2
    centre = (p + z2 / (2 * n)) / (1 + z2 / n)
    half = Z95 * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / (1 + z2 / n)
    return Share(
        n,
        hits,
        _round(100 * p),
        _round(100 * _clip(centre - half, 0.0, 1.0)),
        _round(100 * _clip(centre + half, 0.0, 1.0)),
    )


def csat_of(scores: Mapping[int, int]) -> Share | None:
    """The share of satisfied answers (4-5) among score counts on 1..5."""
    n = sum(scores.values())
    hits = sum(count for score, count in scores.items() if SATISFIED[0] <= score <= SATISFIED[1])
    return share(hits, n)


def t_quantile(degrees: int) -> float:
    """Student's t 97.5 % quantile: the table to 30 degrees of freedom, then the first terms of
    its expansion around the normal quantile (within 0.001 from 30 on)."""
    if degrees <= len(T975):
        return T975[degrees - 1]
    z = Z95
    return z + (z**3 + z) / (4 * degrees) + (5 * z**5 + 16 * z**3 + 3 * z) / (96 * degrees**2)


def mean_of(scores: Mapping[int, int], scale: tuple[int, int]) -> Mean | None:
    """The mean of score counts with its t interval clipped to ``scale``, or None for n = 0."""
    n = sum(scores.values())
    if n == 0:
        return None
    total = sum(score * count for score, count in scores.items())
    mean = total / n
    if n == 1:
        return Mean(1, _round(mean), float(scale[0]), float(scale[1]))
    squares = sum(count * (score - mean) ** 2 for score, count in scores.items())
    margin = t_quantile(n - 1) * math.sqrt(squares / (n - 1) / n)
    return Mean(
        n,
        _round(mean),
        _round(_clip(mean - margin, scale[0], scale[1])),
        _round(_clip(mean + margin, scale[0], scale[1])),
    )
