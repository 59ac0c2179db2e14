"""Who may do what in the events part.

Events are staff records every holder of ``campaigns:event.read`` sees; a
registration is as visible as its party (``crmkit.seen_party_ids``). Seat counts
are public numbers and count everyone.
"""

from __future__ import annotations

from crmkit import Permission

EVENT_READ = "campaigns:event.read"
EVENT_WRITE = "campaigns:event.write"
EVENT_CHECKIN = "campaigns:event.checkin"

PERMISSIONS = [
    Permission(
        EVENT_READ,
        "See events, their sessions and the registrations of parties one sees",
        ("admin", "manager", "marketing", "sales", "service", "read-only"),
    ),
    Permission(
        EVENT_WRITE,
        "Create and change events and sessions, and create follow-up leads of attendees",
        ("admin", "manager", "marketing"),
    ),
    Permission(
        EVENT_CHECKIN,
        "Check registrants in at an event",
        ("admin", "manager", "marketing", "sales", "service"),
    ),
]
