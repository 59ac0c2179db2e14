"""The results part of ``crmkit demo``: costs of the demo campaigns and their members' responses.

Runs after the campaigns part's demo: each campaign that sent something gets its
sending cost (by channel, per message sent) and an agency fee; each member who
responded gets the response row the response page would have stored. No campaigns:
nothing to add.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, func, insert, select

from crmkit_campaigns.campaigns.tables import campaign, member
from crmkit_campaigns.results.tables import cost, response

PER_MESSAGE = {"email": Decimal("0.02"), "sms": Decimal("0.08")}
AGENCY_FEES = (Decimal("450.00"), Decimal("1200.00"), Decimal("800.00"))
MESSAGES = (
    "Please call me about the offer.",
    "Interested, send me the price list.",
    None,
    "Can someone visit us next week?",
)


def seed(app: Any, conn: Connection, rng: random.Random, now: datetime) -> None:
    """Costs and responses of the campaigns the campaigns part's demo sent."""
    sent = conn.execute(
        select(
            campaign.c.id,
            campaign.c.currency,
            campaign.c.created_at,
            member.c.channel,
            func.count().label("messages"),
        )
        .join(member, member.c.campaign_id == campaign.c.id)
        .where(member.c.sent_at.is_not(None), member.c.channel.is_not(None))
        .group_by(campaign.c.id, campaign.c.currency, campaign.c.created_at, member.c.channel)
        .order_by(campaign.c.id, member.c.channel)
    ).all()
    costs: list[dict[str, Any]] = []
    for i, row in enumerate(sent):
        spent_on = (row.created_at + timedelta(days=1)).date()
        base = {"campaign_id": row.id, "currency": row.currency, "created_at": now}
        costs.append(
            {
                **base,
                "amount": PER_MESSAGE.get(row.channel, Decimal("0.05")) * row.messages,
                "channel": row.channel,
                "spent_on": spent_on,
                "note": f"{row.messages} messages sent",
            }
        )
        costs.append(
            {
                **base,
                "amount": AGENCY_FEES[i % len(AGENCY_FEES)],
                "channel": None,
                "spent_on": spent_on,
                "note": "Agency: design and copy",
            }
        )
    if costs:
        conn.execute(insert(cost), costs)
    responded = conn.execute(
        select(member.c.id, member.c.campaign_id, member.c.party_id, member.c.responded_at)
        .where(member.c.responded_at.is_not(None))
        .order_by(member.c.id)
    ).all()
    if responded:
        conn.execute(
            insert(response),
            [
                {
                    "campaign_id": r.campaign_id,
                    "member_id": r.id,
                    "party_id": r.party_id,
                    "via": rng.choice(("page", "page", "api")),
                    "outcome": "member",
                    "was_prospect": 0,
                    "message": rng.choice(MESSAGES),
                    "consents": [],
                    "received_at": r.responded_at,
                }
                for r in responded
            ],
        )
