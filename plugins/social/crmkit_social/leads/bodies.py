"""The JSON request body of the form mapping route, as the OpenAPI document describes it."""

from __future__ import annotations

from typing import Any, ClassVar

from attrs import field, frozen

from crmkit_social.leads.mapping import MAX_FIELDS

FIELDS = {
    "json": {
        "description": "Meta field name (or disclaimer checkbox key) -> email, phone, full_name, "
        "first_name, last_name, organisation_name, birth_date, street, street_number, "
        "address_line2, postcode, city, region, country, custom.<field>, consent:<purpose>"
        "[:<channel>] or ignore; null drops the form's own target for that field",
        "maxProperties": MAX_FIELDS,
    }
}


@frozen
class LeadFormChanges:
    """A change of a form's field mapping: ``fields`` merged into what it has."""

    __json_input__: ClassVar[bool] = True

    fields: dict[str, Any] | None = field(default=None, metadata=FIELDS)
    name: str | None = field(default=None, metadata={"json": {"maxLength": 300}})
    version: int | None = field(
        default=None, metadata={"json": {"description": "The version last read (0: none yet)"}}
    )
