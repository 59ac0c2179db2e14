"""The campaigns part's rows about a party, its memberships: exported, erased and moved on a merge."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, and_, delete, exists, select, update

from crmkit import Transaction
from crmkit_campaigns.campaigns.tables import campaign, member

EXPORTED = (
    "channel",
    "status",
    "occurrence",
    "targeted_at",
    "queued_at",
    "sent_at",
    "delivered_at",
    "opened_at",
    "clicked_at",
    "responded_at",
    "converted_at",
    "unsubscribed_at",
    "bounced_at",
)


def export_of(conn: Connection, party_id: int) -> dict[str, Any]:
    """The campaigns the party was a member of, with its status and milestones in each."""
    rows = conn.execute(
        select(member.c.campaign_id, campaign.c.name, *member.c[EXPORTED])
        .join(campaign, campaign.c.id == member.c.campaign_id)
        .where(member.c.party_id == party_id)
        .order_by(member.c.id)
    ).mappings()
    return {
        "campaign_memberships": [
            {
                "campaign_id": row["campaign_id"],
                "campaign": row["name"],
                **{
                    name: row[name].isoformat() if hasattr(row[name], "isoformat") else row[name]
                    for name in EXPORTED
                },
            }
            for row in rows
        ]
    }


def erase(tx: Transaction, party_id: int) -> None:
    """Delete the party's memberships: an erased party is sent nothing more by any campaign."""
    tx.conn.execute(delete(member).where(member.c.party_id == party_id))


def move_to_survivor(tx: Transaction, survivor_id: int, merged_id: int) -> None:
    """Give the merged party's memberships to the survivor, but where the survivor is a member
    of the same campaign (and occurrence) already: one member per campaign, the survivor's."""
    survivor = member.alias("survivor")
    tx.conn.execute(
        delete(member).where(
            member.c.party_id == merged_id,
            exists().where(
                and_(
                    survivor.c.party_id == survivor_id,
                    survivor.c.campaign_id == member.c.campaign_id,
                    survivor.c.occurrence == member.c.occurrence,
                )
            ),
        )
    )
    tx.conn.execute(
        update(member).where(member.c.party_id == merged_id).values(party_id=survivor_id)
    )
