"""The domain events the ledger part emits.

Payloads carry ids and numbers (``member_id``, ``party_id``, ``programme_id``, points and
the balance after), never a person's data.
"""

from __future__ import annotations

from crmkit import EventType

MEMBER = "loyalty.member"

EVENT_TYPES = [
    EventType("loyalty.member_enrolled", "A party was enrolled in a loyalty programme", MEMBER),
    EventType(
        "loyalty.points_earned", "A member earned points (an order, a behaviour ...)", MEMBER
    ),
    EventType(
        "loyalty.points_redeemed",
        "A member redeemed points (for a reward or an amount); also sent when a redemption is cancelled",
        MEMBER,
    ),
    EventType("loyalty.points_adjusted", "A member's points were given or taken by hand", MEMBER),
    EventType(
        "loyalty.points_expired",
        "Points of a member expired (one event per member and run)",
        MEMBER,
    ),
]
