"""The events the campaigns part emits, for webhooks and other plugins: ids only."""

from __future__ import annotations

from crmkit import EventType
from crmkit_campaigns.campaigns.model import ENTITY

EVENT_TYPES: list[EventType] = [
    EventType("campaigns.campaign.created", "A campaign was defined (a draft)", ENTITY),
    EventType("campaigns.campaign.changed", "A campaign's definition changed", ENTITY),
    EventType("campaigns.campaign.deleted", "A draft campaign was deleted", ENTITY),
    EventType(
        "campaigns.campaign.targeted", "Members were entered from the campaign's target", ENTITY
    ),
    EventType("campaigns.campaign.scheduled", "A campaign was started to send later", ENTITY),
    EventType("campaigns.campaign.started", "A campaign began sending", ENTITY),
    EventType("campaigns.campaign.paused", "A campaign's sending was paused", ENTITY),
    EventType("campaigns.campaign.resumed", "A paused campaign goes on sending", ENTITY),
    EventType("campaigns.campaign.cancelled", "A campaign was cancelled", ENTITY),
    EventType(
        "campaigns.campaign.winner_chosen", "An A/B test's winning variant was chosen", ENTITY
    ),
    EventType("campaigns.campaign.completed", "Every member of a campaign was queued", ENTITY),
]
