"""The permissions of SLAs."""

from __future__ import annotations

from crmkit import Permission

READ = "service:sla.read"
ADMIN = "service:sla.admin"

PERMISSIONS = [
    Permission(
        READ,
        "See SLA clocks, the work list by due time, compliance, calendars and policies",
        ("admin", "manager", "service", "read-only"),
    ),
    Permission(ADMIN, "Manage business-hour calendars and SLA policies", ("admin", "manager")),
]
