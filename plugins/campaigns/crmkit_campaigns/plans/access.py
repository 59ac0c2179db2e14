"""Who may do what in the plans part.

Plans are not about parties, so everyone holding ``campaigns:plan.read`` sees every plan;
the actuals a plan shows count only the parties the reader may see.
"""

from __future__ import annotations

from crmkit import Permission

PLAN_READ = "campaigns:plan.read"
PLAN_WRITE = "campaigns:plan.write"

PERMISSIONS: list[Permission] = [
    Permission(
        PLAN_READ,
        "See marketing plans, their targets and actuals",
        ("admin", "manager", "marketing", "read-only"),
    ),
    Permission(PLAN_WRITE, "Create and change marketing plans", ("admin", "manager", "marketing")),
]
