"""The triggers part's table: the runs of the daily trigger job, per triggered campaign.

Which occurrence entered whom is the campaigns part's member row (its ``occurrence``,
unique per campaign and party): the job needs no table of its own for that.
"""

from __future__ import annotations

from sqlalchemy import Column, Date, ForeignKey, Index, Integer, Table, Text

from crmkit import Id, UTCDateTime, metadata

trigger_run = Table(
    "campaigns_trigger_run",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column(
        "campaign_id", Id, ForeignKey("campaigns_campaign.id", ondelete="CASCADE"), nullable=False
    ),
    Column("ran_at", UTCDateTime(), nullable=False),
    # The day whose due occurrences were entered.
    Column("due_on", Date, nullable=False),
    Column("entered", Integer, nullable=False),
    # Why nothing was entered, when the run failed (an owner gone, a trigger no longer offered).
    Column("error", Text),
    Index(None, "campaign_id", "id"),
    sqlite_autoincrement=True,
)

TABLES = [trigger_run]
