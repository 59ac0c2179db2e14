"""Filling a demo database once: the users through the kernel, the parties and histories in bulk.

The users are created with :func:`crmkit.core.users.create_user` like any user,
all with the password :data:`~crmkit.demo.data.DEMO_PASSWORD` (hashed once: argon2
is slow on purpose).
Thousands of parties and their interactions are written with set-based Core
inserts in the same transaction, as a restore would: no per-row hooks run and
no per-row events are emitted, which keeps seeding to seconds. The prospects
carry what the intake pipeline would have made of them (:mod:`crmkit.demo.intake`),
a few are near duplicates waiting for review (:mod:`crmkit.demo.duplicates`), and
every plugin fills its own tables through ``seed_demo`` in the same transaction.
Once all of it is stored, the kernel's escalation job escalates the prospects
whose first contact is overdue, as it would on a running installation.
"""

from __future__ import annotations

import random
import time
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from attrs import frozen
from sqlalchemy import Connection, insert, select

from crmkit.app import Crm
from crmkit.core.auth import hash_password, store_password_hash
from crmkit.core.db import Transaction
from crmkit.core.entities import Interaction, Prospect, User
from crmkit.core.interactions import row_of
from crmkit.core.parties import contact_rows, party_row
from crmkit.core.perishability import escalate_missed_deadlines
from crmkit.core.reindex import INDEXES
from crmkit.core.tables import (
    contact_point,
    interaction,
    match_review,
    notification,
    party,
    task,
    user,
    utcnow,
)
from crmkit.core.users import create_user
from crmkit.demo import duplicates, work
from crmkit.demo.data import ADMIN_USERNAME, DEMO_PASSWORD, USERS, DemoParty, Generator
from crmkit.demo.intake import NOT_TAKEN_IN, intake_columns

DEFAULT_SEED = 2024


@frozen
class Seeded:
    """What one seeding run wrote."""

    users: int
    customers: int
    prospects: int
    interactions: int
    seconds: float
    reviews: int = 0
    """Open match reviews of near-duplicate prospects."""
    escalated: int = 0
    """Prospects escalated for a missed first contact."""


def is_seeded(conn: Connection) -> bool:
    """Whether the demo's data is there already (its admin exists)."""
    return (
        conn.execute(select(user.c.id).where(user.c.username == ADMIN_USERNAME)).first() is not None
    )


def _users(tx: Transaction) -> dict[str, int]:
    """Create the demo users; their ids by username."""
    user_ids: dict[str, int] = {}
    # One hash for every demo user (argon2 is slow on purpose), checked against the admin's name.
    hashed = hash_password(DEMO_PASSWORD, ADMIN_USERNAME)
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
    return user_ids


def _party_rows(
    crm: Crm, tx: Transaction, plans: Sequence[DemoParty], now: datetime
) -> list[dict[str, Any]]:
    rows = []
    for plan in plans:
        row = {
            **NOT_TAKEN_IN,
            **party_row(plan.entity),
            "version": plan.entity.version,
            "created_at": plan.entity.created_at,
            "updated_at": plan.entity.updated_at,
        }
        if isinstance(plan.entity, Prospect):
            row |= intake_columns(
                tx,
                plan.entity,
                plan.history,
                region=crm.settings.default_region,
                settings=crm.settings.intake,
                now=now,
            )
        rows.append(row)
    return rows


def _store_parties(
    crm: Crm, tx: Transaction, plans: Sequence[DemoParty], now: datetime
) -> list[int]:
    """Insert the parties with their contact points, search terms and match keys; their ids."""
    party_ids: list[int] = list(
        tx.conn.scalars(
            insert(party).returning(party.c.id, sort_by_parameter_order=True),
            _party_rows(crm, tx, plans, now),
        ).all()
    )
    pairs = list(zip(party_ids, plans, strict=True))
    # The derived indexes are those reindex rebuilds, so that a new one is seeded too.
    for table, rows_of in ((contact_point, contact_rows), *INDEXES):
        rows = [row for pid, p in pairs for row in rows_of(pid, p.entity)]
        if rows:
            tx.conn.execute(insert(table), rows)
    return party_ids


def _store_history(
    tx: Transaction, party_ids: Sequence[int], plans: Sequence[DemoParty], user_ids: dict[str, int]
) -> int:
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
    return len(history)


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
    now = now or utcnow()
    generator = Generator(random_seed, now)
    with crm.transaction() as tx:
        if is_seeded(tx.conn):
            return None
        user_ids = _users(tx)
        copies = duplicates.how_many(prospects)
        plans = list(generator.parties(customers, prospects - copies))
        near = duplicates.near_duplicates(generator, plans[customers:], copies)
        plans += [copy for _, copy in near]
        for plan in plans:
            plan.entity.owner_id = user_ids[plan.owner]
        party_ids = _store_parties(crm, tx, plans, now)
        interactions = _store_history(tx, party_ids, plans, user_ids)
        first_copy = len(plans) - len(near)
        reviews = duplicates.review_rows(
            tx,
            [
                (party_ids[first_copy + k], party_ids[customers + index], copy)
                for k, (index, copy) in enumerate(near)
            ],
            crm.settings.intake,
        )
        parties_of: dict[str, list[int]] = defaultdict(list)
        for pid, plan in zip(party_ids, plans, strict=True):
            parties_of[plan.owner].append(pid)
        for table, rows in (
            (match_review, reviews),
            (task, list(work.task_rows(generator, user_ids, parties_of))),
            (notification, list(work.notification_rows(generator, user_ids, parties_of))),
        ):
            if rows:
                tx.conn.execute(insert(table), rows)
        # A stream of its own: a plugin's data does not shift when the kernel draws more.
        plugin_rng = random.Random(f"{random_seed}:plugins")
        tx.hooks.call("seed_demo", app=crm, conn=tx.conn, rng=plugin_rng, now=now)
    escalated = escalate_missed_deadlines(crm, now)
    return Seeded(
        users=len(USERS),
        customers=customers,
        prospects=prospects,
        interactions=interactions,
        seconds=time.perf_counter() - started,
        reviews=len(reviews),
        escalated=escalated,
    )
