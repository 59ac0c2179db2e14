"""The domain events the programmes part emits (payloads: ids, ranks and reasons, no names)."""

from __future__ import annotations

from crmkit import EventType

PROGRAMME = "loyalty.programme"
MEMBER = "loyalty.member"

EVENT_TYPES: list[EventType] = [
    EventType("loyalty.programme_created", "A loyalty programme was created", PROGRAMME),
    EventType(
        "loyalty.programme_updated",
        "A loyalty programme, or one of its rules, tiers or rewards, changed",
        PROGRAMME,
    ),
    EventType("loyalty.programme_deleted", "A loyalty programme was deleted", PROGRAMME),
    EventType(
        "loyalty.tier_changed",
        "A member moved to another tier: qualified, downgraded at a review, or by hand",
        MEMBER,
    ),
]
