"""The domain events the invitations part emits, for webhooks and other plugins: ids and counts."""

from __future__ import annotations

from crmkit import EventType
from crmkit_surveys.invitations.model import ENTITY_RULE, ENTITY_SEND

EVENT_TYPES: list[EventType] = [
    EventType("surveys.send_made", "A survey was sent to an audience", ENTITY_SEND),
    EventType("surveys.rule_saved", "A rule sending a survey after events was saved", ENTITY_RULE),
    EventType(
        "surveys.rule_deleted", "A rule sending a survey after events was deleted", ENTITY_RULE
    ),
]
