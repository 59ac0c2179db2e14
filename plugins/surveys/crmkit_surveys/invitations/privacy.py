"""What the invitations part holds on a party, its invitations: moved to the survivor of a
merge, exported, erased."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, delete, select, update

from crmkit import Transaction
from crmkit_surveys.definitions.tables import survey
from crmkit_surveys.invitations.tables import invitation

EXPORTED = (
    "channel",
    "language",
    "status",
    "created_at",
    "sent_at",
    "opened_at",
    "completed_at",
    "expires_at",
)


def move_to_survivor(tx: Transaction, survivor_id: int, merged_id: int) -> None:
    """The merged party's invitations become the survivor's (their links keep working)."""
    tx.conn.execute(
        update(invitation).where(invitation.c.party_id == merged_id).values(party_id=survivor_id)
    )


def export_of(conn: Connection, party_id: int) -> dict[str, Any]:
    """The surveys the party was invited to, when and how far it got; never a link."""
    rows = conn.execute(
        select(invitation.c.survey_id, survey.c.name, *invitation.c[EXPORTED])
        .join(survey, survey.c.id == invitation.c.survey_id)
        .where(invitation.c.party_id == party_id)
        .order_by(invitation.c.id)
    ).mappings()
    return {
        "invitations": [
            {
                "survey_id": row["survey_id"],
                "survey": row["name"],
                **{
                    name: row[name].isoformat() if hasattr(row[name], "isoformat") else row[name]
                    for name in EXPORTED
                },
            }
            for row in rows
        ]
    }


def erase(tx: Transaction, party_id: int) -> None:
    """Delete the party's invitations: their links answer nothing any more, and no rule's
    invitation waiting for its delay is sent."""
    tx.conn.execute(delete(invitation).where(invitation.c.party_id == party_id))
