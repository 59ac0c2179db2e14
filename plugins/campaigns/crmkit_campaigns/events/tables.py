"""The events part's tables: events, their sessions, registrations and the sessions each chose.

Seats are counted in ``seats_taken`` of the event and of each session, changed only by
conditional UPDATEs (``seats_taken < capacity``), so that two confirmations racing for the
last seat cannot both win, on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

from sqlalchemy import (
    Column,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    text,
)

from crmkit import Id, UTCDateTime, metadata

KINDS = ("trade_fair", "webinar", "launch", "other")
STATUSES = ("draft", "published", "cancelled", "done")
REGISTRATION_STATUSES = ("pending", "confirmed", "waitlisted", "cancelled", "attended")
"""``pending`` until the registrant clicks the emailed link; ``attended`` once checked in."""
ACTIVE_WHERE = "status <> 'cancelled' AND party_id IS NOT NULL"
"""The registrations that count: a person holds at most one of these per event."""

event = Table(
    "campaigns_event",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("slug", String(120), nullable=False, unique=True),
    Column("kind", String(20), nullable=False),
    Column("name", String(200), nullable=False),
    Column("description", Text, nullable=False),
    Column("venue", String(300)),
    Column("online_url", String(500)),
    Column("time_zone", String(60), nullable=False),
    Column("starts_at", UTCDateTime(), nullable=False),
    Column("ends_at", UTCDateTime(), nullable=False),
    Column("status", String(20), nullable=False),
    Column("capacity", Integer),
    # None: no limit.
    Column("seats_taken", Integer, nullable=False),
    Column("registration_opens_at", UTCDateTime()),
    Column("registration_closes_at", UTCDateTime()),
    Column("owner_id", Id, ForeignKey("core_user.id")),
    Column("campaign_id", Id, ForeignKey("campaigns_campaign.id", ondelete="SET NULL")),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
    Column("version", Integer, nullable=False),
    Index(None, "starts_at"),
    sqlite_autoincrement=True,
)

session = Table(
    "campaigns_event_session",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("event_id", Id, ForeignKey("campaigns_event.id", ondelete="CASCADE"), nullable=False),
    Column("title", String(200), nullable=False),
    Column("starts_at", UTCDateTime(), nullable=False),
    Column("ends_at", UTCDateTime(), nullable=False),
    Column("room", String(100)),
    Column("capacity", Integer),
    Column("seats_taken", Integer, nullable=False),
    Column("version", Integer, nullable=False),
    Index(None, "event_id"),
    sqlite_autoincrement=True,
)

registration = Table(
    "campaigns_event_registration",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("event_id", Id, ForeignKey("campaigns_event.id", ondelete="CASCADE"), nullable=False),
    Column("party_id", Id, ForeignKey("core_party.id", ondelete="SET NULL")),
    # None once the party is erased: the row stays, anonymised, so that counts hold.
    Column("status", String(20), nullable=False),
    Column("first_name", String(100)),
    Column("last_name", String(100)),
    Column("email", String(320)),
    Column("company", String(200)),
    Column("phone", String(50)),
    Column("marketing_consent", Integer, nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("confirmed_at", UTCDateTime()),
    Column("waitlisted_at", UTCDateTime()),
    Column("cancelled_at", UTCDateTime()),
    Column("checked_in_at", UTCDateTime()),
    Column("checked_in_by", Id, ForeignKey("core_user.id", ondelete="SET NULL")),
    Column("reminded_at", UTCDateTime()),
    # Set in the transaction that queued the reminder: never a second one.
    Column("followed_up_at", UTCDateTime()),
    Column("holds_seat", Integer, nullable=False),
    # 1 while the registration counts in seats_taken (confirmed or attended).
    Index(None, "event_id", "status"),
    Index(None, "party_id"),
    # One active registration per person and event: a merge resolves the duplicate first.
    Index(
        "uq_campaigns_event_registration_active",
        "event_id",
        "party_id",
        unique=True,
        sqlite_where=text(ACTIVE_WHERE),
        postgresql_where=text(ACTIVE_WHERE),
    ),
    sqlite_autoincrement=True,
)

choice = Table(
    "campaigns_event_choice",
    metadata,
    Column(
        "registration_id",
        Id,
        ForeignKey("campaigns_event_registration.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column(
        "session_id",
        Id,
        ForeignKey("campaigns_event_session.id", ondelete="CASCADE"),
        primary_key=True,
    ),
)
"""The sessions a registration chose."""

TABLES = [event, session, registration, choice]
