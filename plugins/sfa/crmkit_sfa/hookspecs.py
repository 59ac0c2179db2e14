"""The hooks the sfa plugin publishes (``add_hookspecs``), for plugins that extend its pages."""

from __future__ import annotations

from typing import Any

from crmkit import hookspec


@hookspec("collect")
def sfa_opportunity_panels(app: Any, actor: Any, opportunity: Any) -> list[Any] | None:
    """Return sections (``crmkit.Panel``) for an opportunity's page, shown to ``actor``.

    ``opportunity`` is the deal the actor may see (attributes ``id``, ``party_id``,
    ``owner_id``, ``stage``, ``status``, ``amount``, ``currency``, ``products`` …); each
    panel renders on the page's connection, like ``party_panels``. A plugin that does not depend on sfa
    implements it with ``@hookimpl(optionalhook=True)`` and returns kernel types only.

    Semantics: collect.
    """
