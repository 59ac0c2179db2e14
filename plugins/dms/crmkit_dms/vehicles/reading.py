"""Rows of the vehicles part's tables as the model's objects."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import select

from crmkit import Transaction, ValidationError
from crmkit_dms.partners.tables import partner
from crmkit_dms.vehicles.model import Ownership, RepairLine, RepairOrder, Vehicle


def vehicle_from(row: Any) -> Vehicle:
    return Vehicle(
        id=row.id,
        vin=row.vin,
        make=row.make,
        model=row.model,
        model_year=row.model_year,
        trim=row.trim,
        fuel=row.fuel,
        colour=row.colour,
        first_registration=row.first_registration,
        warranty_until=row.warranty_until,
        mileage=row.mileage,
        mileage_at=row.mileage_at,
        last_service_on=row.last_service_on,
        last_service_mileage=row.last_service_mileage,
        service_due_on=row.service_due_on,
        service_due_known_on=row.service_due_known_on,
        created_at=row.created_at,
        updated_at=row.updated_at,
        version=row.version,
    )


def ownership_from(row: Any) -> Ownership:
    return Ownership(
        id=row.id,
        vehicle_id=row.vehicle_id,
        party_id=row.party_id,
        relationship=row.relationship,
        since=row.since,
        until=row.until,
    )


def repair_order_from(row: Any) -> RepairOrder:
    return RepairOrder(
        id=row.id,
        vehicle_id=row.vehicle_id,
        party_id=row.party_id,
        partner_id=row.partner_id,
        ro_number=row.ro_number,
        opened_at=row.opened_at,
        closed_at=row.closed_at,
        mileage=row.mileage,
        lines=tuple(
            RepairLine(
                op_code=line["op_code"],
                description=line["description"],
                labour=Decimal(line["labour"]),
                parts=Decimal(line["parts"]),
                payer=line["payer"],
            )
            for line in row.lines
        ),
        total=Decimal(row.total).quantize(Decimal("0.01")),
        currency=row.currency,
        source=row.source,
        created_at=row.created_at,
    )


def check_partner(tx: Transaction, partner_id: int) -> None:
    """Refuse a ``partner_id`` naming no partner, before the foreign key would."""
    found = tx.conn.execute(
        select(partner.c.id).where(partner.c.id == partner_id)
    ).scalar_one_or_none()
    if found is None:
        raise ValidationError("partner_id", f"partner {partner_id} does not exist")
