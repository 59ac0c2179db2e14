"""Templates kept in the database, written in the web UI or over the API (beside those of the settings)."""

from __future__ import annotations

from sqlalchemy import Boolean, Column, Integer, String, Table, Text

from crmkit import Id, UTCDateTime, metadata

template = Table(
    "channels_template",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("name", String(100), nullable=False, unique=True),
    # email (subject, text, optional html) or sms (body).
    Column("channel", String(10), nullable=False),
    Column("subject", Text),
    Column("text", Text),
    Column("html", Text),
    Column("body", Text),
    # Raised by each change; a change naming an older version is refused (409).
    Column("version", Integer, nullable=False),
    # An archived template is kept (the log names it) but no longer sent.
    Column("archived", Boolean, nullable=False),
    Column("created_by", String(200), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("updated_by", String(200), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
    sqlite_autoincrement=True,
)
