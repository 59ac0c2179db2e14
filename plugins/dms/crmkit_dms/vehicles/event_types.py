"""The events the vehicles part emits.

Payloads carry ids and the dealer's repair order number, never a person's data.
"""

from __future__ import annotations

from crmkit import EventType

EVENT_TYPES: list[EventType] = [
    EventType(
        "dms.repair_order_recorded",
        "A dealer's DMS (or the API) reported a repair order of a vehicle; sent once per order",
        "dms.repair_order",
    ),
]
