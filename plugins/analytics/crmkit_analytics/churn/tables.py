"""The churn part's tables: each customer's risk with its reasons, and the fitted models."""

from __future__ import annotations

from sqlalchemy import Column, Float, ForeignKey, Index, Integer, Table

from crmkit import Id, JSONType, UTCDateTime, metadata

risk = Table(
    "analytics_churn",
    metadata,
    Column("party_id", Id, ForeignKey("core_party.id", ondelete="CASCADE"), primary_key=True),
    # The model's probability that the customer buys nothing in the next window.
    Column("score", Float, nullable=False),
    # [{"kind": "silence", "text": "...", "weight": 1.2}, ...], strongest first.
    Column("reasons", JSONType, nullable=False),
    Column("silence_days", Float, nullable=False),
    Column("silence_ratio", Float, nullable=False),
    Column("spend_change", Float, nullable=False),
    Column("complaints", Float, nullable=False),
    Column("detractors", Float, nullable=False),
    Column("days_since_contact", Float),
    Column("model_id", Id, nullable=False),
    Column("computed_at", UTCDateTime(), nullable=False),
    # The work list reads the riskiest first.
    Index(None, "score"),
)

model = Table(
    "analytics_churn_model",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("fitted_at", UTCDateTime(), nullable=False),
    Column("as_of", UTCDateTime(), nullable=False),
    Column("window_days", Integer, nullable=False),
    Column("trained_on", Integer, nullable=False),
    # {"features": [...], "coefficients": [...], "intercept": x, "means": [...], "scales": [...],
    #  "fitted": bool}
    Column("parameters", JSONType, nullable=False),
    sqlite_autoincrement=True,
)

TABLES = [risk, model]
