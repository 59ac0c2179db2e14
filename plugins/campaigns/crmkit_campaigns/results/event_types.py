"""The events the results part emits, for webhooks and other plugins (ids only)."""

from __future__ import annotations

from crmkit import EventType

EVENT_TYPES: list[EventType] = [
    EventType(
        "campaigns.response.received",
        "Someone responded to a campaign: id, campaign_id, member_id, via",
        "campaigns.response",
    ),
    EventType("campaigns.cost.added", "A cost was entered: id, campaign_id", "campaigns.cost"),
    EventType("campaigns.cost.deleted", "A cost was removed: id, campaign_id", "campaigns.cost"),
]
