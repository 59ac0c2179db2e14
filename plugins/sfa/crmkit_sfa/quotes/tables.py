"""The order book's tables: products, price lists, quotations and their versions, sales orders.

Amounts are ``Numeric``: line amounts and totals are rounded to the currency's
minor unit (:mod:`crmkit_sfa.quotes.money`), unit prices keep four places so
that a price per piece below a cent survives. Percentages (discounts, tax
rates) are stored as such (``19.00`` is 19 %).
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
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

AMOUNT = Numeric(18, 4)
"""Line amounts and totals: four places hold every ISO 4217 minor unit (KWD has 3, CLF 4)."""
UNIT_PRICE = Numeric(18, 4)
QUANTITY = Numeric(18, 3)
PERCENT = Numeric(5, 2)

product = Table(
    "sfa_product",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("code", String(64), nullable=False, unique=True),
    Column("name", String(200), nullable=False),
    Column("product_group", String(64)),
    Column("unit", String(16), nullable=False),
    Column("tax_rate", PERCENT, nullable=False),
    Column("active", Boolean, nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
    sqlite_autoincrement=True,
)

price_list = Table(
    "sfa_price_list",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("name", String(200), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("valid_from", Date),
    Column("valid_to", Date),
    Column("created_at", UTCDateTime(), nullable=False),
    sqlite_autoincrement=True,
)

price_list_item = Table(
    "sfa_price_list_item",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column(
        "price_list_id", Id, ForeignKey("sfa_price_list.id", ondelete="CASCADE"), nullable=False
    ),
    Column("product_id", Id, ForeignKey("sfa_product.id", ondelete="CASCADE"), nullable=False),
    Column("min_quantity", QUANTITY, nullable=False),
    Column("unit_price", UNIT_PRICE, nullable=False),
    # One price per volume tier; pricing reads a product's tiers of one list.
    UniqueConstraint("price_list_id", "product_id", "min_quantity"),
    sqlite_autoincrement=True,
)

quotation = Table(
    "sfa_quotation",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    # Set right after the insert, in the same transaction, from the id of the first version.
    Column("number", String(32)),
    Column("version", Integer, nullable=False),
    Column("supersedes_id", Id, ForeignKey("sfa_quotation.id", ondelete="SET NULL")),
    Column(
        "opportunity_id",
        Id,
        ForeignKey("sfa_opportunity.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("party_id", Id, ForeignKey("core_party.id", ondelete="CASCADE"), nullable=False),
    Column("owner_id", Id, ForeignKey("core_user.id", ondelete="SET NULL")),
    Column("price_list_id", Id, ForeignKey("sfa_price_list.id", ondelete="SET NULL")),
    Column("status", String(16), nullable=False),
    Column("valid_until", Date, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("total_net", AMOUNT, nullable=False),
    Column("total_tax", AMOUNT, nullable=False),
    Column("total_gross", AMOUNT, nullable=False),
    Column("terms", Text),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
    Column("sent_at", UTCDateTime()),
    Column("decided_at", UTCDateTime()),
    UniqueConstraint("number", "version"),
    Index(None, "opportunity_id"),
    Index(None, "party_id"),
    # The expiry job looks for sent quotations past their date.
    Index(None, "status", "valid_until"),
    sqlite_autoincrement=True,
)

quotation_line = Table(
    "sfa_quotation_line",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("quotation_id", Id, ForeignKey("sfa_quotation.id", ondelete="CASCADE"), nullable=False),
    Column("position", Integer, nullable=False),
    Column("product_id", Id, ForeignKey("sfa_product.id"), nullable=False),
    Column("description", String(500), nullable=False),
    Column("quantity", QUANTITY, nullable=False),
    Column("unit_price", UNIT_PRICE, nullable=False),
    Column("discount", PERCENT, nullable=False),
    Column("tax_rate", PERCENT, nullable=False),
    Column("net", AMOUNT, nullable=False),
    Column("tax", AMOUNT, nullable=False),
    Column("gross", AMOUNT, nullable=False),
    Column("requested_date", Date),
    UniqueConstraint("quotation_id", "position"),
    sqlite_autoincrement=True,
)

order = Table(
    "sfa_order",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("number", String(32), nullable=False, unique=True),
    # Unique: a quotation is accepted into one order, however often acceptance is sent.
    Column(
        "quotation_id",
        Id,
        ForeignKey("sfa_quotation.id", ondelete="CASCADE"),
        nullable=False,
        unique=True,
    ),
    Column(
        "opportunity_id",
        Id,
        ForeignKey("sfa_opportunity.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("party_id", Id, ForeignKey("core_party.id", ondelete="CASCADE"), nullable=False),
    Column("owner_id", Id, ForeignKey("core_user.id", ondelete="SET NULL")),
    Column("currency", String(3), nullable=False),
    Column("total_net", AMOUNT, nullable=False),
    Column("total_tax", AMOUNT, nullable=False),
    Column("total_gross", AMOUNT, nullable=False),
    Column("placed_at", UTCDateTime(), nullable=False),
    Column("erp_status", String(16)),
    Column("erp_reference", String(100)),
    Column("erp_updated_at", UTCDateTime()),
    Index(None, "party_id"),
    # Target actuals sum the orders placed in a period.
    Index(None, "placed_at"),
    sqlite_autoincrement=True,
)

order_line = Table(
    "sfa_order_line",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("order_id", Id, ForeignKey("sfa_order.id", ondelete="CASCADE"), nullable=False),
    Column("position", Integer, nullable=False),
    Column("product_id", Id, ForeignKey("sfa_product.id"), nullable=False),
    Column("product_code", String(64), nullable=False),
    Column("product_group", String(64)),
    Column("description", String(500), nullable=False),
    Column("quantity", QUANTITY, nullable=False),
    Column("unit", String(16), nullable=False),
    Column("unit_price", UNIT_PRICE, nullable=False),
    Column("discount", PERCENT, nullable=False),
    Column("tax_rate", PERCENT, nullable=False),
    Column("net", AMOUNT, nullable=False),
    Column("tax", AMOUNT, nullable=False),
    Column("gross", AMOUNT, nullable=False),
    Column("requested_date", Date),
    UniqueConstraint("order_id", "position"),
    sqlite_autoincrement=True,
)

TABLES = [product, price_list, price_list_item, quotation, quotation_line, order, order_line]
"""In creation order (foreign keys point backwards)."""
