"""Who may do what in the accounts part: connecting pages is an admin's."""

from __future__ import annotations

from crmkit import Permission

MANAGE_ACCOUNTS = "social:manage_accounts"

PERMISSIONS = [
    Permission(
        MANAGE_ACCOUNTS,
        "Connect, list and deactivate Facebook Pages and Instagram accounts",
        ("admin",),
    ),
]
