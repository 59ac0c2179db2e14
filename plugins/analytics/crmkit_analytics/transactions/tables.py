"""The transactions part's tables: every purchase line the sources publish, and the
lifetime value predicted per party from them."""

from __future__ import annotations

from sqlalchemy import Column, Float, ForeignKey, Index, Integer, String, Table, UniqueConstraint

from crmkit import Id, UTCDateTime, metadata

purchase = Table(
    "analytics_purchase",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    # The FactSource's name (``sfa``, ``loyalty`` ...): (source, order_ref, line) is the key
    # a replayed event or a rebuild meets again, so that a purchase is never counted twice.
    Column("source", String(40), nullable=False),
    Column("order_ref", String(120), nullable=False),
    Column("line", Integer, nullable=False),
    Column("party_id", Id, ForeignKey("core_party.id", ondelete="CASCADE"), nullable=False),
    Column("occurred_at", UTCDateTime(), nullable=False),
    Column("amount", Float, nullable=False),
    Column("product", String(120)),
    Column("product_group", String(120)),
    Column("quantity", Float, nullable=False),
    Column("channel", String(40)),
    UniqueConstraint("source", "order_ref", "line"),
    # A party's purchases in time order: profiles, the 360 card and the models read this way.
    Index(None, "party_id", "occurred_at"),
    sqlite_autoincrement=True,
)

clv = Table(
    "analytics_clv",
    metadata,
    Column("party_id", Id, ForeignKey("core_party.id", ondelete="CASCADE"), primary_key=True),
    Column("frequency", Integer, nullable=False),
    Column("recency_days", Float, nullable=False),
    Column("age_days", Float, nullable=False),
    Column("expected_purchases_90d", Float, nullable=False),
    Column("p_alive", Float, nullable=False),
    # Expected average spend per purchase (Gamma-Gamma); null when the party has no repeat.
    Column("expected_spend", Float),
    Column("clv", Float, nullable=False),
    Column("horizon_days", Integer, nullable=False),
    Column("fitted_at", UTCDateTime(), nullable=False),
)

TABLES = [purchase, clv]
