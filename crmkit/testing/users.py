"""Users for tests: a row of the kernel's user table, and the actor acting for it."""

from __future__ import annotations

from attrs import frozen
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


@frozen
class Staff:
    """The users most plugin tests need: an admin (``ada``), a marketer who sees every
    customer (``mia``), a manager of territory DE-10 (``max``, team north), a sales rep of
    FR-75 (``otto``: an outsider to a party in Berlin) and a service agent (``sam``)."""

    admin: Actor
    marketer: Actor
    manager: Actor
    outsider: Actor
    agent: Actor


def add_staff(crm: Crm) -> Staff:
    """:class:`Staff` added to ``crm``."""
    return Staff(
        admin=add_user(crm, "ada", "admin", team="it"),
        marketer=add_user(crm, "mia", "marketing", team="marketing"),
        manager=add_user(crm, "max", "manager", team="north", territories=("DE-10",)),
        outsider=add_user(crm, "otto", "sales", team="west", territories=("FR-75",)),
        agent=add_user(crm, "sam", "service", team="service"),
    )
