"""Campaigns, their messages (one per channel and variant) and their members.

The other parts build on these: results read members' statuses and write their
milestones, triggers enter members of triggered campaigns, plans count reach.
"""

from __future__ import annotations

from sqlalchemy import (
    Column,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from crmkit import Id, JSONType, UTCDateTime, metadata

KINDS = ("one_off", "triggered")
STATUSES = ("draft", "scheduled", "sending", "paused", "cancelled", "completed")
"""A campaign's lifecycle. A triggered campaign is ``sending`` while it is active."""
CHANNELS = ("email", "sms")
MEMBER_STATUSES = (
    "targeted",
    "queued",
    "sent",
    "delivered",
    "opened",
    "clicked",
    "responded",
    "converted",
    "bounced",
    "failed",
    "suppressed",
    "unsubscribed",
    "cancelled",
)
"""A member's furthest step. ``targeted``: chosen, nothing sent yet; ``queued``: in the
channels plugin's outbox; ``suppressed``: no consent (or a suppressed address) at send;
``cancelled``: the campaign was cancelled before the member's turn. The other steps come
from delivery and tracking, responses and conversions."""

campaign = Table(
    "campaigns_campaign",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("name", String(200), nullable=False),
    Column("kind", String(20), nullable=False),
    Column("status", String(20), nullable=False),
    Column("purpose", String(50), nullable=False),
    # The consent purpose every message of the campaign needs (channels' purpose).
    Column("segment_id", Id),
    Column("list_id", Id),
    # Targets: a saved segment or a static list of the segments part (rows of its
    # tables, created in its own revision), or neither for a triggered campaign.
    Column("trigger", JSONType),
    # A triggered campaign's trigger: {"name": ..., "parameters": {...}}.
    Column("product_group", String(100)),
    Column("region", String(100)),
    # What the campaign promotes and where: marketing plans compare by these.
    Column("starts_at", UTCDateTime()),
    Column("ends_at", UTCDateTime()),
    Column("throttle_per_hour", Integer),
    Column("quiet_start", String(5)),
    Column("quiet_end", String(5)),
    Column("time_zone", String(60), nullable=False),
    Column("test_share", Integer, nullable=False),
    # A/B: percent of the members who get the variants first; the rest get the winner.
    Column("winner_metric", String(20)),
    Column("decide_after_hours", Integer),
    Column("winner_variant_id", Id),
    Column("budget", Numeric(14, 2)),
    Column("currency", String(3), nullable=False),
    Column("owner_id", Id, ForeignKey("core_user.id")),
    Column("created_by", Id, ForeignKey("core_user.id")),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
    Column("targeted_at", UTCDateTime()),
    Column("completed_at", UTCDateTime()),
    Column("version", Integer, nullable=False),
    Index(None, "status"),
    sqlite_autoincrement=True,
)

variant = Table(
    "campaigns_variant",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column(
        "campaign_id", Id, ForeignKey("campaigns_campaign.id", ondelete="CASCADE"), nullable=False
    ),
    Column("channel", String(10), nullable=False),
    Column("label", String(20), nullable=False),
    Column("split", Integer, nullable=False),
    # The variant's share of its channel's test members, in percent.
    Column("template", String(100)),
    Column("subject", Text),
    Column("text", Text),
    Column("html", Text),
    Column("created_at", UTCDateTime(), nullable=False),
    UniqueConstraint("campaign_id", "channel", "label"),
    sqlite_autoincrement=True,
)
"""A message of a campaign: one per channel, more than one when the channel is A/B tested.
Either ``template`` (a channels template) or ``subject``/``text``/``html`` (templates too)."""

member = Table(
    "campaigns_member",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column(
        "campaign_id", Id, ForeignKey("campaigns_campaign.id", ondelete="CASCADE"), nullable=False
    ),
    Column("party_id", Id, ForeignKey("core_party.id", ondelete="CASCADE"), nullable=False),
    Column("occurrence", String(200), nullable=False),
    # "" for a one-off campaign; a triggered campaign's occurrence (one entry per occurrence).
    Column("channel", String(10)),
    Column("variant_id", Id, ForeignKey("campaigns_variant.id", ondelete="SET NULL")),
    Column("in_test", Integer, nullable=False),
    # 1 when the member is in the A/B test share, 0 when waiting for the winner.
    Column("status", String(20), nullable=False),
    Column("email_id", Id),
    Column("sms_id", Id),
    # The channels plugin's outbound message, set in the transaction that queued it.
    Column("targeted_at", UTCDateTime(), nullable=False),
    Column("queued_at", UTCDateTime()),
    Column("sent_at", UTCDateTime()),
    Column("delivered_at", UTCDateTime()),
    Column("opened_at", UTCDateTime()),
    Column("clicked_at", UTCDateTime()),
    Column("responded_at", UTCDateTime()),
    Column("converted_at", UTCDateTime()),
    Column("unsubscribed_at", UTCDateTime()),
    Column("bounced_at", UTCDateTime()),
    Column("detail", String(300)),
    UniqueConstraint("campaign_id", "party_id", "occurrence"),
    # The send job's next batch, and a campaign's counts by status.
    Index(None, "campaign_id", "status", "id"),
    Index(None, "party_id"),
    Index(None, "email_id"),
    sqlite_autoincrement=True,
)

TABLES = [campaign, variant, member]
