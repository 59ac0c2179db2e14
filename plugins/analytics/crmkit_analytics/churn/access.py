"""Who may see churn risk: account owners (their own customers), managers, admins."""

from __future__ import annotations

from crmkit import Permission

READ = "analytics:churn.read"

PERMISSIONS: list[Permission] = [
    Permission(
        READ,
        "See customers at risk of leaving and why (owners their own customers)",
        ("admin", "manager", "sales"),
    ),
]
