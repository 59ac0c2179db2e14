"""What the earning part answers: referrals."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from attrs import frozen


@frozen
class Referral:
    """A member brought a party: ``pending`` until it becomes a customer (or, referred as a
    customer, orders), then ``rewarded``, or ``cancelled`` when no rule rewarded it."""

    id: int
    member_id: int
    programme_id: int
    referred_party_id: int | None
    """None once the referred party is erased."""
    status: str
    created_by: int | None
    created_at: datetime
    rewarded_at: datetime | None

    @classmethod
    def of(cls, row: Any) -> Referral:
        return cls(
            id=row.id,
            member_id=row.member_id,
            programme_id=row.programme_id,
            referred_party_id=row.referred_party_id,
            status=row.status,
            created_by=row.created_by,
            created_at=row.created_at,
            rewarded_at=row.rewarded_at,
        )
