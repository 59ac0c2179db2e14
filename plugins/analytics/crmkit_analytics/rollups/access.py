"""Who may see the rollups' sources and rebuild them: ``analytics:rollups.admin`` (admins)."""

from __future__ import annotations

from crmkit import Permission

ROLLUPS_ADMIN = "analytics:rollups.admin"

PERMISSIONS: list[Permission] = [
    Permission(
        ROLLUPS_ADMIN,
        "See the analytics sources and rebuild their rollups from the plugins' tables",
        ("admin",),
    ),
]
