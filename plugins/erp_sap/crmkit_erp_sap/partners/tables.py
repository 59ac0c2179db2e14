"""The partners part's tables: partners seen, where each pull stands, and the sync log.

``erp_sap_partner`` keeps, per SAP partner, the party it became and a hash of what was
last applied, so that a partner SAP sends again unchanged costs no write.
``erp_sap_sales_area`` holds the customer's sales areas of the partner's last write, replaced
whole each time the partner is written.
``erp_sap_cursor`` moves forward only in the transaction that commits the page it read.
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from crmkit import Id, UTCDateTime, metadata

CATEGORIES = ("person", "organisation")
RUN_KINDS = ("full", "delta")
RUN_TRIGGERS = ("cli", "job", "api")
RUN_STATUSES = ("running", "finished", "failed", "interrupted")

partner = Table(
    "erp_sap_partner",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("system", String(40), nullable=False),
    Column("business_partner", String(40), nullable=False),
    Column("party_id", Id, ForeignKey("core_party.id", ondelete="SET NULL")),
    Column("category", String(20), nullable=False),
    Column("blocked", Boolean, nullable=False, default=False),
    Column("content_hash", String(64), nullable=False),
    Column("last_change_at", UTCDateTime()),
    Column("synced_at", UTCDateTime(), nullable=False),
    UniqueConstraint("system", "business_partner"),
    Index(None, "party_id"),
    sqlite_autoincrement=True,
)

cursor = Table(
    "erp_sap_cursor",
    metadata,
    Column("system", String(40), primary_key=True),
    Column("entity_set", String(100), primary_key=True),
    Column("last_change_at", UTCDateTime()),
    Column("last_key", String(40)),
    Column("updated_at", UTCDateTime(), nullable=False),
)

sync_run = Table(
    "erp_sap_sync_run",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("system", String(40), nullable=False),
    Column("kind", String(10), nullable=False),
    Column("trigger", String(10), nullable=False),
    Column("status", String(20), nullable=False),
    Column("started_at", UTCDateTime(), nullable=False),
    Column("finished_at", UTCDateTime()),
    Column("created", Integer, nullable=False, default=0),
    Column("updated", Integer, nullable=False, default=0),
    Column("unchanged", Integer, nullable=False, default=0),
    Column("failed", Integer, nullable=False, default=0),
    Column("error", Text),
    Index(None, "system", "status"),
    sqlite_autoincrement=True,
)

sync_failure = Table(
    "erp_sap_sync_failure",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("run_id", Id, ForeignKey("erp_sap_sync_run.id", ondelete="CASCADE"), nullable=False),
    Column("business_partner", String(40)),
    Column("position", Integer),
    Column("field", String(200)),
    Column("reason", Text, nullable=False),
    Index(None, "run_id", "id"),
    sqlite_autoincrement=True,
)

AREA_CODE_LENGTH = 40
"""The longest code a sales-area column holds (SAP's are 1 to 5 characters)."""
AREA_CODES = (
    "sales_organization",
    "distribution_channel",
    "division",
    "customer_group",
    "currency",
    "payment_terms",
    "incoterms",
    "sales_office",
    "sales_group",
    "order_block",
    "delivery_block",
    "billing_block",
)

sales_area = Table(
    "erp_sap_sales_area",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("system", String(40), nullable=False),
    Column("business_partner", String(40), nullable=False),
    Column("party_id", Id, ForeignKey("core_party.id", ondelete="CASCADE"), nullable=False),
    Column("customer", String(40), nullable=False),
    *(Column(name, String(AREA_CODE_LENGTH), nullable=False) for name in AREA_CODES),
    Column("deletion_flag", Boolean, nullable=False),
    UniqueConstraint(
        "system",
        "business_partner",
        "sales_organization",
        "distribution_channel",
        "division",
        name="uq_erp_sap_sales_area_partner_area",  # the conventional name is too long
    ),
    Index(None, "party_id"),
    sqlite_autoincrement=True,
)

TABLES = [partner, cursor, sync_run, sync_failure, sales_area]
