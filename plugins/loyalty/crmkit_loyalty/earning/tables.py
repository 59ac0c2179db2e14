"""The earning part's table: referrals (a member brought a new party; points once it buys or converts)."""

from __future__ import annotations

from sqlalchemy import Column, ForeignKey, Index, String, Table, UniqueConstraint

from crmkit import Id, UTCDateTime, metadata

REFERRAL_STATUSES = ("pending", "rewarded", "cancelled")

referral = Table(
    "loyalty_referral",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("member_id", Id, ForeignKey("loyalty_member.id", ondelete="CASCADE"), nullable=False),
    Column("referred_party_id", Id, ForeignKey("core_party.id", ondelete="SET NULL")),
    Column("status", String(20), nullable=False),
    Column("created_by", Id, ForeignKey("core_user.id")),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("rewarded_at", UTCDateTime()),
    UniqueConstraint("member_id", "referred_party_id"),
    Index(None, "referred_party_id"),
    sqlite_autoincrement=True,
)

TABLES = [referral]
