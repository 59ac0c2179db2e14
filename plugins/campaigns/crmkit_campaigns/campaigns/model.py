"""What a campaign is: the frozen ``Campaign`` and ``Variant``, and the vocabularies they draw on."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from attrs import frozen

ENTITY = "campaigns.campaign"
WINNER_METRICS = ("opened", "clicked")
EDITABLE_STATUSES = ("draft", "scheduled", "paused")
"""A campaign's definition may change while nothing of it is being sent."""
FINISHED_STATUSES = ("cancelled", "completed")


@frozen
class Variant:
    """One message of a campaign on one channel: a channels template, or texts of its own."""

    id: int
    channel: str
    label: str
    split: int
    template: str | None
    subject: str | None
    text: str | None
    html: str | None


@frozen
class Campaign:
    """A message to the members of a segment or list, on their consenting channel, on a schedule."""

    id: int
    name: str
    kind: str
    status: str
    purpose: str
    segment_id: int | None
    list_id: int | None
    trigger: dict[str, Any] | None
    product_group: str | None
    region: str | None
    starts_at: datetime | None
    ends_at: datetime | None
    throttle_per_hour: int | None
    quiet_start: str | None
    quiet_end: str | None
    time_zone: str
    test_share: int
    winner_metric: str | None
    decide_after_hours: int | None
    winner_variant_id: int | None
    budget: Decimal | None
    currency: str
    owner_id: int | None
    created_by: int | None
    created_at: datetime
    updated_at: datetime
    targeted_at: datetime | None
    completed_at: datetime | None
    version: int
    variants: tuple[Variant, ...]

    @property
    def is_ab(self) -> bool:
        """Whether a channel of the campaign has more than one variant."""
        channels = [v.channel for v in self.variants]
        return len(channels) != len(set(channels))


@frozen
class MemberCounts:
    """How many of a campaign's members (those the reader sees) are at each status."""

    campaign_id: int
    total: int
    by_status: dict[str, int]
