"""The kernel's tables (SQLAlchemy Core) on the one MetaData every plugin shares.

Kernel tables carry the prefix ``core_`` just as a plugin's carry ``<name>_``, so
that "which branch owns this table" is always answered by its name.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Dialect

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = MetaData(naming_convention=NAMING_CONVENTION)
"""The one MetaData of every crmkit table, kernel and plugins alike."""


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC timestamp on every database (SQLite stores it naive)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given where UTC is required")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


JSONType = JSON().with_variant(JSONB(), "postgresql")
"""JSON on SQLite, JSONB (indexable, comparable) on PostgreSQL."""

Id = BigInteger().with_variant(Integer(), "sqlite")
"""Primary keys: 64-bit, but SQLite's rowid alias needs the plain INTEGER type.

A table whose primary key is an ``Id`` the database hands out is declared
``sqlite_autoincrement=True``: its ids are named elsewhere (events, the audit trail,
URLs, other systems), and without it SQLite gives the id of a deleted newest row
to the next one.
"""


def utcnow() -> datetime:
    return datetime.now(UTC)


def timestamps() -> list[Column[Any]]:
    return [
        Column("created_at", UTCDateTime(), nullable=False),
        Column("updated_at", UTCDateTime(), nullable=False),
    ]


user = Table(
    "core_user",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("username", String(150), nullable=False, unique=True),
    Column("display_name", String(200), nullable=False),
    Column("email", String(320)),
    Column("role", String(50), nullable=False),
    Column("manager_id", Id, ForeignKey("core_user.id")),
    Column("team", String(100)),
    Column("territories", JSONType, nullable=False),
    Column("active", Boolean, nullable=False),
    Column("version", Integer, nullable=False),
    *timestamps(),
    sqlite_autoincrement=True,
)

party = Table(
    "core_party",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("role", String(20), nullable=False),
    Column("kind", String(20), nullable=False),
    Column("display_name", String(300), nullable=False),
    Column("first_name", String(150)),
    Column("last_name", String(150)),
    Column("organisation_name", String(300)),
    Column("birth_date", Date),
    Column("owner_id", Id, ForeignKey("core_user.id")),
    Column("source", String(100)),
    Column("status", String(30)),
    Column("customer_number", String(100)),
    Column("converted_at", UTCDateTime()),
    Column("custom", JSONType, nullable=False),
    Column("version", Integer, nullable=False),
    *timestamps(),
    # Set by the intake pipeline; NULL for parties that never went through it.
    Column("quality", Integer),
    Column("findings", JSONType),
    Column("score", Integer),
    Column("score_band", String(10)),
    Column("score_reasons", JSONType),
    # Perishability: when the first contact is due, and what happened since.
    Column("first_contact_due_at", UTCDateTime()),
    Column("first_contacted_at", UTCDateTime()),
    Column("escalated_at", UTCDateTime()),
    Column("expired_at", UTCDateTime()),
    Index(None, "role", "display_name", "id"),
    Index(None, "owner_id"),
    Index(None, "customer_number"),
    Index(None, "first_contact_due_at"),
    sqlite_autoincrement=True,
)

contact_point = Table(
    "core_contact_point",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("party_id", Id, ForeignKey("core_party.id", ondelete="CASCADE"), nullable=False),
    Column("kind", String(10), nullable=False),
    Column("position", Integer, nullable=False),
    Column("value", String(500), nullable=False),
    # The form used for look-ups and matching: normalised email, E.164 phone.
    Column("key", String(320)),
    Column("data", JSONType),
    Index(None, "party_id", "kind", "position"),
    Index(None, "kind", "key"),
    sqlite_autoincrement=True,
)

external_id = Table(
    "core_external_id",
    metadata,
    Column("system", String(100), primary_key=True),
    Column("external_id", String(200), primary_key=True),
    Column("party_id", Id, ForeignKey("core_party.id", ondelete="CASCADE"), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Index(None, "party_id"),
)

external_id_change = Table(
    "core_external_id_change",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("system", String(100), nullable=False),
    Column("external_id", String(200), nullable=False),
    # No foreign keys: the history outlives the party an id was taken from (merged away).
    Column("from_party_id", Id, nullable=False),
    # None when the id was unlinked: it points to no party since.
    Column("to_party_id", Id),
    # ``relinked`` (a source named another party), ``merged`` (its party was merged away)
    # or ``unlinked`` (removed from its party).
    Column("reason", String(10), nullable=False),
    Column("changed_by", String(150), nullable=False),
    Column("changed_at", UTCDateTime(), nullable=False),
    Index(None, "system", "external_id", "id"),
    Index(None, "from_party_id"),
    Index(None, "to_party_id"),
    sqlite_autoincrement=True,
)

interaction = Table(
    "core_interaction",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("party_id", Id, ForeignKey("core_party.id", ondelete="CASCADE"), nullable=False),
    Column("channel", String(50), nullable=False),
    Column("direction", String(10), nullable=False),
    Column("occurred_at", UTCDateTime(), nullable=False),
    Column("subject", String(500)),
    Column("summary", Text),
    Column("outcome", String(100)),
    Column("owner_id", Id, ForeignKey("core_user.id")),
    Column("source", String(100), nullable=False),
    Column("refs", JSONType, nullable=False),
    Column("custom", JSONType, nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    # The timeline reads newest first by (occurred_at, id) for one party.
    Index(None, "party_id", "occurred_at", "id"),
    sqlite_autoincrement=True,
)

outbox = Table(
    "core_outbox",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("event_type", String(100), nullable=False),
    Column("entity", String(100)),
    Column("entity_id", String(100)),
    Column("payload", JSONType, nullable=False),
    Column("actor_id", Id),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("delivered_at", UTCDateTime()),
    Column("attempts", Integer, nullable=False),
    Column("next_attempt_at", UTCDateTime()),
    # Subscribers that still have to receive the event after a failed delivery;
    # NULL means every subscriber (the event has not been delivered yet).
    Column("pending_subscribers", JSONType),
    Column("last_error", Text),
    Index(None, "delivered_at", "id"),
    sqlite_autoincrement=True,
)

job_state = Table(
    "core_job_state",
    metadata,
    Column("name", String(200), primary_key=True),
    Column("last_run_at", UTCDateTime()),
    Column("last_success_at", UTCDateTime()),
    Column("last_error_at", UTCDateTime()),
    Column("last_error", Text),
    Column("last_duration_ms", Integer),
    Column("runs", Integer, nullable=False),
    Column("failures", Integer, nullable=False),
)

idempotency_key = Table(
    "core_idempotency_key",
    metadata,
    # Keys are per actor: two clients choosing the same key never see each other's answers.
    Column("actor", String(200), primary_key=True),
    Column("key", String(200), primary_key=True),
    Column("request_hash", String(64), nullable=False),
    Column("status", Integer, nullable=False),
    Column("body", JSONType, nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Index(None, "created_at"),
)

idempotency_party = Table(
    "core_idempotency_party",
    metadata,
    # The parties a stored answer shows: an erasure finds their answers by index instead of
    # reading every answer kept. No key to core_party: a merged party's row is gone, its
    # answers are still to be forgotten with the survivor.
    Column("actor", String(200), primary_key=True),
    Column("key", String(200), primary_key=True),
    Column("party_id", Id, primary_key=True, index=True),
    ForeignKeyConstraint(
        ["actor", "key"],
        ["core_idempotency_key.actor", "core_idempotency_key.key"],
        ondelete="CASCADE",
    ),
)

password = Table(
    "core_password",
    metadata,
    # Apart from core_user so that no query for users ever carries a password hash.
    Column("user_id", Id, ForeignKey("core_user.id", ondelete="CASCADE"), primary_key=True),
    Column("hash", String(200), nullable=False),
    Column("changed_at", UTCDateTime(), nullable=False),
)

session = Table(
    "core_session",
    metadata,
    # The SHA-256 of the cookie's random value: a leaked table cannot be replayed.
    Column("id", String(64), primary_key=True),
    Column("user_id", Id, ForeignKey("core_user.id", ondelete="CASCADE"), nullable=False),
    Column("csrf_token", String(64), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("last_seen_at", UTCDateTime(), nullable=False),
    Column("expires_at", UTCDateTime(), nullable=False),
    Index(None, "user_id"),
    Index(None, "expires_at"),
)

api_token = Table(
    "core_api_token",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    # The token's public part, for look-up; the secret part is stored only as a hash.
    Column("prefix", String(16), nullable=False, unique=True),
    Column("secret_hash", String(64), nullable=False),
    Column("user_id", Id, ForeignKey("core_user.id", ondelete="CASCADE"), nullable=False),
    Column("name", String(200), nullable=False),
    Column("scopes", JSONType, nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("expires_at", UTCDateTime()),
    Column("last_used_at", UTCDateTime()),
    Column("revoked_at", UTCDateTime()),
    Index(None, "user_id"),
    sqlite_autoincrement=True,
)

login_failure = Table(
    "core_login_failure",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    # What an attempt counts against: "username", "address" (the client's IP address),
    # "addr-user" (the two: "<address> <username>") or "lead-form" (an address).
    Column("kind", String(10), nullable=False),
    Column("key", String(200), nullable=False),
    Column("failed_at", UTCDateTime(), nullable=False),
    Index(None, "kind", "key", "failed_at"),
    Index(None, "failed_at"),
    sqlite_autoincrement=True,
)

audit = Table(
    "core_audit",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("occurred_at", UTCDateTime(), nullable=False),
    # No foreign key: the trail outlives the users and records it speaks of.
    Column("actor_id", Id),
    Column("actor_name", String(150), nullable=False),
    Column("entity", String(50), nullable=False),
    Column("entity_id", String(100), nullable=False),
    Column("action", String(20), nullable=False),
    Column("changes", JSONType, nullable=False),
    Index(None, "entity", "entity_id", "id"),
    sqlite_autoincrement=True,
)

consent = Table(
    "core_consent",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("party_id", Id, ForeignKey("core_party.id", ondelete="CASCADE"), nullable=False),
    Column("purpose", String(50), nullable=False),
    Column("channel", String(10), nullable=False),
    Column("status", String(10), nullable=False),
    Column("source", String(100), nullable=False),
    Column("evidence", Text),
    Column("recorded_at", UTCDateTime(), nullable=False),
    Column("recorded_by", String(150), nullable=False),
    # SHA-256 of the double opt-in token of a pending consent; the token itself is never stored.
    Column("token_hash", String(64), unique=True),
    # History is append-only; the latest row per (purpose, channel) is the one in force.
    Index(None, "party_id", "purpose", "channel", "id"),
    sqlite_autoincrement=True,
)

SearchTerm = String(100).with_variant(String(100, collation="C"), "postgresql")
"""Search terms compare byte by byte, so that a prefix is one index range on every database."""

search_term = Table(
    "core_search_term",
    metadata,
    Column(
        "party_id",
        Id,
        ForeignKey("core_party.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    # Normalised words, email parts and phone digits of the party (see crmkit.core.search).
    Column("term", SearchTerm, primary_key=True),
    Index(None, "term", "party_id"),
)

# --- Prospect intake: match keys, the review queue, the merge log.

match_key = Table(
    "core_match_key",
    metadata,
    # The blocking keys of a party: parties sharing a key are compared, no others.
    Column("party_id", Id, ForeignKey("core_party.id", ondelete="CASCADE"), primary_key=True),
    Column("key", String(200), primary_key=True),
    Index(None, "key"),
)

match_review = Table(
    "core_match_review",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    # The stored prospect that may be a duplicate of ``existing_id``.
    Column("candidate_id", Id, ForeignKey("core_party.id", ondelete="CASCADE"), nullable=False),
    Column("existing_id", Id, ForeignKey("core_party.id", ondelete="CASCADE"), nullable=False),
    Column("score", Integer, nullable=False),
    Column("status", String(10), nullable=False),
    # The candidate a merge deciding the review took away (no foreign key: it is gone);
    # candidate_id and existing_id then both name the survivor.
    Column("merged_id", Id),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("decided_by", String(150)),
    Column("decided_at", UTCDateTime()),
    Index(None, "status", "id"),
    Index(None, "candidate_id"),
    Index(None, "existing_id"),
    sqlite_autoincrement=True,
)

merge_log = Table(
    "core_merge_log",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    # Erasing the survivor erases its log too: the log holds the merged party's data.
    Column("survivor_id", Id, ForeignKey("core_party.id", ondelete="CASCADE"), nullable=False),
    # No foreign key: the merged party no longer exists. NULL: it never existed, a prospect
    # merged as it was taken in (crmkit.core.parties.merge_incoming).
    Column("merged_id", Id),
    Column("merged_name", String(300), nullable=False),
    Column("merged_by", String(150), nullable=False),
    Column("merged_at", UTCDateTime(), nullable=False),
    Column("details", JSONType, nullable=False),
    Index(None, "survivor_id", "id"),
    sqlite_autoincrement=True,
)

# --- Work for users: tasks to do and notifications to read.

task = Table(
    "core_task",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("owner_id", Id, ForeignKey("core_user.id", ondelete="CASCADE"), nullable=False),
    # Erasing a party erases the tasks about it: their titles may name it.
    Column("party_id", Id, ForeignKey("core_party.id", ondelete="CASCADE")),
    Column("title", String(300), nullable=False),
    Column("details", Text),
    Column("due_at", UTCDateTime()),
    Column("status", String(10), nullable=False),
    Column("source", String(100), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("done_at", UTCDateTime()),
    Column("version", Integer, nullable=False),
    # "My open tasks, soonest due first" is the one list every user reads.
    Index(None, "owner_id", "status", "due_at"),
    Index(None, "party_id"),
    sqlite_autoincrement=True,
)

notification = Table(
    "core_notification",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("user_id", Id, ForeignKey("core_user.id", ondelete="CASCADE"), nullable=False),
    Column("kind", String(30), nullable=False),
    Column("title", String(300), nullable=False),
    Column("body", Text),
    Column("link", String(500)),
    Column("source", String(100), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("read_at", UTCDateTime()),
    Index(None, "user_id", "read_at", "id"),
    sqlite_autoincrement=True,
)

webhook_subscription = Table(
    "core_webhook_subscription",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("url", String(2000), nullable=False),
    Column("secret", String(200), nullable=False),
    Column("event_types", JSONType, nullable=False),
    Column("entity", String(100)),
    Column("description", String(200), nullable=False),
    Column("active", Boolean, nullable=False),
    Column("owner_id", Id, ForeignKey("core_user.id", ondelete="SET NULL")),
    # Events up to this outbox id happened before the subscription existed.
    Column("after_event_id", Id, nullable=False),
    Column("consecutive_failures", Integer, nullable=False),
    Column("disabled_reason", Text),
    *timestamps(),
    sqlite_autoincrement=True,
)

webhook_delivery = Table(
    "core_webhook_delivery",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column(
        "subscription_id",
        Id,
        ForeignKey("core_webhook_subscription.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("event_id", Id, nullable=False),
    # Deliveries with the same key reach a subscriber in event order (one per party).
    Column("order_key", String(210), nullable=False),
    Column("status", String(10), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("next_attempt_at", UTCDateTime()),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("last_attempt_at", UTCDateTime()),
    Column("delivered_at", UTCDateTime()),
    Column("response_status", Integer),
    Column("last_error", Text),
    UniqueConstraint("subscription_id", "event_id"),
    Index(None, "status", "next_attempt_at"),
    Index(None, "subscription_id", "order_key", "id"),
    sqlite_autoincrement=True,
)

webhook_cursor = Table(
    "core_webhook_cursor",
    metadata,
    Column("name", String(50), primary_key=True),
    # Every outbox event up to here has its deliveries.
    Column("last_event_id", Id, nullable=False),
    # A missing id below ``gap_until`` was taken by a transaction that had not committed
    # when it was first seen; it is given up once every transaction running then has ended.
    Column("gap_until", Id),
    Column("gap_horizon", BigInteger),
    Column("gap_seen_at", UTCDateTime()),
)

signed_receipt = Table(
    "core_signed_receipt",
    metadata,
    # The ids of signed requests a plugin's public route accepted, kept while a replay of
    # one could still carry a timestamp the route accepts, so that it is refused instead.
    Column("source", String(100), primary_key=True),
    Column("message_id", String(200), primary_key=True),
    Column("received_at", UTCDateTime(), nullable=False),
    Column("expires_at", UTCDateTime(), nullable=False),
    Index(None, "expires_at"),
)

KERNEL_TABLES: tuple[Table, ...] = (
    user,
    party,
    contact_point,
    external_id,
    external_id_change,
    interaction,
    outbox,
    job_state,
    idempotency_key,
    idempotency_party,
    password,
    session,
    api_token,
    login_failure,
    audit,
    consent,
    search_term,
    match_key,
    match_review,
    merge_log,
    task,
    notification,
    webhook_subscription,
    webhook_delivery,
    webhook_cursor,
    signed_receipt,
)
