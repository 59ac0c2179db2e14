"""Who may see a party's predicted value."""

from __future__ import annotations

from crmkit import Permission

VALUE_READ = "analytics:value.read"

PERMISSIONS: list[Permission] = [
    Permission(
        VALUE_READ,
        "See customers' predicted purchases, chance of still buying and lifetime value",
        ("admin", "manager", "sales", "service", "marketing", "read-only"),
    ),
]
