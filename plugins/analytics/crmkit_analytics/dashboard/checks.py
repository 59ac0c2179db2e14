"""Checks at start-up of the dashboard's settings against the installed sources: a metric
named in ``[plugins.analytics.dashboard.metrics]`` that no installed source publishes is a
misspelling (the tile would silently vanish), refused naming the full key."""

from __future__ import annotations

from collections.abc import Collection, Iterable

from crmkit import ConfigurationError, Crm
from crmkit_analytics.rollups.reading import metrics


def unknown_metric(key: str, name: str, known: Collection[str]) -> ConfigurationError:
    shown = ", ".join(sorted(known)) or "none"
    return ConfigurationError(
        key, f"no installed plugin publishes the metric {name!r} (published: {shown})"
    )


def check_names(
    prefix: str, named: Iterable[tuple[str, str]], known: Collection[str], allowed: Collection[str]
) -> None:
    """Refuse the first (key, metric) of ``named`` neither in ``known`` nor ``allowed`` (the
    part's defaults, which may name a plugin not installed)."""
    for key, name in named:
        if name not in known and name not in allowed:
            raise unknown_metric(f"{prefix}.{key}", name, known)


def check(app: Crm) -> None:
    """Every metric the dashboard settings name is published by an installed source."""
    configured: dict[str, str] = app.settings_of["analytics"].dashboard.metrics
    check_names("plugins.analytics.dashboard.metrics", sorted(configured.items()), metrics(app), ())
