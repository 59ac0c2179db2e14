"""Who may use the agent console and the telephony lookup."""

from __future__ import annotations

from crmkit import Permission

HELPDESK_READ = "service:helpdesk.read"

PERMISSIONS = [
    Permission(
        HELPDESK_READ,
        "Look callers up by phone number or email and see their 360 view",
        ("admin", "manager", "service"),
    ),
]
