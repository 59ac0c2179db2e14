"""The business partners a party is, with their customers' sales areas: what the party's
SAP panel, the API and the party's export show."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import attrs
from attrs import frozen
from sqlalchemy import Connection, select

from crmkit_erp_sap.partners.tables import AREA_CODES, partner, sales_area


@frozen
class StoredSalesArea:
    """A sales area as last synced: its key, the customer's terms there, its blocks."""

    customer: str
    sales_organization: str
    distribution_channel: str
    division: str
    customer_group: str
    currency: str
    payment_terms: str
    incoterms: str
    sales_office: str
    sales_group: str
    order_block: str
    delivery_block: str
    billing_block: str
    deletion_flag: bool


@frozen
class BusinessPartner:
    """One SAP business partner the party is."""

    system: str
    business_partner: str
    category: str
    blocked: bool
    last_change_at: datetime | None
    synced_at: datetime
    sales_areas: tuple[StoredSalesArea, ...]

    def as_json(self) -> dict[str, Any]:
        found = attrs.asdict(self)
        for name in ("last_change_at", "synced_at"):
            found[name] = None if found[name] is None else found[name].isoformat()
        return found


def business_partners_of(conn: Connection, party_id: int) -> list[BusinessPartner]:
    """The partners linked to ``party_id`` by system and number, each with its sales areas."""
    rows = conn.execute(
        select(
            partner.c.system,
            partner.c.business_partner,
            partner.c.category,
            partner.c.blocked,
            partner.c.last_change_at,
            partner.c.synced_at,
        )
        .where(partner.c.party_id == party_id)
        .order_by(partner.c.system, partner.c.business_partner)
    ).all()
    areas: dict[tuple[str, str], list[StoredSalesArea]] = {}
    for area in conn.execute(
        select(sales_area)
        .where(sales_area.c.party_id == party_id)
        .order_by(
            sales_area.c.sales_organization,
            sales_area.c.distribution_channel,
            sales_area.c.division,
        )
    ):
        areas.setdefault((area.system, area.business_partner), []).append(
            StoredSalesArea(
                customer=area.customer,
                deletion_flag=area.deletion_flag,
                **{name: getattr(area, name) for name in AREA_CODES},
            )
        )
    return [
        BusinessPartner(
            r.system,
            r.business_partner,
            r.category,
            r.blocked,
            r.last_change_at,
            r.synced_at,
            tuple(areas.get((r.system, r.business_partner), ())),
        )
        for r in rows
    ]
