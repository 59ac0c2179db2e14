"""The events the orders part emits (payloads carry ids and numbers, no personal data)."""

from __future__ import annotations

from crmkit import EventType
from crmkit_erp_sap.orders.sending import ORDER_CREATED, PUSH_FAILED

PUSH = "erp_sap.order_push"

EVENT_TYPES = [
    EventType(
        ORDER_CREATED,
        "An sfa order exists in SAP now: order_id, system, sap_order (the SAP number), reference",
        PUSH,
    ),
    EventType(
        PUSH_FAILED,
        "An order push failed (SAP refused it, or it could not be sent) or gave up: "
        "order_id, system, state, reason",
        PUSH,
    ),
]
