"""The entities every CRM shares: parties (prospects and customers), interactions, users.

Entities are mutable attrs classes compared by identity (``eq=False``); their
values (email, phone, address) are frozen attrs classes from :mod:`crmkit.core.values`.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, ClassVar, Literal

from attrs import define, field, frozen

from crmkit.core.values import EmailAddress, PhoneNumber, PostalAddress

PartyKind = Literal["person", "organisation"]
Direction = Literal["inbound", "outbound", "internal"]
PARTY_KINDS: tuple[str, ...] = ("person", "organisation")
DIRECTIONS: tuple[str, ...] = ("inbound", "outbound", "internal")
PROSPECT_STATUSES: tuple[str, ...] = ("new", "working", "qualified", "disqualified", "expired")
NAME_FIELDS: tuple[str, ...] = ("first_name", "last_name", "organisation_name")


@define(slots=False, eq=False, kw_only=True)
class Party:
    """A person or organisation the company deals with; see :class:`Prospect` and :class:`Customer`."""

    role: ClassVar[str]

    kind: PartyKind = "person"
    first_name: str | None = None
    last_name: str | None = None
    organisation_name: str | None = None
    birth_date: date | None = None
    emails: tuple[EmailAddress, ...] = ()
    phones: tuple[PhoneNumber, ...] = ()
    addresses: tuple[PostalAddress, ...] = ()
    owner_id: int | None = None
    custom: dict[str, Any] = field(factory=dict)
    id: int | None = None
    version: int = 0
    created_at: datetime | None = None
    updated_at: datetime | None = None

    @property
    def display_name(self) -> str:
        """The name people see: the organisation's, or the person's full name."""
        if self.kind == "organisation":
            return self.organisation_name or ""
        person = " ".join(p for p in (self.first_name, self.last_name) if p)
        return person or self.organisation_name or ""


@define(slots=False, eq=False, kw_only=True)
class Prospect(Party):
    """A possible customer: plentiful, unreliable and perishable."""

    role: ClassVar[str] = "prospect"

    source: str | None = None
    status: str = "new"


@define(slots=False, eq=False, kw_only=True)
class Customer(Party):
    """A party that has bought; ``converted_at`` is set when it started as a prospect."""

    role: ClassVar[str] = "customer"

    customer_number: str | None = None
    source: str | None = None
    converted_at: datetime | None = None


@frozen
class RecordRef:
    """A pointer from an interaction to a plugin's own record, e.g. ``("sfa.quotation", "42")``."""

    kind: str
    id: str


@define(slots=False, eq=False, kw_only=True)
class Interaction:
    """One touchpoint with a party: a call, an email, a complaint, an order, a survey answer."""

    party_id: int
    channel: str
    direction: Direction
    occurred_at: datetime
    subject: str | None = None
    summary: str | None = None
    outcome: str | None = None
    owner_id: int | None = None
    source: str = "core"
    refs: tuple[RecordRef, ...] = ()
    custom: dict[str, Any] = field(factory=dict)
    id: int | None = None
    created_at: datetime | None = None


@define(slots=False, eq=False, kw_only=True)
class User:
    """Someone who works in the CRM; ``role`` names their role, ``manager_id`` their manager."""

    username: str
    display_name: str
    email: str | None = None
    role: str = "read-only"
    manager_id: int | None = None
    team: str | None = None
    territories: tuple[str, ...] = ()
    active: bool = True
    id: int | None = None
    version: int = 0
    created_at: datetime | None = None
    updated_at: datetime | None = None


PARTY_CLASSES: dict[str, type[Party]] = {"prospect": Prospect, "customer": Customer}
