"""DEBMAS (customer master) IDocs as the partners part's :class:`PartnerRecord`.

The fields come from E1KNA1M (general data) and its E1KNVVM children (sales areas). A
customer whose form of address (ANRED) is a person's is a person: NAME1 holds the last name
and NAME2 the first; any other is an organisation named NAME1 and NAME2 (its continuation).
Deleted (MSGFN 003), flagged for deletion (LOEVM) or blocked (SPERR, AUFSD) customers come
in blocked: the CRM marks a party, it never deletes one because SAP did.
"""

from __future__ import annotations

from datetime import UTC, datetime

from crmkit import ValidationError
from crmkit_erp_sap.idoc.document import Idoc, Segment
from crmkit_erp_sap.partners.record import (
    CustomerRole,
    PartnerAddress,
    PartnerRecord,
    SalesArea,
    sap_number,
)

GENERAL = "E1KNA1M"
PERSON_TITLES = frozenset(
    {"mr", "mr.", "mrs", "mrs.", "ms", "ms.", "mister", "herr", "frau", "m.", "mme", "mme."}
)
DELETE = "003"


def is_debmas(idoc: Idoc) -> bool:
    return idoc.kind.startswith("DEBMAS")  # DEBMAS, or the basic type DEBMAS07 without MESTYP


def partner_record(idoc: Idoc, system: str) -> PartnerRecord:
    """The customer of a DEBMAS IDoc; :class:`ValidationError` naming the segment field at fault."""
    general = idoc.segments.first(GENERAL)
    if general is None:
        raise ValidationError(GENERAL, "the IDoc has no E1KNA1M (general data) segment")
    number = sap_number(general.get("KUNNR"))  # as the OData pull knows it
    if not number:
        raise ValidationError(f"{GENERAL}.KUNNR", "the customer has no number")
    person = general.get("ANRED").lower() in PERSON_TITLES
    first, last, organisation = "", "", ""
    if person:
        last, first = general.get("NAME1"), general.get("NAME2")
    else:
        organisation = _joined(general.get("NAME1"), general.get("NAME2"))
    blocked = general.get("MSGFN") == DELETE or any(
        general.get(flag) for flag in ("LOEVM", "SPERR", "AUFSD")
    )
    return PartnerRecord(
        system=system,
        number=number,
        category="person" if person else "organisation",
        first_name=first,
        last_name=last,
        organisation_name=organisation,
        phones=tuple(p for p in (general.get("TELF1"), general.get("TELF2")) if p),
        addresses=_addresses(general),
        blocked=blocked,
        last_change_at=created_at(idoc),
        customer=CustomerRole(number, tuple(_sales_areas(general))),
    )


def _joined(*parts: str) -> str:
    return " ".join(p for p in parts if p)


def _addresses(general: Segment) -> tuple[PartnerAddress, ...]:
    address = PartnerAddress(
        street=general.get("STRAS"),
        postcode=general.get("PSTLZ"),
        city=general.get("ORT01"),
        country=general.get("LAND1"),
        region=general.get("REGIO"),
    )
    return (address,) if address != PartnerAddress() else ()


SALES_AREA_TERMS = {
    "customer_group": "KDGRP",
    "currency": "WAERS",
    "payment_terms": "ZTERM",
    "incoterms": "INCO1",
    "sales_office": "VKBUR",
    "sales_group": "VKGRP",
    "order_block": "AUFSD",
    "delivery_block": "LIFSD",
    "billing_block": "FAKSD",
}
"""SalesArea field -> E1KNVVM field (SAP's KNVV names; a block is its reason code)."""


def _sales_areas(general: Segment) -> list[SalesArea]:
    return [
        SalesArea(
            area.get("VKORG"),
            area.get("VTWEG"),
            area.get("SPART"),
            deletion_flag=bool(area.get("LOEVM")),
            **{name: area.get(field) for name, field in SALES_AREA_TERMS.items()},
        )
        for area in general.each("E1KNVVM")
        if area.get("VKORG")
    ]


def created_at(idoc: Idoc) -> datetime | None:
    """When SAP made the IDoc (CREDAT, CRETIM), taken as UTC; None when absent or malformed."""
    stamp = idoc.control.get("CREDAT") + (idoc.control.get("CRETIM") or "000000")
    try:
        return datetime.strptime(stamp, "%Y%m%d%H%M%S").replace(tzinfo=UTC)
    except ValueError:
        return None
