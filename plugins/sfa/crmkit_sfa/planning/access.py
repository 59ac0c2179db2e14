"""Who may see and set targets and forecasts."""

from __future__ import annotations

from crmkit import Permission

READ = "sfa:planning.read"
EVERY_SCOPE = "sfa:planning.all"
WRITE = "sfa:target.write"

PERMISSIONS = [
    Permission(
        READ, "See your own targets and forecast", ("admin", "manager", "sales", "read-only")
    ),
    Permission(EVERY_SCOPE, "See everybody's targets and forecasts", ("admin", "manager")),
    Permission(WRITE, "Set sales targets", ("admin", "manager")),
]
