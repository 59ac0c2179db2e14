"""Members as a segment criterion, when the campaigns plugin is installed (owned by the earning
part).

The criterion follows ``crmkit_campaigns.extensions.Criterion`` without importing campaigns,
so that loyalty loads without it; ``hooks.campaigns_segment_criteria`` (an optional hook)
offers it.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from types import MappingProxyType
from typing import Any

from attrs import frozen
from sqlalchemy import ColumnElement, exists, func, select

from crmkit import MAX_ID, ValidationError, parse_whole_number, read_text
from crmkit_loyalty.ledger.tables import member
from crmkit_loyalty.programmes.tables import tier

MAX_POINTS = 10**12


def _whole(field: str, value: Any, *, minimum: int, maximum: int) -> int:
    """A whole number, as campaigns reads a ``number`` (an int or a Decimal) or as its digits."""
    if isinstance(value, str):
        return parse_whole_number(field, value.strip(), minimum=minimum, maximum=maximum)
    if isinstance(value, bool) or not isinstance(value, int | Decimal):
        raise ValidationError(field, "expected a whole number")
    if value != int(value) or not minimum <= value <= maximum:
        raise ValidationError(field, f"expected a whole number from {minimum} to {maximum}")
    return int(value)


@frozen
class LoyaltyMember:
    """The party is an active member of ``programme`` (an id); with ``tier`` in the tier of
    that name, with ``min_balance`` holding at least that many points, with
    ``min_lifetime_points`` having earned at least that many."""

    name: str = "loyalty.member"
    label: str = "Is a loyalty member"
    parameters: Mapping[str, str] = MappingProxyType(
        {
            "programme": "number",
            "tier": "text",
            "min_balance": "number",
            "min_lifetime_points": "number",
        }
    )

    def condition(
        self, parameters: Mapping[str, Any], party_id: ColumnElement[int]
    ) -> ColumnElement[bool]:
        if parameters.get("programme") is None:
            raise ValidationError("programme", "is required: the programme's id")
        programme_id = _whole("programme", parameters["programme"], minimum=1, maximum=MAX_ID)
        conditions = [
            member.c.party_id == party_id,
            member.c.programme_id == programme_id,
            member.c.status == "active",
        ]
        tier_name = read_text("tier", parameters.get("tier"), limit=100)
        if tier_name is not None:
            conditions.append(
                member.c.tier_id.in_(
                    select(tier.c.id).where(
                        tier.c.programme_id == programme_id,
                        # Tier names are unique ignoring case: "gold" finds "Gold".
                        func.lower(tier.c.name) == tier_name.lower(),
                    )
                )
            )
        for name, column in (
            ("min_balance", member.c.balance),
            ("min_lifetime_points", member.c.lifetime_points),
        ):
            if parameters.get(name) is not None:
                least = _whole(name, parameters[name], minimum=0, maximum=MAX_POINTS)
                conditions.append(column >= least)
        return exists().where(*conditions)


CRITERIA: list[Any] = [LoyaltyMember()]
