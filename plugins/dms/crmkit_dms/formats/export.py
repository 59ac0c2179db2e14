"""A lead written as ADF for a dealer: the party, and the vehicle of interest of its latest
offer (``dms_assignment``), numbered ``crmkit-<assignment id>`` so that a DMS reporting on
it (a STAR ProcessSalesLead) names the offer."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, select

from crmkit import Party
from crmkit_dms.formats.adf import AdfLead, AdfVehicle
from crmkit_dms.formats.star import LEAD_REFERENCE
from crmkit_dms.partners.model import get_partner
from crmkit_dms.routing.tables import assignment

_VEHICLE_FIELDS = (
    "year",
    "make",
    "model",
    "vin",
    "trim",
    "status",
    "odometer",
    "colour",
    "price",
    "currency",
    "comments",
)


def latest_assignment(conn: Connection, party_id: int) -> Any:
    """The lead's newest offer, or None when it was never routed."""
    return conn.execute(
        select(assignment)
        .where(assignment.c.party_id == party_id)
        .order_by(assignment.c.id.desc())
        .limit(1)
    ).first()


def _vehicle(data: dict[str, Any] | None) -> tuple[AdfVehicle, ...]:
    if not data:
        return ()
    kept = {name: data[name] for name in _VEHICLE_FIELDS if data.get(name) is not None}
    if "year" in kept:
        kept["year"] = int(kept["year"])
    if "odometer" in kept:
        kept["odometer"] = int(kept["odometer"])
    for name in ("price", "make", "model", "vin", "trim", "colour", "currency", "comments"):
        if name in kept:
            kept[name] = str(kept[name])
    status = kept.pop("status", "new")
    return (AdfVehicle(status=status if status in ("new", "used") else "new", **kept),)


def _dealer_name(conn: Connection, offer: Any) -> str | None:
    if offer is None or offer.partner_id is None:
        return None
    dealer = get_partner(conn, offer.partner_id)
    return None if dealer is None else dealer.name


def lead_of_party(conn: Connection, party: Party, *, vendor_name: str | None = None) -> AdfLead:
    """The party as an ADF prospect, with the vehicle of its latest offer; the vendor is
    ``vendor_name``, else the partner of that offer (none for a lead no partner was offered)."""
    offer = latest_assignment(conn, party.id or 0)
    address = party.addresses[0] if party.addresses else None
    street = None
    if address is not None and address.street:
        street = " ".join(filter(None, (address.street, address.street_number)))
    return AdfLead(
        position=1,
        lead_id=None if offer is None else f"{LEAD_REFERENCE}{offer.id}",
        id_source="crmkit",
        request_date=None if offer is None else offer.offered_at,
        first_name=party.first_name,
        last_name=party.last_name,
        organisation_name=party.organisation_name,
        emails=tuple(e.normalised for e in party.emails),
        phones=tuple((p.e164, "voice") for p in party.phones),
        street=street,
        city=address.city if address else None,
        region=address.region if address else None,
        postcode=address.postcode if address else None,
        country=address.country if address else None,
        vehicles=_vehicle(None if offer is None else offer.vehicle),
        vendor_name=vendor_name or _dealer_name(conn, offer),
    )
