"""``sfa.order_placed`` queues the order's push (once, however often the event comes)."""

from __future__ import annotations

from typing import Any

from crmkit import SYSTEM, ConfigurationError, Crm
from crmkit_erp_sap.orders.pushes import queue_push

ORDER_PLACED = "sfa.order_placed"


def on_event(app: Crm, event: Any) -> None:
    if event.type != ORDER_PLACED or "sfa" not in app.host.loaded or not event.entity_id:
        return
    plugin = app.settings_of["erp_sap"]
    try:
        system, _ = plugin.connection.system(plugin.orders.system)
    except ConfigurationError:
        return  # No SAP system to send orders to: the connector is not in use.
    from crmkit_sfa.erp import get_order

    with app.transaction(SYSTEM) as tx:
        placed = get_order(tx.conn, int(event.entity_id))
        queue_push(tx, placed.id, placed.party_id, placed.number, system)
