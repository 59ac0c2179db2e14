"""The events the segments part emits, for webhooks and other plugins."""

from __future__ import annotations

from crmkit import EventType

SEGMENT_ENTITY = "campaigns.segment"
LIST_ENTITY = "campaigns.list"

EVENT_TYPES = [
    EventType("campaigns.segment_created", "A segment was saved", SEGMENT_ENTITY),
    EventType(
        "campaigns.segment_changed",
        "A saved segment's name, description, definition or owner changed (fields)",
        SEGMENT_ENTITY,
    ),
    EventType("campaigns.segment_deleted", "A saved segment was deleted", SEGMENT_ENTITY),
    EventType(
        "campaigns.list_created", "A static or suppression list was created (kind)", LIST_ENTITY
    ),
    EventType(
        "campaigns.list_changed",
        "A list's name or description changed, or members or addresses were added or removed",
        LIST_ENTITY,
    ),
    EventType("campaigns.list_deleted", "A static or suppression list was deleted", LIST_ENTITY),
]
