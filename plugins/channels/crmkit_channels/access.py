"""The plugin's permissions over its message log, and which parties' messages an actor sees.

Reading the log needs what reading timelines needs in the kernel: the log holds
personal correspondence (subjects, texts), so ``marketing`` is not given it.
A party's messages are shown only to whoever may see the party.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Connection, and_, or_

from crmkit import Actor, NotFound, Party, Permission, get_party, is_allowed, party_table, visible

MESSAGE_READ = Permission(
    "channels:message.read",
    "See the emails and text messages sent to parties, with their delivery states",
    ("admin", "manager", "sales", "service", "read-only"),
)
MESSAGE_RESEND = Permission(
    "channels:message.resend",
    "Send a failed message, or one whose fate is unknown, again",
    ("admin", "manager", "sales", "service"),
)
PERMISSIONS = [MESSAGE_READ, MESSAGE_RESEND]
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


def seen_party(host: Any, conn: Connection, actor: Actor, party_id: int) -> Party:
    """The party, if the actor may see it; else NotFound, which does not tell whether it exists."""
    try:
        party = get_party(conn, party_id)
    except NotFound:
        party = None
    if party is None or not is_allowed(host, actor, "core:party.read", party, conn=conn):
        raise NotFound(f"party {party_id} does not exist")
    return party
