"""The domain events cases emit, for webhooks and other plugins (entity ``service.case``).

Payloads carry ids, number, status, priority and assignment, never what anyone wrote.
"""

from __future__ import annotations

from crmkit import EventType

ENTITY = "service.case"

EVENT_TYPES = [
    EventType("service.case_opened", "A service case was opened", ENTITY),
    EventType(
        "service.case_status_changed",
        "A case moved to another status (previous_status; root_cause when resolved)",
        ENTITY,
    ),
    EventType("service.case_assigned", "A case was given to another owner or team", ENTITY),
    EventType("service.case_replied", "An agent's public reply was sent to the customer", ENTITY),
    EventType(
        "service.case_customer_replied", "The customer wrote on a case (mail or portal)", ENTITY
    ),
    EventType("service.case_note_added", "An internal note was added to a case", ENTITY),
    EventType(
        "service.case_updated",
        "A case's kind, subject, category, product, priority or severity changed",
        ENTITY,
    ),
    EventType(
        "service.case_linked", "Two cases were linked (kind: related, duplicate ...)", ENTITY
    ),
    EventType("service.case_merged", "A case was merged into another (merged_into_id)", ENTITY),
]
