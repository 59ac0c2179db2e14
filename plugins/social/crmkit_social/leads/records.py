"""The leads taken, as the API, the pages and the privacy export read them.

A lead is seen exactly by whoever may see its party: a lead of a party the actor may not see
is not listed, and asking for it answers 404 as if there were none. A lead intake rejected
has no party: only an actor who sees every party (an administrator) sees it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from attrs import frozen
from sqlalchemy import Connection, select

from crmkit import (
    NotFound,
    Page,
    Transaction,
    newest_first,
    seen_party,
    seen_party_ids,
    sees_every_party,
)
from crmkit_social.leads.tables import lead

OUTCOMES = ("created", "merged", "matched", "review", "rejected")


@frozen
class Lead:
    """A Lead Ads lead taken, and what became of it; ``raw`` is what Meta sent of it."""

    id: int
    leadgen_id: str
    platform: str
    page_id: str
    form_id: str | None
    form_name: str | None
    ad_id: str | None
    ad_name: str | None
    adset_id: str | None
    adset_name: str | None
    campaign_id: str | None
    campaign_name: str | None
    is_organic: bool | None
    outcome: str
    party_id: int | None
    interaction_id: int | None
    findings: list[dict[str, Any]]
    consents: int
    lead_created_at: datetime | None
    taken_at: datetime
    raw: dict[str, Any] | None = None


def lead_of(row: Any, *, raw: bool = False) -> Lead:
    return Lead(
        id=row.id,
        leadgen_id=row.leadgen_id,
        platform=row.platform,
        page_id=row.page_id,
        form_id=row.form_id,
        form_name=row.form_name,
        ad_id=row.ad_id,
        ad_name=row.ad_name,
        adset_id=row.adset_id,
        adset_name=row.adset_name,
        campaign_id=row.campaign_id,
        campaign_name=row.campaign_name,
        is_organic=row.is_organic,
        outcome=row.outcome,
        party_id=row.party_id,
        interaction_id=row.interaction_id,
        findings=list(row.findings or []),
        consents=row.consents,
        lead_created_at=row.lead_created_at,
        taken_at=row.taken_at,
        raw=dict(row.raw) if raw else None,
    )


def list_leads(
    tx: Transaction,
    *,
    form_id: str | None = None,
    outcome: str | None = None,
    party_id: int | None = None,
    cursor: str | None = None,
    limit: int = 50,
) -> Page[Lead]:
    """The leads ``tx.actor`` sees, newest first, a page at a time."""
    query = select(lead)
    if not sees_every_party(tx.hooks, tx.actor):
        query = query.where(lead.c.party_id.in_(seen_party_ids(tx.hooks, tx.actor)))
    if form_id is not None:
        query = query.where(lead.c.form_id == form_id)
    if outcome is not None:
        query = query.where(lead.c.outcome == outcome)
    if party_id is not None:
        query = query.where(lead.c.party_id == party_id)
    return newest_first(tx.conn, query, lead.c.id, lead_of, cursor=cursor, limit=limit)


def get_lead(tx: Transaction, lead_id: int) -> Lead:
    """The lead with what Meta sent of it, if ``tx.actor`` sees its party; else NotFound."""
    row = tx.conn.execute(select(lead).where(lead.c.id == lead_id)).first()
    missing = NotFound(f"lead {lead_id} does not exist")
    if row is None:
        raise missing
    if row.party_id is None:
        if not sees_every_party(tx.hooks, tx.actor):
            raise missing
    else:
        try:
            seen_party(tx.hooks, tx.conn, tx.actor, row.party_id)
        except NotFound:
            raise missing from None
    return lead_of(row, raw=True)


def leads_of_party(conn: Connection, party_id: int) -> list[Any]:
    return list(
        conn.execute(select(lead).where(lead.c.party_id == party_id).order_by(lead.c.id)).all()
    )
