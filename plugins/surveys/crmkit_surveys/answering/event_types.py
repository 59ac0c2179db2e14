"""The domain events the answering part emits."""

from __future__ import annotations

from crmkit import EventType

RESPONSE_ENTITY = "surveys.response"
COMPLETED = "surveys.response_completed"

EVENT_TYPES: list[EventType] = [
    EventType(
        COMPLETED,
        "A survey was answered to the end: survey_id, response_id, party_id (null when "
        "anonymous), version_id, nps and csat (the first such question's score, or null)",
        RESPONSE_ENTITY,
    ),
]
