"""The events the plans part emits, for webhooks and other plugins (payloads: the plan's id)."""

from __future__ import annotations

from crmkit import EventType

ENTITY = "campaigns.plan"

EVENT_TYPES: list[EventType] = [
    EventType("campaigns.plan_created", "A marketing plan was created", ENTITY),
    EventType("campaigns.plan_updated", "A marketing plan or its targets changed", ENTITY),
    EventType("campaigns.plan_deleted", "A marketing plan was deleted", ENTITY),
]
