"""The knowledge base's domain events."""

from __future__ import annotations

from crmkit import EventType

EVENT_TYPES = [
    EventType(
        "service.article_published",
        "A version of a knowledge-base article went live (payload: id, version, visibility)",
        "service.article",
    ),
    EventType(
        "service.article_archived",
        "A knowledge-base article was archived: no longer found nor shown",
        "service.article",
    ),
]
