"""A business partner as the partners part takes it in, whatever channel brought it
(OData pull, DEBMAS IDoc)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from attrs import field, frozen

Category = Literal["person", "organisation"]


@frozen
class PartnerAddress:
    """One postal address of a partner; ``country`` is the ISO 3166 alpha-2 code."""

    street: str = ""
    house_number: str = ""
    postcode: str = ""
    city: str = ""
    country: str = ""
    region: str = ""


@frozen
class SalesArea:
    """A sales area the customer is served in, with the terms SAP sells to it there.

    The block fields hold SAP's block reason code (empty: not blocked);
    ``deletion_flag`` is SAP's flag for deletion of the customer in this area.
    """

    sales_organization: str
    distribution_channel: str
    division: str
    customer_group: str = ""
    currency: str = ""
    payment_terms: str = ""
    incoterms: str = ""
    sales_office: str = ""
    sales_group: str = ""
    order_block: str = ""
    delivery_block: str = ""
    billing_block: str = ""
    deletion_flag: bool = False


@frozen
class CustomerRole:
    """The partner's customer role: its SAP customer number and sales areas."""

    number: str
    sales_areas: tuple[SalesArea, ...] = ()


@frozen
class PartnerRecord:
    """A business partner of SAP system ``system`` numbered ``number``.

    ``custom`` holds extension fields already renamed to the CRM's custom field names (None:
    SAP sends the field empty, so the party's is cleared); ``last_change_at`` is the partner's last change in SAP (None when the channel has none).
    """

    system: str
    number: str
    category: Category
    first_name: str = ""
    last_name: str = ""
    organisation_name: str = ""
    emails: tuple[str, ...] = ()
    phones: tuple[str, ...] = ()
    addresses: tuple[PartnerAddress, ...] = ()
    blocked: bool = False
    last_change_at: datetime | None = None
    custom: dict[str, Any] = field(factory=dict)
    customer: CustomerRole | None = None


def external_system(system: str) -> str:
    """The kernel's external-id ``system`` of SAP system ``system``: ``S4P`` -> ``sap.s4p``.

    A party's BusinessPartner number is its external id there (orders and IDoc find the
    party of a partner number, and the number of a party, through it).
    """
    return f"sap.{system.lower()}"


def sap_number(number: str) -> str:
    """A partner or customer number as SAP shows it, and as OData sends it: an all-digit
    number without its leading zeros (IDocs carry SAP's internal form, ``0001003764``)."""
    return (number.lstrip("0") or "0") if number.isdigit() else number


def internal_number(number: str) -> str:
    """SAP's internal (ALPHA) form that IDocs carry: an all-digit number zero-padded to ten."""
    return number.zfill(10) if number.isdigit() else number
