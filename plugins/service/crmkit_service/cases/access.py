"""Who may see and work on cases: a case is seen exactly by whoever may see its party.

The plugin's own permissions say what a role may do with cases at all; which cases
is the kernel's rule for parties (``core:party.read``), so a case never shows a
party its reader may not see. A party the actor may not see does not exist for them.

Every part keeps this rule for its records about a party (clocks, assets, visits, files)
through the functions below.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Connection, and_, or_, select, true

from crmkit import Actor, NotFound, Party, Permission, get_party, is_allowed, party_table, visible

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
PARTY_ROLES = ("prospect", "customer")


def seen_parties(host: Any, actor: Actor) -> ColumnElement[bool]:
    """The condition on ``party_table`` (joined by the caller) keeping the parties ``actor`` sees."""
    return or_(
        *(
            and_(party_table.c.role == role, visible(host, actor, role, party_table))
            for role in PARTY_ROLES
        )
    )


def sees_every_party(host: Any, actor: Actor) -> bool:
    """Whether no rule hides a prospect or a customer from ``actor`` (the system, an admin), so
    that a query may skip :func:`seen_parties`."""
    return all(
        visible(host, actor, role, party_table).compare(and_(true())) for role in PARTY_ROLES
    )


def seen_party_ids(host: Any, actor: Actor) -> Any:
    """A subquery of the ids of the parties ``actor`` sees, for ``party_id.in_(...)``."""
    return select(party_table.c.id).where(seen_parties(host, actor))


def seen_party(host: Any, conn: Connection, actor: Actor, party_id: int) -> Party:
    """The party, if the actor may see it; else NotFound, which does not tell whether it exists."""
    try:
        party = get_party(conn, party_id)
    except NotFound:
        party = None
    if party is None or not is_allowed(host, actor, "core:party.read", party, conn=conn):
        raise NotFound(f"party {party_id} does not exist")
    return party


def hidden_unless_seen(host: Any, conn: Connection, actor: Actor, party_id: int, what: str) -> None:
    """NotFound naming the record (``what``: "case 12"), never its party, unless ``actor`` sees
    the party the record is about."""
    try:
        seen_party(host, conn, actor, party_id)
    except NotFound:
        raise NotFound(f"{what} does not exist") from None
