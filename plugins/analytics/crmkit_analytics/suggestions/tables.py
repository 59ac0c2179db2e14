"""The suggestions part's table: item-to-item association rules computed from purchases.

Rules hold products only, no party: ``antecedent`` → ``consequent`` with the share of all
customers who bought both (``support``), the share of the antecedent's buyers who also bought
the consequent (``confidence``) and how much likelier that is than among all customers
(``lift``). The job replaces the whole set in one transaction.
"""

from __future__ import annotations

from sqlalchemy import Column, Float, Index, Integer, String, Table

from crmkit import Id, UTCDateTime, metadata

rule = Table(
    "analytics_rule",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("antecedent", String(120), nullable=False),
    Column("consequent", String(120), nullable=False),
    Column("support", Float, nullable=False),
    Column("confidence", Float, nullable=False),
    Column("lift", Float, nullable=False),
    # How many customers bought both.
    Column("customers", Integer, nullable=False),
    Column("computed_at", UTCDateTime(), nullable=False),
    Index("uq_analytics_rule_pair", "antecedent", "consequent", unique=True),
    # Campaign segments ask "who would be suggested this product".
    Index(None, "consequent"),
    sqlite_autoincrement=True,
)

TABLES = [rule]
