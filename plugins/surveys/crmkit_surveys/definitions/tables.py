"""The definitions part's tables: surveys and their versions.

A version's ``definition`` (questions, branching, texts in every language) is frozen once
published: answers point at the version they answered, so an answered survey is never
changed under its answers; editing a published survey makes a new draft version.
"""

from __future__ import annotations

from sqlalchemy import Column, ForeignKey, Integer, String, Table, Text, UniqueConstraint

from crmkit import Id, JSONType, UTCDateTime, metadata

STATUSES = ("draft", "active", "closed")
"""``active``: a published version may be sent and answered; ``closed``: no new answers."""
VERSION_STATUSES = ("draft", "published")

survey = Table(
    "surveys_survey",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("name", String(200), nullable=False, unique=True),
    Column("description", Text),
    Column("status", String(20), nullable=False),
    Column("default_language", String(10), nullable=False),
    Column("published_version_id", Id),
    # The version new invitations and open answers use; None until one is published.
    Column("owner_id", Id, ForeignKey("core_user.id")),
    Column("created_by", Id, ForeignKey("core_user.id")),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
    Column("version", Integer, nullable=False),
    # Optimistic concurrency of the survey row itself, not the questionnaire's version.
    sqlite_autoincrement=True,
)

survey_version = Table(
    "surveys_version",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("survey_id", Id, ForeignKey("surveys_survey.id", ondelete="CASCADE"), nullable=False),
    Column("number", Integer, nullable=False),
    Column("status", String(20), nullable=False),
    Column("definition", JSONType, nullable=False),
    Column("created_by", Id, ForeignKey("core_user.id")),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("published_at", UTCDateTime()),
    UniqueConstraint("survey_id", "number"),
    sqlite_autoincrement=True,
)

TABLES = [survey, survey_version]
