"""The triggers campaigns brings itself: a date custom field of the customer, and (with the sfa
plugin) a product's replacement age.

Each follows :class:`crmkit_campaigns.extensions.Trigger`: ``occurrences(parameters, on)``
is a query of ``party_id``, ``occurrence`` and ``due_on`` without reading the database.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from types import MappingProxyType
from typing import Any

from attrs import frozen
from sqlalchemy import Select, String, and_, cast, literal, select

from crmkit import (
    CustomField,
    ValidationError,
    party_table,
    read_choice,
    read_text,
    read_whole_number,
    shifted_day,
)

MAX_DAYS = 3650
MAX_YEARS = 50


def read_days(parameters: Mapping[str, Any], name: str = "days") -> int:
    """The whole number of days ``name`` (0 to 3650)."""
    return read_whole_number(name, parameters.get(name), minimum=0, maximum=MAX_DAYS)


@frozen
class CustomDateTrigger:
    """A date custom field of the customer, ``days`` before or after it: a contract's end, a
    vehicle's inspection. The occurrence names the field and the date, so a new date (next
    year's) is a new occurrence."""

    fields: tuple[str, ...]
    """The customers' date custom fields."""
    name: str = "campaigns.custom_date"
    label: str = "A date field of the customer"
    parameters: Mapping[str, str] = MappingProxyType(
        {
            "field": "text",
            "days": "days",
            "when": "choice:before|after",
        }
    )

    def occurrences(self, parameters: Mapping[str, Any], on: date) -> Select[Any]:
        field = parameters.get("field")
        if field not in self.fields:
            shown = ", ".join(self.fields) or "none is declared"
            raise ValidationError("field", f"expected a date custom field of customers ({shown})")
        when = read_choice("when", parameters.get("when", "before"), ("before", "after"))
        days = read_days(parameters)
        day = party_table.c.custom[field].as_string()
        due_on = shifted_day(day, days=-days if when == "before" else days)
        return select(
            party_table.c.id.label("party_id"),
            (literal(f"{field} ") + day).label("occurrence"),
            due_on.label("due_on"),
        ).where(party_table.c.role == "customer", day.is_not(None), due_on <= on)


@frozen
class ReplacementAgeTrigger:
    """An order line of a product group placed ``years`` ago (plus ``days``): time to replace
    what was bought. One occurrence per order holding such a line."""

    name: str = "campaigns.replacement_age"
    label: str = "Bought a product group years ago (sfa orders)"
    parameters: Mapping[str, str] = MappingProxyType(
        {"product_group": "text", "years": "number", "days": "days"}
    )

    def occurrences(self, parameters: Mapping[str, Any], on: date) -> Select[Any]:
        # Imported here: this trigger is offered only when sfa is loaded.
        from crmkit_sfa import order_line_table, order_table

        group = read_text("product_group", parameters.get("product_group"), limit=64, required=True)
        years = read_whole_number("years", parameters.get("years"), minimum=1, maximum=MAX_YEARS)
        days = read_days(parameters) if "days" in parameters else 0
        due_on = shifted_day(order_table.c.placed_at, years=years, days=days)
        lines_of_group = select(order_line_table.c.order_id).where(
            order_line_table.c.product_group == group
        )
        return select(
            order_table.c.party_id.label("party_id"),
            (literal("order ") + cast(order_table.c.id, String)).label("occurrence"),
            due_on.label("due_on"),
        ).where(and_(order_table.c.id.in_(lines_of_group), due_on <= on))


def built_in(custom_fields: Mapping[str, CustomField], sfa_loaded: bool) -> list[Any]:
    """The built-in triggers of an application with these customer custom fields."""
    dates = tuple(sorted(name for name, spec in custom_fields.items() if spec.type == "date"))
    found: list[Any] = [CustomDateTrigger(dates)]
    if sfa_loaded:
        found.append(ReplacementAgeTrigger())
    return found
