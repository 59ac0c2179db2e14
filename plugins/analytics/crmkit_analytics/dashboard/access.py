"""Who may see the dashboard: ``analytics:dashboard.read``, granted to admins and managers.

Holding it shows the page; which figures it shows is decided by the record rules in
:mod:`crmkit_analytics.dashboard.scope` (a manager the territories and team they look after,
a sales user given the permission their own figures, an admin everything).
"""

from __future__ import annotations

from crmkit import Permission

DASHBOARD_READ = "analytics:dashboard.read"

PERMISSIONS: list[Permission] = [
    Permission(
        DASHBOARD_READ,
        "See the helicopter-view dashboard (figures of the records one may see)",
        ("admin", "manager"),
    ),
]
