"""A campaign's costs: amounts of money per channel (or the whole campaign), against its budget."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from attrs import frozen
from sqlalchemy import Connection, delete, insert, select

from crmkit import (
    Money,
    NotFound,
    Transaction,
    check_fields,
    read_choice,
    read_currency,
    read_date,
    read_decimal,
    read_text,
    require,
    utcnow,
)
from crmkit_campaigns.campaigns.definition import get_campaign
from crmkit_campaigns.campaigns.tables import CHANNELS
from crmkit_campaigns.results.tables import cost

FIELDS = ("amount", "currency", "channel", "spent_on", "note")
MAX_AMOUNT = Decimal("999999999999.99")


@frozen
class Cost:
    """One cost entry; ``channel`` None is a cost of the whole campaign."""

    id: int
    campaign_id: int
    money: Money
    channel: str | None
    spent_on: date
    note: str | None
    created_by: int | None
    created_at: datetime

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "campaign_id": self.campaign_id,
            "amount": str(self.money.amount),
            "currency": self.money.currency,
            "channel": self.channel,
            "spent_on": self.spent_on.isoformat(),
            "note": self.note,
            "created_by": self.created_by,
            "created_at": self.created_at.isoformat(),
        }


def add_cost(tx: Transaction, campaign_id: int, data: Mapping[str, Any]) -> Cost:
    """Record a cost of the campaign (``campaigns:cost.write``); over the budget is allowed."""
    require(tx.hooks, tx.actor, "campaigns:cost.write", conn=tx.conn)
    found = get_campaign(tx.conn, campaign_id)
    check_fields(data, FIELDS)
    amount = read_decimal(
        "amount",
        data.get("amount"),
        places=2,
        minimum=Decimal(0),
        maximum=MAX_AMOUNT,
        exclusive_minimum=True,
    )
    currency = read_currency("currency", data.get("currency", found.currency))
    channel = data.get("channel")
    if channel is not None:
        channel = read_choice("channel", channel, CHANNELS)
    spent_on = read_date("spent_on", data["spent_on"]) if data.get("spent_on") else utcnow().date()
    values = {
        "campaign_id": campaign_id,
        "amount": amount,
        "currency": currency,
        "channel": channel,
        "spent_on": spent_on,
        "note": read_text("note", data.get("note"), limit=500),
        "created_by": tx.actor.user_id,
        "created_at": utcnow(),
    }
    cost_id = tx.conn.execute(insert(cost).values(**values).returning(cost.c.id)).scalar_one()
    tx.emit(
        "campaigns.cost.added",
        "campaigns.cost",
        cost_id,
        {"id": cost_id, "campaign_id": campaign_id},
    )
    return _cost({**values, "id": cost_id})


def delete_cost(tx: Transaction, campaign_id: int, cost_id: int) -> None:
    """Remove a cost entered by mistake (``campaigns:cost.write``); NotFound if there is none."""
    require(tx.hooks, tx.actor, "campaigns:cost.write", conn=tx.conn)
    gone = tx.conn.execute(
        delete(cost).where(cost.c.id == cost_id, cost.c.campaign_id == campaign_id)
    ).rowcount
    if not gone:
        raise NotFound(f"cost {cost_id} of campaign {campaign_id} does not exist")
    tx.emit(
        "campaigns.cost.deleted",
        "campaigns.cost",
        cost_id,
        {"id": cost_id, "campaign_id": campaign_id},
    )


def costs_of(conn: Connection, campaign_id: int) -> list[Cost]:
    """The campaign's costs, oldest first."""
    rows = conn.execute(
        select(cost).where(cost.c.campaign_id == campaign_id).order_by(cost.c.spent_on, cost.c.id)
    ).mappings()
    return [_cost(r) for r in rows]


def _cost(row: Any) -> Cost:
    return Cost(
        id=row["id"],
        campaign_id=row["campaign_id"],
        money=Money(Decimal(row["amount"]).quantize(Decimal("0.01")), row["currency"]),
        channel=row["channel"],
        spent_on=row["spent_on"],
        note=row["note"],
        created_by=row["created_by"],
        created_at=row["created_at"],
    )
