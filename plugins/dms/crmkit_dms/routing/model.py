"""What a routed lead is: an assignment of a lead (party) to a partner, or to the fallback queue."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from attrs import frozen

STATES = (
    "offered",
    "accepted",
    "declined",
    "expired",
    "contacted",
    "appointment",
    "sold",
    "lost",
    "unrouted",
)
"""Every state an assignment can be in; ``unrouted`` is the fallback queue (no partner)."""

OUTCOMES = ("contacted", "appointment", "sold", "lost")
"""What a partner reports about a lead it accepted."""

CLOSED = ("declined", "expired", "sold", "lost")
"""States after which the assignment changes no more (the lead may be offered anew)."""

SOURCES = ("adf", "star", "api", "web")
"""Where a lead came from."""


@frozen
class Assignment:
    """One offer of a lead (``party_id``) to a partner; ``partner_id`` None = fallback queue."""

    id: int
    party_id: int
    partner_id: int | None
    state: str
    reason: str | None
    brand: str | None
    country: str | None
    postcode: str | None
    vehicle: dict[str, Any] | None
    source: str
    offered_at: datetime
    accept_by: datetime | None
    accepted_at: datetime | None
    first_contact_at: datetime | None
    closed_at: datetime | None
    attempt: int
    previous_id: int | None
    version: int

    @classmethod
    def of(cls, row: Any) -> Assignment:
        return cls(
            id=row.id,
            party_id=row.party_id,
            partner_id=row.partner_id,
            state=row.state,
            reason=row.reason,
            brand=row.brand,
            country=row.country,
            postcode=row.postcode,
            vehicle=row.vehicle,
            source=row.source,
            offered_at=row.offered_at,
            accept_by=row.accept_by,
            accepted_at=row.accepted_at,
            first_contact_at=row.first_contact_at,
            closed_at=row.closed_at,
            attempt=row.attempt,
            previous_id=row.previous_id,
            version=row.version,
        )

    @property
    def queued(self) -> bool:
        """In the fallback queue: no partner took it (none covered it, or all tries ran out)."""
        return self.partner_id is None and self.state == "unrouted" and self.closed_at is None

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "party_id": self.party_id,
            "partner_id": self.partner_id,
            "state": self.state,
            "reason": self.reason,
            "brand": self.brand,
            "country": self.country,
            "postcode": self.postcode,
            "vehicle": self.vehicle,
            "source": self.source,
            "offered_at": self.offered_at.isoformat(),
            "accept_by": None if self.accept_by is None else self.accept_by.isoformat(),
            "accepted_at": None if self.accepted_at is None else self.accepted_at.isoformat(),
            "first_contact_at": None
            if self.first_contact_at is None
            else self.first_contact_at.isoformat(),
            "closed_at": None if self.closed_at is None else self.closed_at.isoformat(),
            "attempt": self.attempt,
            "previous_id": self.previous_id,
            "version": self.version,
        }
