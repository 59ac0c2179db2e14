"""Who may do what in the vehicles part."""

from __future__ import annotations

from crmkit import Permission

READ = "dms:vehicle.read"
WRITE = "dms:vehicle.write"

PERMISSIONS: list[Permission] = [
    Permission(
        READ,
        "See vehicles, their owners and service history",
        ("admin", "manager", "sales", "service", "read-only"),
    ),
    Permission(
        WRITE,
        "Record vehicles, owners and repair orders",
        ("admin", "manager", "service"),
    ),
]
