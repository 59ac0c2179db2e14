"""A_BusinessPartner rows of API_BUSINESS_PARTNER (OData V2 JSON) as :class:`PartnerRecord`.

The request asks for exactly what the mapping reads (``$select``/``$expand``), so that a
page of 1,000 partners stays small. Category ``1`` is a person, ``2`` an organisation
and ``3`` (a group) is taken as an organisation too.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from crmkit_erp_sap.connection.values import BadValue, to_date, to_time
from crmkit_erp_sap.partners.record import (
    CustomerRole,
    PartnerAddress,
    PartnerRecord,
    SalesArea,
)

SERVICE = "API_BUSINESS_PARTNER"
ENTITY_SET = "A_BusinessPartner"
EXPAND = (
    "to_BusinessPartnerAddress",
    "to_BusinessPartnerAddress/to_EmailAddress",
    "to_BusinessPartnerAddress/to_PhoneNumber",
    "to_Customer",
    "to_Customer/to_CustomerSalesArea",
)
SALES_AREA_TERMS = {
    "customer_group": "CustomerGroup",
    "currency": "Currency",
    "payment_terms": "CustomerPaymentTerms",
    "incoterms": "IncotermsClassification",
    "sales_office": "SalesOffice",
    "sales_group": "SalesGroup",
    "order_block": "OrderIsBlockedForCustomer",
    "delivery_block": "DeliveryIsBlockedForCustomer",
    "billing_block": "BillingIsBlockedForCustomer",
}
"""SalesArea field -> A_CustomerSalesArea property (text codes; a block is its reason code)."""
SELECT = (
    "BusinessPartner",
    "BusinessPartnerCategory",
    "FirstName",
    "LastName",
    "OrganizationBPName1",
    "OrganizationBPName2",
    "BusinessPartnerIsBlocked",
    "LastChangeDate",
    "LastChangeTime",
    "CreationDate",
    "CreationTime",
    "to_BusinessPartnerAddress/StreetName",
    "to_BusinessPartnerAddress/HouseNumber",
    "to_BusinessPartnerAddress/PostalCode",
    "to_BusinessPartnerAddress/CityName",
    "to_BusinessPartnerAddress/Country",
    "to_BusinessPartnerAddress/Region",
    "to_BusinessPartnerAddress/to_EmailAddress/EmailAddress",
    "to_BusinessPartnerAddress/to_PhoneNumber/PhoneNumber",
    "to_BusinessPartnerAddress/to_PhoneNumber/InternationalPhoneNumber",
    "to_BusinessPartnerAddress/to_PhoneNumber/DestinationLocationCountry",
    "to_Customer/Customer",
    "to_Customer/to_CustomerSalesArea/SalesOrganization",
    "to_Customer/to_CustomerSalesArea/DistributionChannel",
    "to_Customer/to_CustomerSalesArea/Division",
    *(f"to_Customer/to_CustomerSalesArea/{prop}" for prop in SALES_AREA_TERMS.values()),
    "to_Customer/to_CustomerSalesArea/DeletionIndicator",
)


def select_for(custom_fields: Mapping[str, str]) -> tuple[str, ...]:
    """``$select`` of a pull: what the mapping reads, the mapped extension fields too."""
    return (*SELECT, *sorted(custom_fields))


def change_time(row: Mapping[str, Any]) -> datetime | None:
    """When SAP last changed the partner (LastChangeDate + LastChangeTime, UTC), else its
    creation; None when SAP says neither. :class:`BadValue` when malformed."""
    day = to_date("LastChangeDate", row.get("LastChangeDate"))
    clock = to_time("LastChangeTime", row.get("LastChangeTime"))
    if day is None:
        day = to_date("CreationDate", row.get("CreationDate"))
        clock = to_time("CreationTime", row.get("CreationTime"))
    if day is None:
        return None
    return datetime.combine(day, clock or datetime.min.time(), tzinfo=UTC)


def partner_record(
    system: str, row: Mapping[str, Any], custom_fields: Mapping[str, str]
) -> PartnerRecord:
    """The record of one A_BusinessPartner row; :class:`BadValue` names what is wrong."""
    number = _text(row, "BusinessPartner")
    if not number:
        raise BadValue("BusinessPartner", row.get("BusinessPartner"), "the partner has no number")
    category = _text(row, "BusinessPartnerCategory")
    blocked = row.get("BusinessPartnerIsBlocked")
    if not isinstance(blocked, bool | None):
        raise BadValue("BusinessPartnerIsBlocked", blocked, "not a boolean")
    addresses = _results(row, "to_BusinessPartnerAddress")
    return PartnerRecord(
        system=system,
        number=number,
        category="person" if category == "1" else "organisation",
        first_name=_text(row, "FirstName"),
        last_name=_text(row, "LastName"),
        organisation_name=" ".join(
            p for p in (_text(row, "OrganizationBPName1"), _text(row, "OrganizationBPName2")) if p
        ),
        emails=tuple(
            email
            for address in addresses
            for item in _results(address, "to_EmailAddress")
            if (email := _text(item, "EmailAddress"))
        ),
        phones=tuple(
            phone
            for address in addresses
            for item in _results(address, "to_PhoneNumber")
            if (phone := _phone(item))
        ),
        addresses=tuple(_address(a) for a in addresses),
        blocked=bool(blocked),
        last_change_at=change_time(row),
        # A mapped field SAP sends empty is None: the party's field is cleared.
        custom={
            name: None if row.get(prop) in (None, "") else _custom(row, prop)
            for prop, name in custom_fields.items()
        },
        customer=_customer(row),
    )


def _text(row: Mapping[str, Any], name: str) -> str:
    value = row.get(name)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise BadValue(name, value, "not text")
    return value.strip()


def _results(row: Mapping[str, Any], navigation: str) -> Sequence[Mapping[str, Any]]:
    """An expanded navigation's rows: ``{"results": [...]}``, one object, or none."""
    value = row.get(navigation)
    if value is None or (isinstance(value, Mapping) and "__deferred" in value):
        return ()
    if isinstance(value, Mapping) and isinstance(value.get("results"), list):
        return [item for item in value["results"] if isinstance(item, Mapping)]
    if isinstance(value, Mapping):
        return (value,)
    raise BadValue(navigation, value, "not an expanded navigation")


