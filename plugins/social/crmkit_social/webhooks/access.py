"""Who may do what in the webhooks part: the inbox of deliveries is an admin's."""

from __future__ import annotations

from crmkit import Permission

INBOX = "social:inbox"

PERMISSIONS = [
    Permission(
        INBOX,
        "See the inbox of Meta deliveries (received, processed, failed, refused) and retry them",
        ("admin",),
    ),
]
