"""The orders part's table: one push per sfa order, the record that makes the push happen once.

``order_id`` is unique, so an ``sfa.order_placed`` delivered twice queues one push. The
``reference`` (the order's number) is written into SAP's ``PurchaseOrderByCustomer``: a
push whose answer was lost is looked up by it before anything is sent again. ``sfa_order``
is not a foreign key: sfa is an optional dependency and its table may not exist.
"""

from __future__ import annotations

from sqlalchemy import Column, ForeignKey, Index, Integer, String, Table, Text

from crmkit import Id, JSONType, UTCDateTime, metadata

PUSH_STATES = ("queued", "sending", "created", "failed", "gave_up")

order_push = Table(
    "erp_sap_order_push",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("order_id", Id, nullable=False, unique=True),
    Column("party_id", Id, ForeignKey("core_party.id", ondelete="SET NULL")),
    Column("system", String(40), nullable=False),
    Column("state", String(20), nullable=False),
    Column("reference", String(35), nullable=False),
    Column("sap_order", String(10)),
    Column("sap_status", JSONType),
    # The statuses SAP last reported (OverallSDProcessStatus ...), to record changes only.
    Column("erp_status", String(20)),
    # The sfa ERP status last recorded from them (sent, confirmed, delivered, invoiced).
    Column("attempts", Integer, nullable=False),
    Column("next_attempt_at", UTCDateTime()),
    Column("last_error", Text),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
    Column("sent_at", UTCDateTime()),
    Column("status_checked_at", UTCDateTime()),
    Index(None, "state", "next_attempt_at"),
    Index(None, "party_id"),
    sqlite_autoincrement=True,
)

TABLES = [order_push]
