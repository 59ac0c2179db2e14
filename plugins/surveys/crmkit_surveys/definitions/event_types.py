"""The domain events the definitions part emits (payloads: the survey's id and name, and the
version's id and number where one is concerned; never a question's text)."""

from __future__ import annotations

from crmkit import EventType

ENTITY = "surveys.survey"

EVENT_TYPES: list[EventType] = [
    EventType("surveys.survey_created", "A survey was created", ENTITY),
    EventType("surveys.survey_updated", "A survey's name, description or owner changed", ENTITY),
    EventType("surveys.draft_saved", "A survey's draft version was saved", ENTITY),
    EventType("surveys.survey_published", "A survey version was published", ENTITY),
    EventType("surveys.survey_closed", "A survey was closed to new answers", ENTITY),
    EventType("surveys.survey_reopened", "A closed survey was opened again", ENTITY),
    EventType("surveys.survey_deleted", "A survey was deleted", ENTITY),
]
