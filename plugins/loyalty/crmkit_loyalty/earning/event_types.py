"""The domain events the earning part emits (points themselves are the ledger's
``loyalty.points_earned``)."""

from __future__ import annotations

from crmkit import EventType

REFERRAL_ENTITY = "loyalty.referral"

EVENT_TYPES: list[EventType] = [
    EventType(
        "loyalty.referral_recorded",
        "A member referred a party (member_id, programme_id, party_id of the member, referred_party_id)",
        REFERRAL_ENTITY,
    ),
    EventType(
        "loyalty.referral_concluded",
        "A referred party became a customer or ordered: the referral is rewarded (points) or, "
        "with no rule or over the cap, cancelled",
        REFERRAL_ENTITY,
    ),
]
