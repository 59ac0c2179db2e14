"""The hooks the service plugin publishes (``add_hookspecs``), for plugins that extend it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import Connection

from crmkit import hookspec


@hookspec("first")
def service_asset_facts(conn: Connection, vin: str) -> Mapping[str, Any] | None:
    """What a plugin knows of the vehicle with this VIN when an asset's entitlement is checked.

    A mapping with ``warranty_until`` (a date or None: the maker's warranty as a dealer's
    system knows it; a later date than the asset's ``warranty_end`` covers the work), and
    any facts worth showing with the entitlement (``last_service_on``, ``service_due_on``,
    ``repair_orders``: JSON-ready values). None: nothing known. A plugin that does not depend
    on service implements it with ``@hookimpl(optionalhook=True)``.

    Semantics: first.
    """
