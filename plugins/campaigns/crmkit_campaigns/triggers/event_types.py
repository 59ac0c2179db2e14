"""The events the triggers part emits, for webhooks and other plugins."""

from __future__ import annotations

from crmkit import EventType

EVENT_TYPES: list[EventType] = [
    EventType(
        "campaigns.trigger_entered",
        "A run of a triggered campaign entered members (campaign_id, entered, due_on)",
        "campaigns.campaign",
    )
]
