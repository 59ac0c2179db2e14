"""The ledger part's tables: members, their append-only ledger, earning lots and redemptions.

``loyalty_entry`` is never updated nor deleted: a correction is a new entry. What is derived
from it and kept beside it in the same transaction (a member's ``balance``, a lot's
``remaining``) can always be recomputed from the entries and allocations, and a check
command does (docs/ledger.md). ``(member_id, source, reference)`` is unique: an earning or a
redemption retried after a crash, or an event delivered twice, is recorded once.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from crmkit import Id, JSONType, UTCDateTime, metadata

MEMBER_STATUSES = ("active", "suspended", "closed")
ENTRY_KINDS = ("earn", "redeem", "expire", "adjust", "reverse")

member = Table(
    "loyalty_member",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column(
        "programme_id", Id, ForeignKey("loyalty_programme.id", ondelete="CASCADE"), nullable=False
    ),
    Column("party_id", Id, ForeignKey("core_party.id", ondelete="SET NULL")),
    # None once the party is erased; the ledger stays, anonymised, so that totals hold.
    Column("number", String(30), nullable=False, unique=True),
    Column("status", String(20), nullable=False),
    Column("tier_id", Id, ForeignKey("loyalty_tier.id"), nullable=False),
    Column("tier_since", UTCDateTime(), nullable=False),
    Column("tier_review_on", UTCDateTime()),
    # When a downgrade is next considered (the end of the qualification period).
    # Wide: one entry moves at most a billion points, a member's sum of them is unbounded.
    Column("balance", BigInteger, nullable=False),
    Column("lifetime_points", BigInteger, nullable=False),
    Column("enrolled_at", UTCDateTime(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
    Column("version", Integer, nullable=False),
    Column("merged_into_id", Id, ForeignKey("loyalty_member.id", ondelete="SET NULL")),
    # A member closed by a merge: the survivor's membership its points went to. The party's
    # export and erasure reach the closed member (its ledger, its redemptions' notes) by it.
    UniqueConstraint("programme_id", "party_id"),
    Index(None, "party_id"),
    Index(None, "merged_into_id"),
    Index(None, "tier_review_on"),  # the nightly review reads only the members it is due for
    sqlite_autoincrement=True,
)

entry = Table(
    "loyalty_entry",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("member_id", Id, ForeignKey("loyalty_member.id", ondelete="CASCADE"), nullable=False),
    Column("kind", String(10), nullable=False),
    Column("points", Integer, nullable=False),
    # Signed: earn and positive adjustments add, redeem, expire and negative ones take.
    Column("source", String(100), nullable=False),
    # Where it comes from: ``sfa.order``, ``behaviour:surveys.answered``, ``redemption`` ...
    Column("reference", String(200), nullable=False),
    # Unique within source for the member: the idempotency key.
    Column("rule_id", Id, ForeignKey("loyalty_rule.id", ondelete="SET NULL")),
    Column("description", Text),
    Column("details", JSONType),
    Column("expires_at", UTCDateTime()),
    # earn: when what remains of it expires.
    Column("reverses_id", Id, ForeignKey("loyalty_entry.id")),
    Column("created_by", Id, ForeignKey("core_user.id")),
    Column("created_at", UTCDateTime(), nullable=False),
    UniqueConstraint("member_id", "source", "reference"),
    Index(None, "member_id", "created_at"),
    sqlite_autoincrement=True,
)

lot = Table(
    "loyalty_lot",
    metadata,
    Column("entry_id", Id, ForeignKey("loyalty_entry.id", ondelete="CASCADE"), primary_key=True),
    # An earning (or positive adjustment) whose points are spent first in, first out.
    Column("member_id", Id, nullable=False),
    Column("remaining", Integer, nullable=False),
    Column("expires_at", UTCDateTime()),
    Index(None, "member_id", "remaining"),
    Index(None, "expires_at"),
)

allocation = Table(
    "loyalty_allocation",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("entry_id", Id, ForeignKey("loyalty_entry.id", ondelete="CASCADE"), nullable=False),
    # The redeem, expire or negative entry that took the points.
    Column("lot_id", Id, ForeignKey("loyalty_lot.entry_id", ondelete="CASCADE"), nullable=False),
    Column("points", Integer, nullable=False),
    Index(None, "entry_id"),
    Index(None, "lot_id"),
    sqlite_autoincrement=True,
)

redemption = Table(
    "loyalty_redemption",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("member_id", Id, ForeignKey("loyalty_member.id", ondelete="CASCADE"), nullable=False),
    Column("reward_id", Id, ForeignKey("loyalty_reward.id")),
    Column("points", Integer, nullable=False),
    Column("status", String(20), nullable=False),
    # completed, cancelled (its points given back by a reverse entry).
    Column("entry_id", Id, ForeignKey("loyalty_entry.id"), nullable=False),
    Column("reference", String(200), nullable=False),
    Column("note", Text),
    Column("created_by", Id, ForeignKey("core_user.id")),
    Column("created_at", UTCDateTime(), nullable=False),
    UniqueConstraint("member_id", "reference"),
    sqlite_autoincrement=True,
)

tier_change = Table(
    "loyalty_tier_change",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("member_id", Id, ForeignKey("loyalty_member.id", ondelete="CASCADE"), nullable=False),
    Column("from_tier_id", Id, ForeignKey("loyalty_tier.id")),
    Column("to_tier_id", Id, ForeignKey("loyalty_tier.id"), nullable=False),
    Column("reason", String(40), nullable=False),
    # enrolled, qualified, downgraded, manual.
    Column("changed_by", Id, ForeignKey("core_user.id")),
    Column("changed_at", UTCDateTime(), nullable=False),
    Index(None, "member_id"),
    sqlite_autoincrement=True,
)

TABLES = [member, entry, lot, allocation, redemption, tier_change]
