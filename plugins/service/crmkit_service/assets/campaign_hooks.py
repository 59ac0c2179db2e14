"""What customer service adds to the campaigns plugin, when it is installed: after-sales
triggers from what customers own (a warranty ending, a service contract up for renewal) and
the segment criterion "has an open case".

The objects follow the protocols of ``crmkit_campaigns.extensions`` (``Trigger``,
``Criterion``) without importing campaigns, so that service loads without it. Assets carry no
next-service date, so there is no "service due" trigger: a service contract's end is the
date service knows ahead.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta
from types import MappingProxyType
from typing import Any

from attrs import frozen
from sqlalchemy import ColumnElement, Select, String, cast, exists, literal, select

from crmkit import (
    MAX_ID,
    parse_whole_number,
    read_choice,
    read_whole_number,
    shifted_day,
    utcnow,
)
from crmkit_service.assets.tables import asset, contract
from crmkit_service.cases.model import OPEN_STATUSES, PRIORITIES
from crmkit_service.cases.tables import case

MAX_DAYS = 3650
MAX_AGE_DAYS = 36_500
"""How far back ``older_than_days`` reaches: a hundred years, as the segments' days do."""


def _days(parameters: Mapping[str, Any]) -> int:
    return read_whole_number("days", parameters.get("days"), minimum=0, maximum=MAX_DAYS)


@frozen
class WarrantyEnding:
    """An asset's warranty ends in ``days`` days: one occurrence per asset and warranty end."""

    name: str = "service.warranty_ending"
    label: str = "An asset's warranty is ending"
    parameters: Mapping[str, str] = MappingProxyType({"days": "days"})

    def occurrences(self, parameters: Mapping[str, Any], on: date) -> Select[Any]:
        due_on = shifted_day(asset.c.warranty_end, days=-_days(parameters))
        return select(
            asset.c.party_id.label("party_id"),
            (
                literal("asset ")
                + cast(asset.c.id, String)
                + literal(" warranty ")
                + cast(asset.c.warranty_end, String)
            ).label("occurrence"),
            due_on.label("due_on"),
        ).where(asset.c.warranty_end.is_not(None), due_on <= on)


@frozen
class ContractRenewal:
    """A service contract ends in ``days`` days: one occurrence per contract and end."""

    name: str = "service.contract_renewal"
    label: str = "A service contract is up for renewal"
    parameters: Mapping[str, str] = MappingProxyType({"days": "days"})

    def occurrences(self, parameters: Mapping[str, Any], on: date) -> Select[Any]:
        due_on = shifted_day(contract.c.ends_on, days=-_days(parameters))
        return select(
            contract.c.party_id.label("party_id"),
            (
                literal("contract ")
                + cast(contract.c.id, String)
                + literal(" ends ")
                + cast(contract.c.ends_on, String)
            ).label("occurrence"),
            due_on.label("due_on"),
        ).where(due_on <= on)


def _whole(field: str, value: Any, *, minimum: int, maximum: int) -> int:
    """A whole number, given as a JSON number or as its digits (as the segment form sends it)."""
    if isinstance(value, str):
        return parse_whole_number(field, value.strip(), minimum=minimum, maximum=maximum)
    return read_whole_number(field, value, minimum=minimum, maximum=maximum)


@frozen
class OpenCase:
    """The party has an open case; with ``category`` (an id) one of that category, with
    ``priority`` one of that priority, with ``older_than_days`` one opened at least that many
    days ago."""

    name: str = "service.open_case"
    label: str = "Has an open case"
    parameters: Mapping[str, str] = MappingProxyType(
        {
            "category": "number",
            "priority": "choice:" + "|".join(PRIORITIES),
            "older_than_days": "days",
        }
    )

    def condition(
        self, parameters: Mapping[str, Any], party_id: ColumnElement[int]
    ) -> ColumnElement[bool]:
        conditions = [case.c.party_id == party_id, case.c.status.in_(OPEN_STATUSES)]
        if parameters.get("category") is not None:
            category = _whole("category", parameters["category"], minimum=1, maximum=MAX_ID)
            conditions.append(case.c.category_id == category)
        if parameters.get("priority") is not None:
            priority = read_choice("priority", parameters["priority"], PRIORITIES)
            conditions.append(case.c.priority == priority)
        if parameters.get("older_than_days") is not None:
            days = _whole(
                "older_than_days", parameters["older_than_days"], minimum=0, maximum=MAX_AGE_DAYS
            )
            conditions.append(case.c.created_at <= utcnow() - timedelta(days=days))
        return exists().where(*conditions)


def triggers() -> list[Any]:
    """The after-sales triggers service offers campaigns."""
    return [WarrantyEnding(), ContractRenewal()]


def segment_criteria() -> list[Any]:
    """The segment criteria service offers campaigns."""
    return [OpenCase()]