def _phone(item: Mapping[str, Any]) -> str:
    international = _text(item, "InternationalPhoneNumber")
    if international:
        return international if international.startswith("+") else f"+{international}"
    return _text(item, "PhoneNumber")


def _address(row: Mapping[str, Any]) -> PartnerAddress:
    return PartnerAddress(
        street=_text(row, "StreetName"),
        house_number=_text(row, "HouseNumber"),
        postcode=_text(row, "PostalCode"),
        city=_text(row, "CityName"),
        country=_text(row, "Country"),
        region=_text(row, "Region"),
    )


def _customer(row: Mapping[str, Any]) -> CustomerRole | None:
    found = _results(row, "to_Customer")
    if not found or not _text(found[0], "Customer"):
        return None
    areas = tuple(_sales_area(area) for area in _results(found[0], "to_CustomerSalesArea"))
    return CustomerRole(_text(found[0], "Customer"), areas)


def _sales_area(area: Mapping[str, Any]) -> SalesArea:
    deletion = area.get("DeletionIndicator")
    if not isinstance(deletion, bool | None):
        raise BadValue("DeletionIndicator", deletion, "not a boolean")
    return SalesArea(
        _text(area, "SalesOrganization"),
        _text(area, "DistributionChannel"),
        _text(area, "Division"),
        deletion_flag=bool(deletion),
        **{name: _text(area, prop) for name, prop in SALES_AREA_TERMS.items()},
    )


def _custom(row: Mapping[str, Any], prop: str) -> Any:
    value = row[prop]
    if isinstance(value, str) and value.startswith("/Date("):
        moment = to_date(prop, value)
        return None if moment is None else moment.isoformat()
    return value
