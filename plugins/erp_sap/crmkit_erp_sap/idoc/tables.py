"""The idoc part's tables: each IDoc XML file seen once, and each IDoc in it once.

``erp_sap_idoc_file.sha256`` is unique: a file whose move to done/ or failed/ was cut short
by a crash is recognised by its content when seen again, and only moved. ``erp_sap_idoc``
holds each IDoc by its sender's ``DOCNUM`` (unique per system), so an IDoc SAP sends again
in another file is not applied twice.
"""

from __future__ import annotations

from sqlalchemy import Column, ForeignKey, Index, Integer, String, Table, Text, UniqueConstraint

from crmkit import Id, UTCDateTime, metadata

FILE_STATUSES = ("imported", "partial", "failed", "exported")
"""imported: every IDoc applied; partial: some refused; failed: the file was refused whole."""
IDOC_STATUSES = ("applied", "unchanged", "failed")

idoc_file = Table(
    "erp_sap_idoc_file",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("name", String(255), nullable=False),
    Column("sha256", String(64), nullable=False, unique=True),
    Column("direction", String(8), nullable=False),
    Column("message_type", String(30)),
    Column("idoc_type", String(30)),
    Column("docnum", String(16)),
    Column("status", String(10), nullable=False),
    Column("idocs", Integer, nullable=False),
    Column("applied", Integer, nullable=False),
    Column("unchanged", Integer, nullable=False),
    Column("failed", Integer, nullable=False),
    Column("error", Text),
    Column("received_at", UTCDateTime(), nullable=False),
    Column("finished_at", UTCDateTime()),
    sqlite_autoincrement=True,
)

idoc = Table(
    "erp_sap_idoc",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("file_id", Id, ForeignKey("erp_sap_idoc_file.id", ondelete="CASCADE"), nullable=False),
    Column("system", String(64), nullable=False),
    Column("docnum", String(16), nullable=False),
    Column("message_type", String(30), nullable=False),
    Column("status", String(10), nullable=False),
    Column("reference", String(100)),
    Column("reason", Text),
    Column("field", String(100)),
    Column("processed_at", UTCDateTime(), nullable=False),
    UniqueConstraint("system", "docnum"),
    Index(None, "file_id"),
    sqlite_autoincrement=True,
)

TABLES = [idoc_file, idoc]
