"""A party's opportunities and activities when parties are merged, exported or erased."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

import attrs
from sqlalchemy import Connection, delete, select, update

from crmkit import Transaction
from crmkit_sfa.pipeline.activities import activity_of
from crmkit_sfa.pipeline.service import opportunity_of
from crmkit_sfa.pipeline.tables import activity, opportunity, stage_change


def move_to_survivor(tx: Transaction, survivor_id: int, merged_id: int) -> None:
    """The merged party's deals and activities become the survivor's (else they would die with it)."""
    for table in (opportunity, activity):
        tx.conn.execute(
            update(table).where(table.c.party_id == merged_id).values(party_id=survivor_id)
        )


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def export_of(conn: Connection, party_id: int) -> dict[str, Any]:
    """The party's opportunities and activities as JSON-ready data."""
    deals = conn.execute(
        select(opportunity).where(opportunity.c.party_id == party_id).order_by(opportunity.c.id)
    )
    activities = conn.execute(
        select(activity).where(activity.c.party_id == party_id).order_by(activity.c.id)
    )

    def plain(_: object, __: object, value: object) -> object:
        return _plain(value)

    return {
        "opportunities": [attrs.asdict(opportunity_of(r), value_serializer=plain) for r in deals],
        "activities": [attrs.asdict(activity_of(r), value_serializer=plain) for r in activities],
    }


def erase(tx: Transaction, party_id: int) -> None:
    """Delete the party's activities, opportunities and their stage history."""
    deals = select(opportunity.c.id).where(opportunity.c.party_id == party_id)
    tx.conn.execute(delete(activity).where(activity.c.party_id == party_id))
    tx.conn.execute(delete(stage_change).where(stage_change.c.opportunity_id.in_(deals)))
    tx.conn.execute(delete(opportunity).where(opportunity.c.party_id == party_id))
