"""Segment criteria on the analytics plugin's customer profiles, offered when analytics is
loaded (campaigns lists it in ``optional_depends``): the RFM band, the R/F/M scores, a product
group bought, the preferred channel, and a product its cross-sell rules would suggest.

Each is an ``EXISTS`` over analytics' tables, named through ``crmkit_analytics``' public names
(imported only when analytics is loaded). A customer without a profile (no purchase yet, or
the profiles job has not run since) meets none of them.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime, time
from decimal import Decimal
from types import MappingProxyType
from typing import Any

from attrs import frozen
from sqlalchemy import ColumnElement, exists, func

from crmkit import ValidationError, read_text

SCORES = ("r", "f", "m")


def _profile() -> Any:
    from crmkit_analytics import profile_table

    return profile_table()


def _purchase() -> Any:
    from crmkit_analytics import purchase_table

    return purchase_table()


def _score(name: str, value: Any) -> int:
    if not isinstance(value, int | Decimal) or value != int(value) or not 1 <= value <= 5:
        raise ValidationError(name, "expected a score from 1 to 5")
    return int(value)


@frozen
class Band:
    """The customer's RFM band is this one."""

    parameters: Mapping[str, str]
    name: str = "analytics.band"
    label: str = "Is in an RFM band (analytics)"

    def condition(
        self, parameters: Mapping[str, Any], party_id: ColumnElement[int]
    ) -> ColumnElement[bool]:
        band = parameters.get("band")
        if band is None:
            raise ValidationError("band", "choose a band")
        profile = _profile()
        return exists().where(profile.c.party_id == party_id, profile.c.band == band)


@frozen
class Scores:
    """The customer's R, F and M scores (1..5) are within the bounds given (any left out is
    not bounded)."""

    name: str = "analytics.rfm"
    label: str = "Has RFM scores between (analytics)"
    parameters: Mapping[str, str] = MappingProxyType(
        {f"{score}_{end}": "number" for score in SCORES for end in ("min", "max")}
    )

    def condition(
        self, parameters: Mapping[str, Any], party_id: ColumnElement[int]
    ) -> ColumnElement[bool]:
        profile = _profile()
        bounds: list[ColumnElement[bool]] = []
        for score in SCORES:
            column = profile.c[f"{score}_score"]
            low, high = parameters.get(f"{score}_min"), parameters.get(f"{score}_max")
            if low is not None:
                bounds.append(column >= _score(f"{score}_min", low))
            if high is not None:
                bounds.append(column <= _score(f"{score}_max", high))
        if not bounds:
            raise ValidationError("r_min", "give at least one bound")
        return exists().where(profile.c.party_id == party_id, *bounds)


@frozen
class BoughtGroup:
    """The customer bought from this product group (any case), since a day if given."""

    name: str = "analytics.bought_group"
    label: str = "Bought from a product group (analytics)"
    parameters: Mapping[str, str] = MappingProxyType({"group": "text", "since": "date"})

    def condition(
        self, parameters: Mapping[str, Any], party_id: ColumnElement[int]
    ) -> ColumnElement[bool]:
        group = read_text("group", parameters.get("group"), limit=120)
        if group is None:
            raise ValidationError("group", "name a product group")
        purchase = _purchase()
        conditions = [
            purchase.c.party_id == party_id,
            func.lower(purchase.c.product_group) == group.lower(),
        ]
        since: date | None = parameters.get("since")
        if since is not None:
            conditions.append(purchase.c.occurred_at >= datetime.combine(since, time(), UTC))
        return exists().where(*conditions)


@frozen
class PreferredChannel:
    """Most of the customer's orders came through this channel (any case)."""

    name: str = "analytics.preferred_channel"
    label: str = "Prefers a sales channel (analytics)"
    parameters: Mapping[str, str] = MappingProxyType({"channel": "text"})

    def condition(
        self, parameters: Mapping[str, Any], party_id: ColumnElement[int]
    ) -> ColumnElement[bool]:
        channel = read_text("channel", parameters.get("channel"), limit=40)
        if channel is None:
            raise ValidationError("channel", "name a channel")
        profile = _profile()
        return exists().where(
            profile.c.party_id == party_id,
            func.lower(profile.c.preferred_channel) == channel.lower(),
        )


@frozen
class Suggested:
    """A cross-sell rule of analytics would suggest this product to the customer: they bought
    a product that leads to it and never bought it (``crmkit_analytics.parties_with_suggestion``,
    as a subquery run with the segment)."""

    name: str = "analytics.suggested"
    label: str = "Would be suggested a product (analytics cross-sell)"
    parameters: Mapping[str, str] = MappingProxyType({"product": "text"})

    def condition(
        self, parameters: Mapping[str, Any], party_id: ColumnElement[int]
    ) -> ColumnElement[bool]:
        from crmkit_analytics import parties_with_suggestion_query

        product = read_text("product", parameters.get("product"), limit=120)
        if product is None:
            raise ValidationError("product", "name a product")
        return party_id.in_(parties_with_suggestion_query(product))


def criteria() -> list[Any]:
    """The criteria; call only when analytics is loaded."""
    from crmkit_analytics import PROFILE_BANDS

    return [
        Band(MappingProxyType({"band": f"choice:{'|'.join(PROFILE_BANDS)}"})),
        Scores(),
        BoughtGroup(),
        PreferredChannel(),
        Suggested(),
    ]
