"""The events the formats part emits (ids and counts only, never a person's data)."""

from __future__ import annotations

from crmkit import EventType

EVENT_TYPES = [
    EventType(
        "dms.document_received",
        "An ADF or STAR document was received: how many of its leads or orders were taken and refused",
        "dms.document",
    ),
]
