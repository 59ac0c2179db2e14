"""The seasonal baseline of a monthly series: what history says the next months bring.

Holt-Winters with additive trend and seasonality (season of 12 months). The smoothing
parameters alpha (level), beta (trend) and gamma (season), each in [0, 1], are those that
minimise the sum of squared one-step-ahead errors over the history, found by
``scipy.optimize.least_squares`` (bounded trust region). The first year initialises the
state: trend = (mean of year 2 - mean of year 1) / 12, level = the first year's mean carried
to its last month along that trend, seasonal indices = year 1 less the trend line. With fewer than two full years the fit has nothing to learn a season from:
the baseline is then seasonal naive (the same month a year before), and with less than a
year the mean month. Forecasts are never below zero (revenue and leads are not negative).
"""

from __future__ import annotations

import numpy as np
from attrs import frozen
from numpy.typing import ArrayLike, NDArray
from scipy.optimize import least_squares

SEASON = 12


@frozen
class Baseline:
    """The forecast of the next months and how it was made."""

    values: tuple[float, ...]
    method: str
    """``holt_winters``, ``seasonal_naive``, ``mean`` or ``none`` (no history)."""
    alpha: float | None = None
    beta: float | None = None
    gamma: float | None = None


def _holt_winters(
    y: NDArray[np.float64], alpha: float, beta: float, gamma: float, horizon: int, m: int
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """One-step-ahead errors over ``y`` (from its second season on) and the forecast."""
    first = float(y[:m].mean())
    trend = float((y[m : 2 * m].mean() - first) / m)
    centre = (m - 1) / 2
    # The state at the end of the first year, its seasonal indices with the trend taken out.
    season = [float(y[i] - (first + trend * (i - centre))) for i in range(m)]
    level = first + trend * centre
    errors = np.empty(len(y) - m)
    for t in range(m, len(y)):
        expected = level + trend + season[t - m]
        errors[t - m] = y[t] - expected
        previous = level
        level = alpha * (y[t] - season[t - m]) + (1 - alpha) * (level + trend)
        trend = beta * (level - previous) + (1 - beta) * trend
        season.append(gamma * (y[t] - level) + (1 - gamma) * season[t - m])
    n = len(y)
    ahead = np.array(
        [level + k * trend + season[n - m + (k - 1) % m] for k in range(1, horizon + 1)]
    )
    return errors, ahead


def seasonal_baseline(
    history: ArrayLike, horizon: int, *, method: str = "holt_winters", season: int = SEASON
) -> Baseline:
    """The next ``horizon`` months after ``history`` (monthly figures, oldest first)."""
    y = np.asarray(history, dtype=np.float64)
    if horizon <= 0:
        return Baseline((), "none")
    if y.size == 0:
        return Baseline(tuple([0.0] * horizon), "none")
    if y.size < season:
        return Baseline(tuple([max(float(y.mean()), 0.0)] * horizon), "mean")
    if method == "seasonal_naive" or y.size < 2 * season:
        last = y[-season:]
        return Baseline(
            tuple(max(float(last[k % season]), 0.0) for k in range(horizon)), "seasonal_naive"
        )
    scale = max(float(np.abs(y).mean()), 1.0)
    scaled = y / scale

    def residuals(params: NDArray[np.float64]) -> NDArray[np.float64]:
        alpha, beta, gamma = (float(p) for p in params)
        return _holt_winters(scaled, alpha, beta, gamma, 0, season)[0]

    fit = least_squares(residuals, x0=[0.3, 0.05, 0.1], bounds=([0, 0, 0], [1, 1, 1]))
    alpha, beta, gamma = (float(p) for p in fit.x)
    _, ahead = _holt_winters(scaled, alpha, beta, gamma, horizon, season)
    return Baseline(
        tuple(max(float(v) * scale, 0.0) for v in ahead), "holt_winters", alpha, beta, gamma
    )
