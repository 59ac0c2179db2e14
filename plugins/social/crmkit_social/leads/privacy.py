"""What the leads part holds on a party: the Lead Ads leads it sent, with what Meta sent of
them (its answers). They go with its export and erasure and follow it through a merge."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, delete, update

from crmkit import Transaction
from crmkit_social.leads.records import lead_of, leads_of_party
from crmkit_social.leads.tables import lead


def move_to_survivor(tx: Transaction, survivor_id: int, merged_id: int) -> None:
    tx.conn.execute(update(lead).where(lead.c.party_id == merged_id).values(party_id=survivor_id))


def export_of(conn: Connection, party_id: int) -> dict[str, Any]:
    rows = leads_of_party(conn, party_id)
    if not rows:
        return {}
    leads = []
    for row in rows:
        found = lead_of(row, raw=True)
        submitted = found.lead_created_at
        leads.append(
            {
                "leadgen_id": found.leadgen_id,
                "platform": found.platform,
                "page_id": found.page_id,
                "form": {"id": found.form_id, "name": found.form_name},
                "ad": {"id": found.ad_id, "name": found.ad_name},
                "adset": {"id": found.adset_id, "name": found.adset_name},
                "campaign": {"id": found.campaign_id, "name": found.campaign_name},
                "outcome": found.outcome,
                "submitted_at": submitted.isoformat() if submitted else None,
                "taken_at": found.taken_at.isoformat(),
                "answers": found.raw,
            }
        )
    return {"leads": leads}


def erase(tx: Transaction, party_id: int) -> None:
    tx.conn.execute(delete(lead).where(lead.c.party_id == party_id))
