"""Points from domain events: sfa orders and the behaviours plugins announce (owned by the earning part)."""

from __future__ import annotations

from typing import Any

from crmkit import SYSTEM, Crm
from crmkit_loyalty.earning import referrals
from crmkit_loyalty.earning.behaviour_earning import earn_for_behaviours
from crmkit_loyalty.earning.order_earning import earn_for_order
from crmkit_loyalty.programmes.behaviours import behaviours

ORDER_PLACED = "sfa.order_placed"


def on_event(app: Crm, event: Any) -> None:
    """Earn what ``event`` is worth under every active programme's rules; an event delivered
    twice earns once."""
    if event.type == ORDER_PLACED and "sfa" in app.host.loaded and event.entity_id:
        order_id = int(event.entity_id)
        # As the system: what a customer earns does not depend on who placed the order.
        with app.transaction(SYSTEM) as tx:
            earn_for_order(tx, order_id)
            referrals.conclude_for_order(tx, order_id)
    told = [b for b in behaviours(app.host).values() if b.event_type == event.type]
    if told:
        with app.transaction(SYSTEM) as tx:
            earn_for_behaviours(tx, event, told)
