"""Who may see forecasts against plans: ``analytics:forecast.read``.

Which figures a holder sees follows the dashboard's record rules
(:mod:`crmkit_analytics.dashboard.scope`): an admin everything, a manager their territories
and team, a sales user their own.
"""

from __future__ import annotations

from crmkit import Permission

READ = "analytics:forecast.read"

PERMISSIONS: list[Permission] = [
    Permission(
        READ,
        "See sales and lead forecasts against targets and plans (of the records one may see)",
        ("admin", "manager", "sales"),
    ),
]
