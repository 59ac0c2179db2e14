"""What the programmes part answers: programmes, their point rules, tiers and rewards, as stored."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from attrs import frozen


@frozen
class Programme:
    """A loyalty programme: its currency, how long points last and how tiers are qualified for."""

    id: int
    name: str
    description: str | None
    status: str
    """``active`` or ``closed`` (a closed programme enrols and earns nothing)."""
    currency: str
    points_expire_months: int | None
    """None: points never expire."""
    qualification_months: int
    """Tiers are qualified for by the points earned over this many months, rolling."""
    auto_enrol: bool
    downgrade: str
    """At a review, a member who no longer qualifies moves ``one_step`` down, or ``to_qualified``:
    straight to the tier their points reach."""
    created_by: int | None
    created_at: datetime
    updated_at: datetime
    version: int


@frozen
class LoyaltyRule:
    """How points are earned: ``spend``, ``product_group``, ``behaviour`` or ``referral``."""

    id: int
    programme_id: int
    kind: str
    name: str
    points_per_unit: Decimal | None
    """spend, product_group: points per unit of the programme's currency."""
    product_group: str | None
    behaviour: str | None
    points: int | None
    """behaviour, referral: a fixed number of points."""
    max_per_party_per_year: int | None
    valid_from: date | None
    valid_until: date | None
    active: bool
    created_at: datetime
    updated_at: datetime
    version: int


# Other parts say Rule; the class's own name is its OpenAPI schema's, which must differ from
# other plugins' (the surveys plugin's Rule) or the document merges the two.
Rule = LoyaltyRule


@frozen
class Tier:
    """A level of membership: reached by ``threshold`` points within the qualification period."""

    id: int
    programme_id: int
    name: str
    rank: int
    """0 is the entry tier every member starts in; higher is better."""
    threshold: int
    multiplier: Decimal
    benefits: str | None
    version: int


@frozen
class Reward:
    """What points buy: for members of tier ``min_tier_rank`` or higher, while ``stock`` lasts."""

    id: int
    programme_id: int
    name: str
    description: str | None
    points: int
    min_tier_rank: int
    stock: int | None
    """None: unlimited."""
    active: bool
    created_at: datetime
    updated_at: datetime
    version: int


def programme_of(row: Any) -> Programme:
    return Programme(
        id=row.id,
        name=row.name,
        description=row.description,
        status=row.status,
        currency=row.currency,
        points_expire_months=row.points_expire_months,
        qualification_months=row.qualification_months,
        auto_enrol=bool(row.auto_enrol),
        downgrade=row.downgrade,
        created_by=row.created_by,
        created_at=row.created_at,
        updated_at=row.updated_at,
        version=row.version,
    )


def rule_of(row: Any) -> Rule:
    return Rule(
        id=row.id,
        programme_id=row.programme_id,
        kind=row.kind,
        name=row.name,
        points_per_unit=None if row.points_per_unit is None else Decimal(row.points_per_unit),
        product_group=row.product_group,
        behaviour=row.behaviour,
        points=row.points,
        max_per_party_per_year=row.max_per_party_per_year,
        valid_from=row.valid_from,
        valid_until=row.valid_until,
        active=bool(row.active),
        created_at=row.created_at,
        updated_at=row.updated_at,
        version=row.version,
    )


def tier_of(row: Any) -> Tier:
    return Tier(
        id=row.id,
        programme_id=row.programme_id,
        name=row.name,
        rank=row.rank,
        threshold=row.threshold,
        multiplier=Decimal(row.multiplier),
        benefits=row.benefits,
        version=row.version,
    )


def reward_of(row: Any) -> Reward:
    return Reward(
        id=row.id,
        programme_id=row.programme_id,
        name=row.name,
        description=row.description,
        points=row.points,
        min_tier_rank=row.min_tier_rank,
        stock=row.stock,
        active=bool(row.active),
        created_at=row.created_at,
        updated_at=row.updated_at,
        version=row.version,
    )
