"""The hooks the campaigns plugin publishes (``add_hookspecs``), for plugins that extend it."""

from __future__ import annotations

from typing import Any

from crmkit import hookspec


@hookspec("collect")
def campaigns_segment_criteria() -> list[Any] | None:
    """Return criteria segments can use (:class:`crmkit_campaigns.extensions.Criterion`).

    Called when a segment is compiled or its form is shown. A plugin that does not
    depend on campaigns implements it with ``@hookimpl(optionalhook=True)``.

    Semantics: collect.
    """


@hookspec("collect")
def campaigns_triggers() -> list[Any] | None:
    """Return triggers after-sales campaigns can start from
    (:class:`crmkit_campaigns.extensions.Trigger`).

    Called by the daily trigger job and when a triggered campaign is defined. A
    plugin that does not depend on campaigns implements it with
    ``@hookimpl(optionalhook=True)``.

    Semantics: collect.
    """
