"""Which parties an actor sees, for plugins keeping the record rules on their rows about parties.

A plugin's record about a party (a case, a message, a campaign member) is seen exactly
by whoever may see its party: ``core:party.read`` on that party, and every plugin's
``permission_filter`` for its role. These functions say so once, for one party and as a
condition for set-based queries.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Connection, and_, or_, select, true

from crmkit.core.actors import Actor
from crmkit.core.entities import Party
from crmkit.core.errors import NotFound
from crmkit.core.parties import get_party
from crmkit.core.permissions import is_allowed, visible
from crmkit.core.tables import party as party_table

PARTY_ROLES = ("prospect", "customer")


def seen_parties(host: Any, actor: Actor) -> ColumnElement[bool]:
    """The condition on ``party_table`` (joined by the caller) keeping the parties ``actor`` sees.

    ``host`` is ``crm.host`` or ``tx.hooks``.
    """
    return or_(
        *(
            and_(party_table.c.role == role, visible(host, actor, role, party_table))
            for role in PARTY_ROLES
        )
    )


def sees_every_party(host: Any, actor: Actor) -> bool:
    """Whether no rule hides a prospect or a customer from ``actor`` (the system, an admin),
    so that a query may leave :func:`seen_parties` out."""
    return all(
        visible(host, actor, role, party_table).compare(and_(true())) for role in PARTY_ROLES
    )


def seen_party_ids(host: Any, actor: Actor) -> Any:
    """A subquery of the ids of the parties ``actor`` sees, for ``party_id.in_(...)``."""
    return select(party_table.c.id).where(seen_parties(host, actor))


def seen_party(host: Any, conn: Connection, actor: Actor, party_id: int) -> Party:
    """The party, if ``actor`` may see it; else NotFound, which does not tell whether it exists."""
    try:
        party = get_party(conn, party_id)
    except NotFound:
        party = None
    if party is None or not is_allowed(host, actor, "core:party.read", party, conn=conn):
        raise NotFound(f"party {party_id} does not exist")
    return party
