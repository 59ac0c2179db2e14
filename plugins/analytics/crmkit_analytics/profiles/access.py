"""Who may see customer profiles."""

from __future__ import annotations

from crmkit import Permission

READ = "analytics:profile.read"

PERMISSIONS: list[Permission] = [
    Permission(
        READ,
        "See customers' RFM profiles and buying patterns",
        ("admin", "manager", "sales", "service", "marketing", "read-only"),
    ),
]
