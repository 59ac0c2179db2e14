"""The programmes part's tables: programmes, their point rules, tiers and rewards."""

from __future__ import annotations

from sqlalchemy import (
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from crmkit import Id, UTCDateTime, metadata

STATUSES = ("active", "closed")
DOWNGRADES = ("one_step", "to_qualified")
"""How far a member who no longer qualifies for their tier moves down at its review."""
RULE_KINDS = ("spend", "product_group", "behaviour", "referral")
"""``spend``: points per unit of the programme's currency spent; ``product_group``: per unit
spent on a product group, instead of the spend rule for those lines; ``behaviour``: a fixed
number of points for something a plugin announces (docs/earning.md); ``referral``: points to
the member who referred a new customer."""

programme = Table(
    "loyalty_programme",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("name", String(200), nullable=False, unique=True),
    Column("description", Text),
    Column("status", String(20), nullable=False),
    Column("currency", String(3), nullable=False),
    # Orders in another currency earn nothing (they are not converted).
    Column("points_expire_months", Integer),
    # None: points never expire. Otherwise each earning expires so many months after it.
    Column("qualification_months", Integer, nullable=False),
    # Tiers are qualified for by points earned over this many months, rolling.
    Column("downgrade", String(20), nullable=False),
    # one_step or to_qualified (DOWNGRADES).
    Column("auto_enrol", Integer, nullable=False),
    # 1: a customer who earns (an order) is enrolled; 0: members are enrolled explicitly.
    Column("created_by", Id, ForeignKey("core_user.id")),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
    Column("version", Integer, nullable=False),
    sqlite_autoincrement=True,
)

rule = Table(
    "loyalty_rule",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column(
        "programme_id", Id, ForeignKey("loyalty_programme.id", ondelete="CASCADE"), nullable=False
    ),
    Column("kind", String(20), nullable=False),
    Column("name", String(200), nullable=False),
    Column("points_per_unit", Numeric(12, 4)),
    # spend, product_group: points per unit of currency (rounded down per order).
    Column("product_group", String(100)),
    Column("behaviour", String(100)),
    # behaviour: its name, as a plugin announces it (``surveys.answered``).
    Column("points", Integer),
    # behaviour, referral: a fixed number of points.
    Column("max_per_party_per_year", Integer),
    # behaviour, referral: a cap, so that answering surveys is not a points mine.
    Column("valid_from", Date),
    Column("valid_until", Date),
    Column("active", Integer, nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
    Column("version", Integer, nullable=False),
    Index(None, "programme_id", "kind"),
    sqlite_autoincrement=True,
)

tier = Table(
    "loyalty_tier",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column(
        "programme_id", Id, ForeignKey("loyalty_programme.id", ondelete="CASCADE"), nullable=False
    ),
    Column("name", String(100), nullable=False),
    Column("rank", Integer, nullable=False),
    # 0 is the entry tier every member starts in; higher is better.
    Column("threshold", Integer, nullable=False),
    # Points earned within the qualification period to reach (and keep) this tier.
    Column("multiplier", Numeric(6, 3), nullable=False),
    # Earning rules' points are multiplied by this for the tier's members.
    Column("benefits", Text),
    Column("version", Integer, nullable=False),
    UniqueConstraint("programme_id", "rank"),
    UniqueConstraint("programme_id", "name"),
    sqlite_autoincrement=True,
)

reward = Table(
    "loyalty_reward",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column(
        "programme_id", Id, ForeignKey("loyalty_programme.id", ondelete="CASCADE"), nullable=False
    ),
    Column("name", String(200), nullable=False),
    Column("description", Text),
    Column("points", Integer, nullable=False),
    Column("min_tier_rank", Integer, nullable=False),
    Column("stock", Integer),
    # None: unlimited. Decremented by a conditional UPDATE (stock > 0) as redeemed.
    Column("active", Integer, nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
    Column("version", Integer, nullable=False),
    Index(None, "programme_id"),
    sqlite_autoincrement=True,
)

TABLES = [programme, rule, tier, reward]
