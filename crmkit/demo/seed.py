"""Filling a demo database once: the users through the kernel, the parties and histories in bulk.

The users are created with :func:`crmkit.core.users.create_user` like any user,
all with the password :data:`~crmkit.demo.data.DEMO_PASSWORD` (hashed once: argon2
is slow on purpose).
Thousands of parties and their interactions are written with set-based Core
inserts in the same transaction, as a restore would: no per-row hooks run and
no per-row events are emitted, which keeps seeding to seconds.
"""

from __future__ import annotations

import time
from datetime import datetime

from attrs import frozen
from sqlalchemy import Connection, insert, select

from crmkit.app import Crm
from crmkit.core.auth import hash_password, store_password_hash
from crmkit.core.entities import Interaction, User
from crmkit.core.interactions import row_of
from crmkit.core.parties import contact_rows, party_row
from crmkit.core.tables import contact_point, interaction, party, user, utcnow
from crmkit.core.users import create_user
from crmkit.demo.data import ADMIN_USERNAME, DEMO_PASSWORD, USERS, Generator

DEFAULT_SEED = 2024


@frozen
class Seeded:
    """What one seeding run wrote."""

    users: int
    customers: int
    prospects: int
    interactions: int
    seconds: float


def is_seeded(conn: Connection) -> bool:
    """Whether the demo's data is there already (its admin exists)."""
    return (
        conn.execute(select(user.c.id).where(user.c.username == ADMIN_USERNAME)).first() is not None
    )


def seed(
    crm: Crm,
    *,
    customers: int,
    prospects: int,
    now: datetime | None = None,
    random_seed: int = DEFAULT_SEED,
) -> Seeded | None:
    """Write the demo data in one transaction, unless it is there already (then None)."""
    started = time.perf_counter()
    generator = Generator(random_seed, now or utcnow())
    with crm.transaction() as tx:
        if is_seeded(tx.conn):
            return None
        user_ids: dict[str, int] = {}
        hashed = hash_password(DEMO_PASSWORD)
        for demo in USERS:  # managers come before the people who report to them
            created = create_user(
                tx,
                User(
                    username=demo.username,
                    display_name=demo.display_name,
                    email=f"{demo.username}@demo-company.example",
                    role=demo.role,
                    team=demo.team,
                    territories=demo.territories,
                    manager_id=user_ids[demo.manager] if demo.manager else None,
                ),
            )
            assert created.id is not None
            store_password_hash(tx, created.id, hashed)
            user_ids[demo.username] = created.id
        plans = list(generator.parties(customers, prospects))
        for plan in plans:
            plan.entity.owner_id = user_ids[plan.owner]
        party_ids = tx.conn.scalars(
            insert(party).returning(party.c.id, sort_by_parameter_order=True),
            [
                {
                    **party_row(p.entity),
                    "version": p.entity.version,
                    "created_at": p.entity.created_at,
                    "updated_at": p.entity.updated_at,
                }
                for p in plans
            ],
        ).all()
        contacts = [
            row
            for pid, p in zip(party_ids, plans, strict=True)
            for row in contact_rows(pid, p.entity)
        ]
        if contacts:
            tx.conn.execute(insert(contact_point), contacts)
        history = [
            {
                **row_of(
                    Interaction(
                        party_id=pid,
                        channel=touch.channel,
                        direction=touch.direction,
                        occurred_at=touch.occurred_at,
                        subject=touch.subject,
                        summary=touch.summary,
                        outcome=touch.outcome,
                        owner_id=user_ids[touch.owner] if touch.owner else None,
                    )
                ),
                "created_at": touch.occurred_at,
            }
            for pid, p in zip(party_ids, plans, strict=True)
            for touch in p.history
        ]
        if history:
            tx.conn.execute(insert(interaction), history)
    return Seeded(
        users=len(USERS),
        customers=customers,
        prospects=prospects,
        interactions=len(history),
        seconds=time.perf_counter() - started,
    )
