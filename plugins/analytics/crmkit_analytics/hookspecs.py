"""The hooks the analytics plugin publishes (``add_hookspecs``), for plugins that feed it."""

from __future__ import annotations

from typing import Any

from crmkit import hookspec


@hookspec("collect")
def analytics_sources() -> list[Any] | None:
    """Return :class:`crmkit_analytics.sources.FactSource` objects.

    Called when the plugin starts. A plugin that feeds analytics lists ``analytics`` in its
    ``optional_depends`` and implements this with ``@hookimpl(optionalhook=True)``,
    importing ``crmkit_analytics`` inside the function.

    Semantics: collect; a source name may be given once.
    """
