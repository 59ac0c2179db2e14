"""Breaches: recorded once per clock and due time, with the penalty the policy names, and the
people a breach is escalated to (owner, team lead, manager: the kernel users' ``manager_id``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, insert, select, update

from crmkit import Transaction, user_table
from crmkit_service.sla.tables import breach, clock, policy

if TYPE_CHECKING:
    from crmkit_service.sla.clocks import Clock

METRIC_NAMES = {"first_response": "first response", "resolution": "resolution"}


def record_breach(tx: Transaction, late: Clock, now: datetime) -> int | None:
    """Record that ``late`` missed its target; None when this breach was recorded already."""
    claimed = tx.conn.execute(
        update(clock)
        .where(clock.c.id == late.id, clock.c.breached_at.is_(None))
        .values(breached_at=now)
    ).rowcount
    if claimed != 1:
        return None
    found = tx.conn.execute(
        select(policy.c.name, policy.c.penalty).where(policy.c.id == late.policy_id)
    ).first()
    due_at = late.due_at or now
    breach_id: int = tx.conn.execute(
        insert(breach)
        .values(
            clock_id=late.id,
            case_id=late.case_id,
            party_id=late.party_id,
            metric=late.metric,
            team=late.team,
            owner_id=late.owner_id,
            policy_name=None if found is None else found.name,
            penalty=None if found is None else found.penalty,
            due_at=due_at,
            breached_at=now,
            escalations=[],
        )
        .returning(breach.c.id)
    ).scalar_one()
    tx.emit(
        "service.sla_breached",
        "service.case",
        late.case_id,
        {
            "case_id": late.case_id,
            "breach_id": breach_id,
            "metric": late.metric,
            "team": late.team,
            "owner_id": late.owner_id,
            "due_at": due_at.isoformat(),
            "penalty": None if found is None else found.penalty,
        },
    )
    return breach_id


def escalation_chain(
    conn: Connection,
    owner_id: int | None,
    team: str | None,
    steps: Sequence[str],
    *,
    seeing: Callable[[list[int]], list[int]],
) -> list[tuple[str, list[int]]]:
    """The people told at each level of escalation: (step, active user ids), steps naming nobody left out.

    The team lead is the owner's manager, the manager that lead's manager. For a case nobody
    owns, the team leads are the team's users of role manager who report to someone.
    ``seeing`` keeps those who may see the case's party: a step left with nobody is skipped,
    so the case goes to the next person up who can open it.
    """
    owner = _active(conn, [owner_id] if owner_id is not None else [])
    leads = _managers_of(conn, [owner_id]) if owner_id is not None else _leads_of(conn, team)
    people = {"owner": owner, "team_lead": leads, "manager": _managers_of(conn, leads)}
    chain: list[tuple[str, list[int]]] = []
    told: set[int] = set()
    for step in steps:
        # One person holding two roles (a lead managing the team themselves) is told once.
        fresh = [user_id for user_id in seeing(people[step]) if user_id not in told]
        if fresh:
            chain.append((step, fresh))
            told.update(fresh)
    return chain


def _active(conn: Connection, user_ids: Sequence[int]) -> list[int]:
    if not user_ids:
        return []
    query = select(user_table.c.id).where(user_table.c.id.in_(user_ids), user_table.c.active)
    return sorted(conn.execute(query).scalars())


def _managers_of(conn: Connection, user_ids: Sequence[int]) -> list[int]:
    if not user_ids:
        return []
    query = select(user_table.c.manager_id).where(
        user_table.c.id.in_(user_ids), user_table.c.manager_id.is_not(None)
    )
    return _active(conn, list(set(conn.execute(query).scalars())))


def _leads_of(conn: Connection, team: str | None) -> list[int]:
    if team is None:
        return []
    query = select(user_table.c.id).where(
        user_table.c.team == team,
        user_table.c.role == "manager",
        user_table.c.manager_id.is_not(None),
        user_table.c.active,
    )
    return sorted(conn.execute(query).scalars())


def add_escalation(conn: Connection, clock_id: int, entry: dict[str, Any]) -> None:
    """Note on the clock's newest breach whom it went to at one level."""
    newest = conn.execute(
        select(breach.c.id, breach.c.escalations)
        .where(breach.c.clock_id == clock_id)
        .order_by(breach.c.id.desc())
        .limit(1)
    ).first()
    if newest is not None:
        conn.execute(
            update(breach)
            .where(breach.c.id == newest.id)
            .values(escalations=[*newest.escalations, entry])
        )
