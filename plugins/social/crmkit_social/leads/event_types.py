"""The events the leads part emits (ids only, never a person's data)."""

from __future__ import annotations

from crmkit import EventType

EVENT_TYPES = [
    EventType(
        "social.lead_taken",
        "A Lead Ads lead was taken in: its party (none when rejected), intake outcome and form",
        "social.lead",
    ),
]
