"""Checks at start-up of the forecasts' settings against the installed sources: a metric
name that is not a default and that no installed source publishes is refused naming the
full key, never read silently as zero."""

from __future__ import annotations

from typing import Any

import attrs

from crmkit import Crm
from crmkit_analytics.dashboard.checks import check_names
from crmkit_analytics.forecasts.settings import ForecastsSettings
from crmkit_analytics.rollups.reading import metrics

PREFIX = "plugins.analytics.forecasts"


def _defaults() -> set[str]:
    found: set[str] = set()
    for attribute in attrs.fields(ForecastsSettings):
        default: Any = attribute.default
        factory = getattr(default, "factory", None)
        if callable(factory):
            default = factory()
        if isinstance(default, str):
            found.add(default)
        elif isinstance(default, list):
            found.update(d for d in default if isinstance(d, str))
    return found


def check(app: Crm) -> None:
    """The won, weighted and lead metrics and the target metrics name published metrics
    (or the defaults, which may belong to a plugin not installed)."""
    settings: ForecastsSettings = app.settings_of["analytics"].forecasts
    named = [
        ("won_metric", settings.won_metric),
        ("weighted_metric", settings.weighted_metric),
        ("lead_metric", settings.lead_metric),
        *((f"sales_targets[{i}]", n) for i, n in enumerate(settings.sales_targets)),
        *((f"lead_targets[{i}]", n) for i, n in enumerate(settings.lead_targets)),
    ]
    check_names(PREFIX, named, metrics(app), _defaults())
