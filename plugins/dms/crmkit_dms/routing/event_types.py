"""The events the routing part emits.

Payloads carry ids, states and dates (``assignment_id``, ``party_id``, ``partner_id``,
``state``, ``attempt``), never a person's data.
"""

from __future__ import annotations

from crmkit import EventType

ASSIGNMENT = "dms.assignment"

EVENT_TYPES = [
    EventType(
        "dms.lead_routed",
        "A lead was offered to a partner, or put in the fallback queue (partner_id null)",
        ASSIGNMENT,
    ),
    EventType("dms.lead_accepted", "A partner accepted a lead offered to it", ASSIGNMENT),
    EventType("dms.lead_declined", "A partner declined a lead offered to it", ASSIGNMENT),
    EventType("dms.lead_expired", "A partner let its deadline to accept a lead pass", ASSIGNMENT),
    EventType(
        "dms.lead_outcome",
        "A partner reported what came of a lead: contacted, appointment, sold or lost",
        ASSIGNMENT,
    ),
]
