"""Settings of the forecasts part: ``[plugins.analytics.forecasts]``."""

from __future__ import annotations

from attrs import field, frozen, validators

METHODS = ("holt_winters", "seasonal_naive")


def _names(_: object, attribute: object, value: list[str]) -> None:
    if not all(isinstance(name, str) and name for name in value):
        raise ValueError("expected a list of metric names")


@frozen
class ForecastsSettings:
    """How the forecasts part behaves."""

    won_metric: str = field(default="sfa.won", validator=validators.min_len(1))
    """The metric of revenue won, by the day it was won: the history of sales."""
    weighted_metric: str = field(default="sfa.weighted", validator=validators.min_len(1))
    """The metric of the open pipeline weighted by probability, by expected close day."""
    lead_metric: str = field(default="leads.created", validator=validators.min_len(1))
    """The metric of new leads (prospects), by day and source (its dimension)."""
    sales_targets: list[str] = field(
        factory=lambda: ["sfa.orders", "sfa.won"], validator=[validators.instance_of(list), _names]
    )
    """Targets (of any source) whose metric is one of these are sales targets (sfa measures
    its targets by orders placed)."""
    lead_targets: list[str] = field(
        factory=lambda: ["leads.created", "campaigns.leads"],
        validator=[validators.instance_of(list), _names],
    )
    """Targets (of any source: campaigns' plans) whose metric is one of these are lead goals."""
    method: str = field(default="holt_winters", validator=validators.in_(METHODS))
    """The seasonal baseline: ``holt_winters`` (additive, fitted by least squares; seasonal
    naive while there are fewer than two years of history) or ``seasonal_naive``."""
    history_months: int = field(default=36, validator=[validators.ge(12), validators.le(120)])
    """Months of history the baseline is fitted on."""
    periods: int = field(default=6, validator=[validators.ge(1), validators.le(24)])
    """Periods shown by default."""
    lead_sources_shown: int = field(default=8, validator=[validators.ge(1), validators.le(50)])
    """Lead sources forecast one by one; the others are summed as "other"."""
