"""The rollups part's tables: figures summed per day and cell, kept up to date from events.

``analytics_rollup`` holds one row per (metric, day, dimension, territory, team, owner):
``count`` and ``amount`` are sums of the :class:`~crmkit_analytics.sources.Measure` deltas
the sources publish. A cell without an owner has ``owner_id`` 0 (never null), so that the
unique key holds on SQLite and PostgreSQL alike and an upsert can name it.

``analytics_contribution`` keeps what each record of a source that publishes
:class:`~crmkit_analytics.sources.Fact` objects adds to the rollups, so that a change to the
record applies only the difference.

``analytics_applied_event`` keeps the id of every event whose measures were applied, in the
same transaction as the rollups: a redelivered event is skipped. ``analytics_source_state``
keeps when each source's rollups were last rebuilt from its tables (events that happened
before are already counted by the rebuild) and up to when the catch-up job has refreshed the
records the source reports changed.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Date, Float, Index, String, Table

from crmkit import Id, JSONType, UTCDateTime, metadata

NO_OWNER = 0
"""``owner_id`` of a cell that has no owner."""

rollup = Table(
    "analytics_rollup",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("metric", String(80), nullable=False),
    Column("day", Date, nullable=False),
    Column("dimension", String(120), nullable=False),
    Column("territory", String(40), nullable=False),
    Column("team", String(80), nullable=False),
    Column("owner_id", BigInteger, nullable=False),
    Column("count", BigInteger, nullable=False),
    Column("amount", Float, nullable=False),
    Index(
        "uq_analytics_rollup_cell",
        "metric",
        "day",
        "dimension",
        "territory",
        "team",
        "owner_id",
        unique=True,
    ),
    sqlite_autoincrement=True,
)

applied_event = Table(
    "analytics_applied_event",
    metadata,
    Column("event_id", Id, primary_key=True, autoincrement=False),
    Column("applied_at", UTCDateTime(), nullable=False),
    Index(None, "applied_at"),
)

contribution = Table(
    "analytics_contribution",
    metadata,
    Column("source", String(80), primary_key=True),
    Column("key", String(120), primary_key=True),
    # Not a foreign key: an erased party's records are taken out by the feed, which finds
    # them here first.
    Column("party_id", BigInteger),
    # [[metric, day (ISO), dimension, territory, team, owner_id, count, amount], ...]
    Column("cells", JSONType, nullable=False),
    Index(None, "party_id"),
)

source_state = Table(
    "analytics_source_state",
    metadata,
    Column("source", String(80), primary_key=True),
    Column("rebuilt_at", UTCDateTime()),
    Column("caught_up_at", UTCDateTime()),
)

TABLES = [rollup, applied_event, contribution, source_state]
