"""Who may see and work on cases: a case is seen exactly by whoever may see its party.

The plugin's own permissions say what a role may do with cases at all; which cases
is the kernel's rule for parties (``core:party.read``), so a case never shows a
party its reader may not see. A party the actor may not see does not exist for them.

Every part keeps this rule for its records about a party (clocks, assets, visits, files)
through the kernel's ``seen_party`` and ``seen_parties``.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection

from crmkit import Actor, NotFound, Permission, seen_party

CASE_READ = "service:case.read"
CASE_WRITE = "service:case.write"
CATEGORY_ADMIN = "service:category.admin"
TRENDS_READ = "service:trends.read"

PERMISSIONS = [
    Permission(
        CASE_READ,
        "See service cases and their events",
        ("admin", "manager", "service", "sales", "read-only"),
    ),
    Permission(
        CASE_WRITE,
        "Open, answer, assign, resolve, link and merge service cases",
        ("admin", "manager", "service"),
    ),
    Permission(CATEGORY_ADMIN, "Define the tree of case categories", ("admin", "manager")),
    Permission(
        TRENDS_READ,
        "See case trends by category, product and root cause",
        ("admin", "manager", "service", "read-only"),
    ),
]


def hidden_unless_seen(host: Any, conn: Connection, actor: Actor, party_id: int, what: str) -> None:
    """NotFound naming the record (``what``: "case 12"), never its party, unless ``actor`` sees
    the party the record is about."""
    try:
        seen_party(host, conn, actor, party_id)
    except NotFound:
        raise NotFound(f"{what} does not exist") from None
