"""The routing part's tables: each offer of a lead to a partner is one ``dms_assignment`` row.

A lead routed on (declined, expired, rerouted by hand) gets a new row pointing at the
previous one, so that a partner's record of offers, acceptances and outcomes stays as it
happened. An assignment is open while ``closed_at`` is null; at most one of a lead is open
at a time (a partial unique index): two deadline jobs, or a job and a person, cannot both
offer the same lead.
"""

from __future__ import annotations

from sqlalchemy import Column, ForeignKey, Index, Integer, String, Table, text

from crmkit import Id, JSONType, UTCDateTime, metadata

_OPEN = text("closed_at IS NULL")

assignment = Table(
    "dms_assignment",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    # None once the lead is erased: the partner's figures keep the offer, anonymised.
    Column("party_id", Id, ForeignKey("core_party.id", ondelete="SET NULL")),
    # None: the fallback queue (no partner covered the lead, or every try ran out).
    Column("partner_id", Id, ForeignKey("dms_partner.id", ondelete="SET NULL")),
    Column("state", String(20), nullable=False),
    Column("reason", String(500)),
    Column("brand", String(60)),
    Column("country", String(2)),
    Column("postcode", String(20)),
    Column("vehicle", JSONType),
    Column("source", String(10), nullable=False),
    Column("offered_at", UTCDateTime(), nullable=False),
    Column("accept_by", UTCDateTime()),
    Column("accepted_at", UTCDateTime()),
    # Seconds from offer to acceptance: a partner's speed, averaged in SQL for its score.
    Column("accept_seconds", Integer),
    Column("first_contact_at", UTCDateTime()),
    Column("closed_at", UTCDateTime()),
    Column("attempt", Integer, nullable=False),
    Column("previous_id", Id, ForeignKey("dms_assignment.id", ondelete="SET NULL")),
    Column("routed_by", Id, ForeignKey("core_user.id", ondelete="SET NULL")),
    Column("updated_at", UTCDateTime(), nullable=False),
    Column("version", Integer, nullable=False),
    Index(
        "uq_dms_assignment_open_party_id",
        "party_id",
        unique=True,
        sqlite_where=_OPEN,
        postgresql_where=_OPEN,
    ),
    Index(None, "partner_id", "offered_at"),
    Index(None, "state", "accept_by"),
    Index(None, "previous_id"),
    sqlite_autoincrement=True,
)

TABLES = [assignment]
