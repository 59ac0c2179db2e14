"""The plugin's own hook implementations. What its parts declare (tables, permissions, routes,
privacy, demo data …) crmkit gathers itself: ``PluginInfo.parts`` names them."""

from __future__ import annotations

from types import ModuleType
from typing import Any

from crmkit import Actor, Crm, Event, hookimpl


@hookimpl
def add_hookspecs() -> ModuleType:
    from crmkit_analytics import hookspecs

    return hookspecs


@hookimpl
def party_panels(app: Crm, actor: Actor, party: Any) -> list[Any]:
    # One implementation for the plugin: each part that shows a card on the party's page
    # adds its panels here.
    from crmkit_analytics.profiles import panel as profile_panel
    from crmkit_analytics.suggestions import panel as suggestions_panel

    return [
        *profile_panel.panels(app, actor, party),
        *suggestions_panel.panels(app, actor, party),
    ]


@hookimpl(optionalhook=True)
def sfa_opportunity_panels(app: Crm, actor: Actor, opportunity: Any) -> list[Any]:
    from crmkit_analytics.suggestions import panel as suggestions_panel

    return suggestions_panel.opportunity_panels(app, actor, opportunity)


# --- rollups


@hookimpl
def on_event(app: Crm, event: Event) -> None:
    from crmkit_analytics.rollups import feed

    feed.apply_event(app, event)


@hookimpl
def analytics_sources() -> list[Any]:
    from crmkit_analytics.rollups import leads

    return [leads.source()]


@hookimpl(tryfirst=True)
def seed_demo(app: Crm, conn: Any, rng: Any, now: Any) -> None:
    # tryfirst on a dependencies_first hook: after every plugin's demo data (see seeding.py).
    from crmkit_analytics.rollups import seeding

    seeding.seed(app, conn, rng, now)


# --- dashboard


@hookimpl
def register_widgets() -> list[Any]:
    from crmkit_analytics.dashboard import widgets

    return widgets.WIDGETS


@hookimpl
def dashboard_widgets(actor: Actor) -> list[str]:
    from crmkit_analytics.dashboard import widgets

    return widgets.chosen_for(actor)


@hookimpl
def startup(app: Crm) -> None:
    # Metric names in the dashboard's and forecasts' settings must be published by an
    # installed source: a misspelt one stops start-up naming the key.
    from crmkit_analytics.dashboard import checks as dashboard_checks
    from crmkit_analytics.forecasts import checks as forecasts_checks

    dashboard_checks.check(app)
    forecasts_checks.check(app)
