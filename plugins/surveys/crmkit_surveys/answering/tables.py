"""The answering part's tables: responses and their answers.

An answer row per question answered, kept as soon as a page is saved (partial answers
count as such); scores are integers on the question's scale, so that results aggregate
with one GROUP BY over an index, not by reading JSON.
"""

from __future__ import annotations

from sqlalchemy import Column, ForeignKey, Index, Integer, String, Table, Text, UniqueConstraint

from crmkit import Id, JSONType, UTCDateTime, metadata

STATUSES = ("partial", "completed")

response = Table(
    "surveys_response",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("survey_id", Id, ForeignKey("surveys_survey.id", ondelete="CASCADE"), nullable=False),
    Column("version_id", Id, ForeignKey("surveys_version.id"), nullable=False),
    Column(
        "invitation_id",
        Id,
        ForeignKey("surveys_invitation.id", ondelete="SET NULL"),
        unique=True,
    ),
    Column("party_id", Id, ForeignKey("core_party.id", ondelete="SET NULL")),
    Column("language", String(10), nullable=False),
    Column("status", String(20), nullable=False),
    Column("started_at", UTCDateTime(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
    Column("completed_at", UTCDateTime()),
    Column("case_ref", String(100)),
    # What the service plugin made of it (feedback_received), "service.case:12".
    Index(None, "survey_id", "status", "completed_at"),
    Index(None, "party_id"),
    sqlite_autoincrement=True,
)

answer = Table(
    "surveys_answer",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column(
        "response_id", Id, ForeignKey("surveys_response.id", ondelete="CASCADE"), nullable=False
    ),
    Column("survey_id", Id, nullable=False),
    Column("question", String(60), nullable=False),
    # The question's key in the version's definition.
    Column("kind", String(20), nullable=False),
    Column("score", Integer),
    # nps, csat, rating: the number chosen.
    Column("choices", JSONType),
    # single, multiple: the option keys chosen.
    Column("text", Text),
    # text, and the free-text "other" of a choice.
    Column("answered_at", UTCDateTime(), nullable=False),
    UniqueConstraint("response_id", "question"),
    Index(None, "survey_id", "question", "answered_at"),
    sqlite_autoincrement=True,
)

TABLES = [response, answer]
