"""How far each polled IMAP mailbox has been read: what makes its messages stored once."""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, String, Table

from crmkit import UTCDateTime, metadata

imap_mailbox = Table(
    "channels_imap_mailbox",
    metadata,
    # The mailbox's `name` in the settings.
    Column("name", String(100), primary_key=True),
    # A folder's UIDs mean something only with its UIDVALIDITY; when the server changes it,
    # the folder is read again from its first message.
    Column("uidvalidity", BigInteger, nullable=False),
    # The highest UID stored, advanced in the transaction that stores the message.
    Column("last_uid", BigInteger, nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
)
