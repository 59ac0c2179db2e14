"""The events the events part emits, for webhooks and other plugins.

Payloads carry ids and statuses (``event_id``, ``status``), never what a registrant typed.
"""

from __future__ import annotations

from crmkit import EventType

EVENT = "campaigns.event"
REGISTRATION = "campaigns.event_registration"

EVENT_TYPES = [
    EventType(
        "campaigns.event_created", "An event (trade fair, webinar, launch) was created", EVENT
    ),
    EventType("campaigns.event_updated", "An event's details or status changed", EVENT),
    EventType(
        "campaigns.registration_received",
        "Someone registered for an event; pending until they confirm by the emailed link",
        REGISTRATION,
    ),
    EventType(
        "campaigns.registration_confirmed",
        "A registration holds a seat (confirmed by the registrant, or promoted from the waiting list)",
        REGISTRATION,
    ),
    EventType(
        "campaigns.registration_waitlisted",
        "A confirmed registration found the event full and waits for a seat",
        REGISTRATION,
    ),
    EventType("campaigns.registration_cancelled", "A registration was cancelled", REGISTRATION),
    EventType(
        "campaigns.attendee_checked_in", "A registrant was checked in at the event", REGISTRATION
    ),
]
