"""The invitations part's tables: sends, after-event rules and the personal invitations they make.

An invitation is one party asked to answer one survey version: its link carries a random
token of which only a hash is stored, so a leaked database yields no working link.
``dedupe_key`` makes a rule fired twice by the same event, or a send retried, invite once.
"""

from __future__ import annotations

from sqlalchemy import Column, ForeignKey, Index, Integer, String, Table

from crmkit import Id, JSONType, UTCDateTime, metadata

CHANNELS = ("email", "sms")
SEND_STATUSES = ("queued", "sent", "cancelled")
INVITATION_STATUSES = ("queued", "sent", "opened", "answering", "completed", "expired", "failed")
"""``answering``: a partial response is saved; ``failed``: the channel gave up delivering."""

send = Table(
    "surveys_send",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("survey_id", Id, ForeignKey("surveys_survey.id", ondelete="CASCADE"), nullable=False),
    Column("version_id", Id, ForeignKey("surveys_version.id"), nullable=False),
    Column("channel", String(10), nullable=False),
    Column("audience", JSONType, nullable=False),
    # {"segment_id": 3} | {"list_id": 4} | {"party_ids": [...]}: what was asked for.
    Column("message", JSONType, nullable=False),
    # Subject, text and HTML per language (Jinja2, rendered by channels).
    Column("status", String(20), nullable=False),
    Column("invited", Integer, nullable=False),
    Column("skipped", Integer, nullable=False),
    # Parties of the audience not invited (no consent, no address, already invited).
    Column("expires_at", UTCDateTime(), nullable=False),
    Column("created_by", Id, ForeignKey("core_user.id")),
    Column("created_at", UTCDateTime(), nullable=False),
    Index(None, "survey_id"),
    sqlite_autoincrement=True,
)

rule = Table(
    "surveys_rule",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("survey_id", Id, ForeignKey("surveys_survey.id", ondelete="CASCADE"), nullable=False),
    Column("event_type", String(100), nullable=False),
    Column("conditions", JSONType, nullable=False),
    # {"status": ["resolved", "closed"]}: payload keys and the values that fire the rule.
    Column("channel", String(10), nullable=False),
    Column("message", JSONType, nullable=False),
    Column("delay_minutes", Integer, nullable=False),
    Column("quiet_days", Integer, nullable=False),
    # A party invited to this survey within so many days is not invited again.
    Column("expires_after_days", Integer, nullable=False),
    Column("active", Integer, nullable=False),
    Column("created_by", Id, ForeignKey("core_user.id")),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
    Column("version", Integer, nullable=False),
    Index(None, "event_type"),
    sqlite_autoincrement=True,
)

invitation = Table(
    "surveys_invitation",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("survey_id", Id, ForeignKey("surveys_survey.id", ondelete="CASCADE"), nullable=False),
    Column("version_id", Id, ForeignKey("surveys_version.id"), nullable=False),
    Column("party_id", Id, ForeignKey("core_party.id", ondelete="SET NULL")),
    # None once the party is erased.
    Column("send_id", Id, ForeignKey("surveys_send.id", ondelete="SET NULL")),
    Column("rule_id", Id, ForeignKey("surveys_rule.id", ondelete="SET NULL")),
    Column("dedupe_key", String(200), nullable=False, unique=True),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("channel", String(10), nullable=False),
    Column("language", String(10), nullable=False),
    Column("status", String(20), nullable=False),
    Column("message_ref", String(100)),
    # The channels plugin's outbound message, for its delivery state.
    Column("source", JSONType),
    # What caused it: {"event_type": ..., "event_id": ..., "entity": ..., "entity_id": ...}.
    Column("not_before", UTCDateTime()),
    # A rule's delay: queued until then.
    Column("expires_at", UTCDateTime(), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("sent_at", UTCDateTime()),
    Column("opened_at", UTCDateTime()),
    Column("completed_at", UTCDateTime()),
    Index(None, "survey_id", "status"),
    Index(None, "party_id"),
    sqlite_autoincrement=True,
)

open_link = Table(
    "surveys_open_link",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("survey_id", Id, ForeignKey("surveys_survey.id", ondelete="CASCADE"), nullable=False),
    Column("token_hash", String(64), nullable=False, unique=True),
    # A survey's anonymous link: anyone holding it gets an invitation of their own.
    Column("created_by", Id, ForeignKey("core_user.id")),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("revoked_at", UTCDateTime()),
    # Set when the link is rotated or withdrawn: it opens nothing any more.
    Index(None, "survey_id"),
    sqlite_autoincrement=True,
)

TABLES = [send, rule, invitation, open_link]
