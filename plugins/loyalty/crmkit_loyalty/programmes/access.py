"""Who may do what in the programmes part.

Programmes, rules, tiers and rewards are not about parties: whoever holds
``loyalty:programme.read`` sees them all. Changing a member's tier by hand is a change to a
member, so it also needs the member's party to be one the actor sees.
"""

from __future__ import annotations

from crmkit import Permission

PROGRAMME_READ = "loyalty:programme.read"
PROGRAMME_WRITE = "loyalty:programme.write"

PERMISSIONS: list[Permission] = [
    Permission(
        PROGRAMME_READ,
        "See loyalty programmes, their rules, tiers and rewards",
        ("admin", "manager", "marketing", "sales", "service", "read-only"),
    ),
    Permission(
        PROGRAMME_WRITE,
        "Define loyalty programmes, rules, tiers and rewards; change a member's tier by hand",
        ("admin", "manager", "marketing"),
    ),
]
