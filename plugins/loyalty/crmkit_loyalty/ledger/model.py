"""What the ledger part answers: members, entries, redemptions."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from attrs import frozen


@frozen
class LoyaltyMember:
    id: int
    programme_id: int
    party_id: int | None
    number: str
    status: str
    tier_id: int
    tier_since: datetime
    tier_review_on: datetime | None
    balance: int
    lifetime_points: int
    enrolled_at: datetime
    updated_at: datetime
    version: int
    merged_into_id: int | None
    """The survivor's membership, once a merge of the parties closed this one into it."""

    @classmethod
    def of(cls, row: Any) -> LoyaltyMember:
        return cls(
            row.id,
            row.programme_id,
            row.party_id,
            row.number,
            row.status,
            row.tier_id,
            row.tier_since,
            row.tier_review_on,
            row.balance,
            row.lifetime_points,
            row.enrolled_at,
            row.updated_at,
            row.version,
            row.merged_into_id,
        )


# Other parts say Member; the class's own name is its OpenAPI schema's, which must differ from
# other plugins' (the campaigns plugin's Member) or the document merges the two.
Member = LoyaltyMember


@frozen
class Entry:
    id: int
    member_id: int
    kind: str
    points: int
    source: str
    reference: str
    rule_id: int | None
    description: str | None
    details: dict[str, Any] | None
    expires_at: datetime | None
    reverses_id: int | None
    created_by: int | None
    created_at: datetime

    @classmethod
    def of(cls, row: Any) -> Entry:
        return cls(
            row.id,
            row.member_id,
            row.kind,
            row.points,
            row.source,
            row.reference,
            row.rule_id,
            row.description,
            row.details,
            row.expires_at,
            row.reverses_id,
            row.created_by,
            row.created_at,
        )


@frozen
class Redemption:
    id: int
    member_id: int
    reward_id: int | None
    points: int
    status: str
    entry_id: int
    reference: str
    note: str | None
    created_by: int | None
    created_at: datetime

    @classmethod
    def of(cls, row: Any) -> Redemption:
        return cls(
            row.id,
            row.member_id,
            row.reward_id,
            row.points,
            row.status,
            row.entry_id,
            row.reference,
            row.note,
            row.created_by,
            row.created_at,
        )


@frozen
class Standing:
    """What the member page heads with: the balance and the tier, read in one query."""

    member_id: int
    balance: int
    lifetime_points: int
    tier_id: int
    tier_name: str
    tier_rank: int
    tier_since: datetime
