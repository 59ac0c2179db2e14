"""The leads part's tables: each Lead Ads lead taken (once per leadgen id) and the field
mapping of each lead form.

A lead row keeps what Meta sent about the lead (its ``field_data``, the consent answers, the
fields no mapping placed, the vehicle of an automotive form) beside what became of it: the
party, the intake outcome and its findings. The row is personal data of its party: it goes
with the party's export and erasure and follows it through a merge.
"""

from __future__ import annotations

from sqlalchemy import Boolean, Column, ForeignKey, Index, Integer, String, Table

from crmkit import Id, JSONType, UTCDateTime, metadata

lead = Table(
    "social_lead",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("leadgen_id", String(100), nullable=False, unique=True),
    Column("platform", String(20), nullable=False),  # facebook, instagram
    Column("page_id", String(100), nullable=False),
    Column("account_id", Id),
    Column("form_id", String(100)),
    Column("form_name", String(300)),
    Column("ad_id", String(100)),
    Column("ad_name", String(300)),
    Column("adset_id", String(100)),
    Column("adset_name", String(300)),
    Column("campaign_id", String(100)),
    Column("campaign_name", String(300)),
    Column("is_organic", Boolean),
    # The intake's outcome: created, merged, matched, review, rejected.
    Column("outcome", String(20), nullable=False),
    Column("party_id", Id, ForeignKey("core_party.id", ondelete="SET NULL")),
    Column("interaction_id", Id),
    Column("findings", JSONType, nullable=False),
    Column("consents", Integer, nullable=False),
    # field_data, custom_disclaimer_responses, unmapped fields, vehicle, what the mapping made.
    Column("raw", JSONType, nullable=False),
    Column("lead_created_at", UTCDateTime()),
    Column("taken_at", UTCDateTime(), nullable=False),
    Index(None, "party_id"),
    Index(None, "form_id", "id"),
    Index(None, "taken_at"),
    sqlite_autoincrement=True,
)

form_mapping = Table(
    "social_lead_form",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("form_id", String(100), nullable=False, unique=True),
    Column("name", String(300)),
    # Meta's field name (or a disclaimer's checkbox key) -> crmkit field, custom.<name>,
    # consent:<purpose>[:<channel>] or ignore.
    Column("fields", JSONType, nullable=False),
    Column("version", Integer, nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
    Column("updated_by", Id, ForeignKey("core_user.id", ondelete="SET NULL")),
    sqlite_autoincrement=True,
)

TABLES: list[Table] = [lead, form_mapping]
