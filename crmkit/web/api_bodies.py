"""The request bodies of the kernel's API, declared for the OpenAPI document.

The services validate every body themselves (naming the field); these classes
tell clients what to send. ``metadata={"json": ...}`` adds JSON Schema
keywords (limits, patterns) to a field. Every text has a ``maxLength`` and every
list a ``maxItems``, and reading a body holds it to them (:mod:`crmkit.web.sizes`).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, ClassVar, Literal

from attrs import field, frozen

from crmkit.core.custom_fields import CUSTOM_MAX_KEYS
from crmkit.core.inputs import MAX_ID
from crmkit.core.interactions import CHANNEL
from crmkit.core.parties import CONTACT_LIMITS, NAME_LIMITS
from crmkit.core.permissions import ROLES
from crmkit.core.users import MAX_TERRITORIES, TERRITORY_LENGTH, USERNAME

ID = {"minimum": 1, "maximum": MAX_ID}
CUSTOM = {"maxProperties": CUSTOM_MAX_KEYS}


def _text(limit: int) -> Any:
    return field(default=None, metadata={"json": {"maxLength": limit}})


def _id() -> Any:
    return field(default=None, metadata={"json": ID})


def _texts(most: int, limit: int, **item: Any) -> dict[str, Any]:
    """The metadata of a list of at most ``most`` texts of at most ``limit`` characters each."""
    items = {"type": "string", "maxLength": limit, **item}
    return {"json": {"maxItems": most, "items": items}}


@frozen
class AddressInput:
    """A postal address; ``country`` is an ISO 3166 alpha-2 code."""

    __json_input__: ClassVar[bool] = True

    street: str | None = _text(200)
    street_number: str | None = _text(200)
    address_line2: str | None = _text(200)
    postcode: str | None = _text(200)
    city: str | None = _text(200)
    region: str | None = _text(200)
    country: str | None = field(
        default=None, metadata={"json": {"pattern": "^[A-Za-z]{2}$", "maxLength": 2}}
    )


@frozen
class PartyInput:
    """A person (first or last name) or an organisation (organisation_name)."""

    __json_input__: ClassVar[bool] = True

    kind: Literal["person", "organisation"] = "person"
    first_name: str | None = _text(NAME_LIMITS["first_name"])
    last_name: str | None = _text(NAME_LIMITS["last_name"])
    organisation_name: str | None = _text(NAME_LIMITS["organisation_name"])
    birth_date: date | None = None
    emails: list[str] = field(
        factory=list, metadata=_texts(CONTACT_LIMITS["emails"], 320, format="email")
    )
    phones: list[str] = field(
        factory=list,
        metadata=_texts(CONTACT_LIMITS["phones"], 100, description="Any common format"),
    )
    addresses: list[AddressInput] = field(
        factory=list, metadata={"json": {"maxItems": CONTACT_LIMITS["addresses"]}}
    )
    owner_id: int | None = _id()
    custom: dict[str, Any] = field(factory=dict, metadata={"json": CUSTOM})
    source: str | None = _text(100)


@frozen
class ProspectInput(PartyInput):
    """A new prospect."""

    status: Literal["new", "working", "qualified", "disqualified", "expired"] = "new"


@frozen
class CustomerInput(PartyInput):
    """A new customer."""

    customer_number: str | None = _text(100)


@frozen
class ProspectChanges(ProspectInput):
    """The fields to change; ``version`` (or an ``If-Match`` header) is the version last read."""

    version: int | None = _id()


@frozen
class CustomerChanges(CustomerInput):
    """The fields to change; ``version`` (or an ``If-Match`` header) is the version last read."""

    version: int | None = _id()


@frozen
class ConvertInput:
    """How the prospect becomes a customer."""

    __json_input__: ClassVar[bool] = True

    customer_number: str | None = _text(100)
    version: int | None = _id()


@frozen
class MergeInput:
    """The party merged into the one named in the path (which survives)."""

    __json_input__: ClassVar[bool] = True

    merged_id: int = field(metadata={"json": ID})
    version: int | None = _id()


@frozen
class RefInput:
    """A pointer to a plugin's own record."""

    __json_input__: ClassVar[bool] = True

    kind: str = field(metadata={"json": {"maxLength": 100}})
    id: str = field(metadata={"json": {"maxLength": 100}})


@frozen
class InteractionInput:
    """A touchpoint to log on a party's timeline."""

    __json_input__: ClassVar[bool] = True

    party_id: int = field(metadata={"json": ID})
    channel: str = field(metadata={"json": {"pattern": CHANNEL.pattern, "maxLength": 50}})
    direction: Literal["inbound", "outbound", "internal"]
    occurred_at: datetime | None = None
    subject: str | None = _text(500)
    summary: str | None = _text(100_000)
    outcome: str | None = _text(100)
    owner_id: int | None = _id()
    refs: list[RefInput] = field(factory=list, metadata={"json": {"maxItems": 50}})
    custom: dict[str, Any] = field(factory=dict, metadata={"json": CUSTOM})


USER_ROLE = {"enum": list(ROLES)}


@frozen
class UserInput:
    """A new user."""

    __json_input__: ClassVar[bool] = True

    username: str = field(metadata={"json": {"pattern": USERNAME.pattern, "maxLength": 150}})
    display_name: str | None = _text(200)
    email: str | None = _text(320)
    role: str = field(default="read-only", metadata={"json": USER_ROLE})
    manager_id: int | None = _id()
    team: str | None = _text(100)
    territories: list[str] = field(factory=list, metadata=_texts(MAX_TERRITORIES, TERRITORY_LENGTH))
    active: bool = True


@frozen
class UserChanges:
    """The fields of a user to change; ``version`` (or ``If-Match``) is the version last read."""

    __json_input__: ClassVar[bool] = True

    display_name: str | None = _text(200)
    email: str | None = _text(320)
    role: str | None = field(default=None, metadata={"json": USER_ROLE})
    manager_id: int | None = _id()
    team: str | None = _text(100)
    territories: list[str] = field(factory=list, metadata=_texts(MAX_TERRITORIES, TERRITORY_LENGTH))
    active: bool | None = None
    version: int | None = _id()
