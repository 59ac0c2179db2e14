"""The results part's tables: a campaign's costs and the responses it drew.

Attributed revenue is not stored: it is computed from the members, the responses and
the sfa plugin's orders and won opportunities whenever results are read.
"""

from __future__ import annotations

from sqlalchemy import Column, Date, ForeignKey, Index, Integer, Numeric, String, Table, Text

from crmkit import Id, JSONType, UTCDateTime, metadata

cost = Table(
    "campaigns_cost",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column(
        "campaign_id", Id, ForeignKey("campaigns_campaign.id", ondelete="CASCADE"), nullable=False
    ),
    Column("amount", Numeric(14, 2), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("channel", String(10)),
    # None: a cost of the whole campaign (an agency, a design), not of one channel.
    Column("spent_on", Date, nullable=False),
    Column("note", String(500)),
    Column("created_by", Id, ForeignKey("core_user.id")),
    Column("created_at", UTCDateTime(), nullable=False),
    Index(None, "campaign_id"),
    sqlite_autoincrement=True,
)

response = Table(
    "campaigns_response",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column(
        "campaign_id", Id, ForeignKey("campaigns_campaign.id", ondelete="CASCADE"), nullable=False
    ),
    Column("member_id", Id, ForeignKey("campaigns_member.id", ondelete="SET NULL")),
    # The member who answered, when the response came by the member's link.
    Column("party_id", Id, ForeignKey("core_party.id", ondelete="CASCADE"), nullable=False),
    Column("via", String(10), nullable=False),
    # "api" (a landing page elsewhere) or "page" (the public response page).
    Column("outcome", String(20), nullable=False),
    # The kernel intake's outcome (created, merged, matched, review), or "member".
    Column("was_prospect", Integer, nullable=False),
    # 1 when the party was a prospect as it answered: becoming a customer converts it.
    Column("message", Text),
    Column("consents", JSONType, nullable=False),
    # The purposes the person granted on the form.
    Column("received_at", UTCDateTime(), nullable=False),
    Index(None, "campaign_id", "received_at"),
    Index(None, "party_id"),
    sqlite_autoincrement=True,
)

TABLES = [cost, response]
