"""What vehicles add to the campaigns plugin, when it is installed: after-sales triggers
(service due, warranty ending) and segment criteria (the vehicle's make, model and model
year; last service before a date).

The objects follow the protocols of ``crmkit_campaigns.extensions`` (``Trigger``,
``Criterion``) without importing campaigns, so that dms loads without it. A trigger enters the
vehicle's current owners and lessees (not its drivers), once per vehicle and date.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from types import MappingProxyType
from typing import Any

from attrs import frozen
from sqlalchemy import (
    ColumnElement,
    Select,
    String,
    case,
    cast,
    exists,
    func,
    literal,
    or_,
    select,
)

from crmkit import parse_whole_number, read_date, read_text, read_whole_number, shifted_day
from crmkit_dms.vehicles.tables import vehicle, vehicle_owner

MAX_DAYS = 3650
HOLDERS = ("owner", "lessee")
"""Who hears about a vehicle's service and warranty: who pays for it, not who drives it."""


def _whole(field: str, value: Any, *, minimum: int, maximum: int) -> int:
    """A whole number, given as a JSON number or as its digits (as the segment form sends it)."""
    if isinstance(value, str):
        return parse_whole_number(field, value.strip(), minimum=minimum, maximum=maximum)
    return read_whole_number(field, value, minimum=minimum, maximum=maximum)


def _occurrences(
    column: ColumnElement[Any],
    what: str,
    days: int,
    on: date,
    known: ColumnElement[Any] | None = None,
) -> Select[Any]:
    due_on: ColumnElement[Any] = shifted_day(column, days=-days)
    if known is not None:  # never before the day the date was learnt
        due_on = case((due_on < known, known), else_=due_on)
    return (
        select(
            vehicle_owner.c.party_id.label("party_id"),
            (
                literal("vehicle ")
                + cast(vehicle.c.id, String)
                + literal(f" {what} ")
                + cast(column, String)
            ).label("occurrence"),
            due_on.label("due_on"),
        )
        .join(vehicle_owner, vehicle_owner.c.vehicle_id == vehicle.c.id)
        .where(
            vehicle_owner.c.relationship.in_(HOLDERS),
            vehicle_owner.c.until.is_(None),
            column.is_not(None),
            due_on <= on,
        )
    )


@frozen
class ServiceDue:
    """A vehicle's next service is due in ``days`` days (by time or by distance)."""

    name: str = "dms.service_due"
    label: str = "A vehicle is due for service"
    parameters: Mapping[str, str] = MappingProxyType({"days": "days"})

    def occurrences(self, parameters: Mapping[str, Any], on: date) -> Select[Any]:
        days = _whole("days", parameters.get("days", 0), minimum=0, maximum=MAX_DAYS)
        return _occurrences(
            vehicle.c.service_due_on, "service", days, on, vehicle.c.service_due_known_on
        )


@frozen
class WarrantyEnding:
    """A vehicle's warranty (as the DMS reported it) ends in ``days`` days."""

    name: str = "dms.warranty_ending"
    label: str = "A vehicle's warranty is ending"
    parameters: Mapping[str, str] = MappingProxyType({"days": "days"})

    def occurrences(self, parameters: Mapping[str, Any], on: date) -> Select[Any]:
        days = _whole("days", parameters.get("days", 0), minimum=0, maximum=MAX_DAYS)
        return _occurrences(vehicle.c.warranty_until, "warranty", days, on)


def _held(party_id: ColumnElement[int], *conditions: ColumnElement[bool]) -> ColumnElement[bool]:
    return exists().where(
        vehicle_owner.c.vehicle_id == vehicle.c.id,
        vehicle_owner.c.party_id == party_id,
        vehicle_owner.c.until.is_(None),
        *conditions,
    )


@frozen
class DrivesVehicle:
    """The party owns, leases or drives a vehicle of this make (and model, model years)."""

    name: str = "dms.vehicle"
    label: str = "Has a vehicle of a make or model"
    parameters: Mapping[str, str] = MappingProxyType(
        {"make": "text", "model": "text", "year_from": "number", "year_to": "number"}
    )

    def condition(
        self, parameters: Mapping[str, Any], party_id: ColumnElement[int]
    ) -> ColumnElement[bool]:
        conditions: list[ColumnElement[bool]] = []
        for name, column in (("make", vehicle.c.make), ("model", vehicle.c.model)):
            text = read_text(name, parameters.get(name), limit=80)
            if text is not None:
                conditions.append(func.lower(column) == text.lower())
        if parameters.get("year_from") is not None:
            first = _whole("year_from", parameters["year_from"], minimum=1900, maximum=2100)
            conditions.append(vehicle.c.model_year >= first)
        if parameters.get("year_to") is not None:
            last = _whole("year_to", parameters["year_to"], minimum=1900, maximum=2100)
            conditions.append(vehicle.c.model_year <= last)
        return _held(party_id, *conditions)


@frozen
class LastServiceBefore:
    """The party has a vehicle not serviced since ``before`` (never serviced included)."""

    name: str = "dms.last_service_before"
    label: str = "Has a vehicle last serviced before a date"
    parameters: Mapping[str, str] = MappingProxyType({"before": "date"})

    def condition(
        self, parameters: Mapping[str, Any], party_id: ColumnElement[int]
    ) -> ColumnElement[bool]:
        before = read_date("before", parameters.get("before"))
        return _held(
            party_id,
            or_(vehicle.c.last_service_on.is_(None), vehicle.c.last_service_on < before),
        )


def triggers() -> list[Any]:
    """The after-sales triggers vehicles offer campaigns."""
    return [ServiceDue(), WarrantyEnding()]


def segment_criteria() -> list[Any]:
    """The segment criteria vehicles offer campaigns."""
    return [DrivesVehicle(), LastServiceBefore()]
