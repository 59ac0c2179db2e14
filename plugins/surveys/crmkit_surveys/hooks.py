"""The plugin's own hook implementations. What its parts declare (tables, permissions, routes,
privacy, demo data …) crmkit gathers itself: ``PluginInfo.parts`` names them."""

from __future__ import annotations

from typing import Any

from crmkit import Crm, hookimpl


@hookimpl
def on_event(app: Crm, event: Any) -> None:
    from crmkit_surveys.invitations import rules

    rules.on_event(app, event)


@hookimpl
def timeline_renderers() -> dict[str, Any]:
    from crmkit_surveys.answering import timeline

    return timeline.RENDERERS


@hookimpl(optionalhook=True)
def loyalty_behaviours() -> list[Any]:
    from crmkit_surveys.answering import behaviours

    return behaviours.BEHAVIOURS


@hookimpl(optionalhook=True)
def campaigns_segment_criteria() -> list[Any]:
    from crmkit_surveys.results import criteria

    return criteria.CRITERIA


@hookimpl(optionalhook=True)
def analytics_sources() -> list[Any]:
    from crmkit_surveys import analytics

    return [analytics.source()]
