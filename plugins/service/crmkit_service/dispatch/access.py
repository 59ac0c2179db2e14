"""Who may see, send and follow visits, and who keeps the list of technicians.

A dispatch is as visible as its party (the rule of cases); technicians and
partners are staff records, seen by whoever may see dispatches.
"""

from __future__ import annotations

from crmkit import Permission

DISPATCH_READ = "service:dispatch.read"
DISPATCH_WRITE = "service:dispatch.write"
TECHNICIAN_WRITE = "service:technician.write"

PERMISSIONS = [
    Permission(
        DISPATCH_READ,
        "See visits to customers' sites, technicians and partners",
        ("admin", "manager", "service", "read-only"),
    ),
    Permission(
        DISPATCH_WRITE,
        "Request, assign and report visits to customers' sites",
        ("admin", "manager", "service"),
    ),
    Permission(TECHNICIAN_WRITE, "Keep the list of technicians and partners", ("admin", "manager")),
]
