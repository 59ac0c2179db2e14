"""Users for tests: a row of the kernel's user table, and the actor acting for it."""

from __future__ import annotations

from sqlalchemy import insert

from crmkit.app import Crm
from crmkit.core.actors import Actor
from crmkit.core.tables import user as user_table
from crmkit.core.tables import utcnow


def add_user(
    crm: Crm,
    username: str,
    role: str,
    *,
    team: str | None = None,
    manager_id: int | None = None,
    territories: tuple[str, ...] = (),
) -> Actor:
    """An active user ``username`` (``username@example.com``) of ``role``, returned as the actor
    acting for that user: what a plugin's record rules are tested with."""
    now = utcnow()
    with crm.transaction() as tx:
        user_id = tx.conn.execute(
            insert(user_table)
            .values(
                username=username,
                display_name=username.title(),
                email=f"{username}@example.com",
                role=role,
                manager_id=manager_id,
                team=team,
                territories=list(territories),
                active=True,
                version=1,
                created_at=now,
                updated_at=now,
            )
            .returning(user_table.c.id)
        ).scalar_one()
    return Actor(user_id=user_id, username=username, role=role, team=team, territories=territories)
