"""Who may see cross-sell suggestions."""

from __future__ import annotations

from crmkit import Permission

READ = "analytics:suggestion.read"

PERMISSIONS: list[Permission] = [
    Permission(
        READ,
        "See suggested next products of the parties one sees",
        ("admin", "manager", "sales", "service", "read-only"),
    ),
]
