"""Who may do what in the results part.

A campaign's results count only the members and conversions of parties the reader
sees (the kernel's rule for parties); its costs are not about a party and are seen
by whoever may read results.
"""

from __future__ import annotations

from crmkit import Permission

RESULTS_READ = "campaigns:results.read"
COST_WRITE = "campaigns:cost.write"

PERMISSIONS = [
    Permission(
        RESULTS_READ,
        "See campaign results: the funnel, costs, attributed revenue and ROI",
        ("admin", "manager", "marketing", "sales", "service", "read-only"),
    ),
    Permission(COST_WRITE, "Enter and remove campaign costs", ("admin", "manager", "marketing")),
]
