"""The job that watches SLA clocks: a warning to the owner before breach, escalation on breach.

Each clock is warned about once, breached once per due time and escalated once per level:
every step claims its clock with an UPDATE that only one run can make, so running the job
twice (or on two workers at once) tells nobody twice.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, select, update

from crmkit import (
    Actor,
    Crm,
    Job,
    Transaction,
    get_party,
    is_allowed,
    notify,
    user_table,
    utcnow,
)
from crmkit_service.cases.model import case_number
from crmkit_service.cases.pages import case_url
from crmkit_service.cases.tables import case
from crmkit_service.sla.breaches import (
    METRIC_NAMES,
    add_escalation,
    escalation_chain,
    record_breach,
)
from crmkit_service.sla.clocks import Clock, clock_from_row
from crmkit_service.sla.policies import escalation_of
from crmkit_service.sla.settings import ESCALATION_STEPS, SlaSettings
from crmkit_service.sla.tables import clock

BATCH = 200


def watch_clocks(app: Crm) -> None:
    """Warn, breach and escalate every clock whose time has come, a batch per transaction."""
    settings: SlaSettings = app.settings_of["service"].sla
    for step in (_warn, _breach, _escalate):
        while True:
            with app.transaction() as tx:
                done = step(tx, settings, utcnow())
            if done < BATCH:
                break


def _counting() -> Any:
    return [clock.c.stopped_at.is_(None), clock.c.running_since.is_not(None)]


def _warn(tx: Transaction, settings: SlaSettings, now: datetime) -> int:
    due = tx.conn.execute(
        select(clock)
        .where(*_counting(), clock.c.warned_at.is_(None), clock.c.warn_at <= now)
        .order_by(clock.c.warn_at)
        .limit(BATCH)
    ).all()
    for row in due:
        claimed = tx.conn.execute(
            update(clock)
            .where(clock.c.id == row.id, clock.c.warned_at.is_(None))
            .values(warned_at=now)
        ).rowcount
        if claimed != 1:
            continue
        found = clock_from_row(row)
        chain = escalation_chain(
            tx.conn,
            found.owner_id,
            found.team,
            escalation_of(tx.conn, found, settings),
            seeing=_seeing(tx, found.case_id),
        )
        recipients = chain[0][1] if chain else []
        for user_id in recipients:
            notify(
                tx,
                user_id,
                f"Case {_number(found)}: {METRIC_NAMES[found.metric]} due soon",
                body=f"{found.warning_percent} % of the time is used; due at {_when(found.due_at)}.",
                link=case_url(found.case_id),
                kind="warning",
                source="service",
            )
        tx.emit(
            "service.sla_warning",
            "service.case",
            found.case_id,
            {
                "case_id": found.case_id,
                "metric": found.metric,
                "due_at": _when(found.due_at),
                "user_ids": recipients,
            },
        )
    return len(due)


def _breach(tx: Transaction, settings: SlaSettings, now: datetime) -> int:
    due = tx.conn.execute(
        select(clock)
        .where(*_counting(), clock.c.breached_at.is_(None), clock.c.due_at <= now)
        .order_by(clock.c.due_at)
        .limit(BATCH)
    ).all()
    for row in due:
        found = clock_from_row(row)
        if record_breach(tx, found, now) is not None:
            _escalate_one(tx, found, settings, now)
    return len(due)


def _escalate(tx: Transaction, settings: SlaSettings, now: datetime) -> int:
    step_back = now - timedelta(minutes=settings.escalation_step_minutes)
    due = tx.conn.execute(
        select(clock)
        .where(
            clock.c.stopped_at.is_(None),
            clock.c.breached_at.is_not(None),
            clock.c.escalation_level > 0,
            clock.c.escalation_level < len(ESCALATION_STEPS),
            or_(clock.c.escalated_at.is_(None), clock.c.escalated_at <= step_back),
        )
        .order_by(clock.c.escalated_at)
        .limit(BATCH)
    ).all()
    for row in due:
        _escalate_one(tx, clock_from_row(row), settings, now)
    return len(due)


def _escalate_one(tx: Transaction, late: Clock, settings: SlaSettings, now: datetime) -> None:
    """Tell the next level of the chain, if there is one."""
    chain = escalation_chain(
        tx.conn,
        late.owner_id,
        late.team,
        escalation_of(tx.conn, late, settings),
        seeing=_seeing(tx, late.case_id),
    )
    if late.escalation_level >= len(chain):
        # Nobody left to tell (steps naming nobody are skipped): look again after a step,
        # in case the owner or the team changes, without holding up the clocks behind it.
        tx.conn.execute(update(clock).where(clock.c.id == late.id).values(escalated_at=now))
        return
    claimed = tx.conn.execute(
        update(clock)
        .where(clock.c.id == late.id, clock.c.escalation_level == late.escalation_level)
        .values(escalation_level=late.escalation_level + 1, escalated_at=now)
    ).rowcount
    if claimed != 1:
        return
    step, user_ids = chain[late.escalation_level]
    for user_id in user_ids:
        notify(
            tx,
            user_id,
            f"Case {_number(late)}: {METRIC_NAMES[late.metric]} target missed",
            body=f"Due at {_when(late.due_at)}; escalated to you as {step.replace('_', ' ')}.",
            link=case_url(late.case_id),
            kind="escalation",
            source="service",
        )
    add_escalation(
        tx.conn,
        late.id,
        {
            "level": late.escalation_level + 1,
            "step": step,
            "user_ids": user_ids,
            "at": now.isoformat(),
        },
    )
    tx.emit(
        "service.sla_escalated",
        "service.case",
        late.case_id,
        {
            "case_id": late.case_id,
            "metric": late.metric,
            "level": late.escalation_level + 1,
            "step": step,
            "user_ids": user_ids,
        },
    )


def _seeing(tx: Transaction, case_id: int) -> Callable[[list[int]], list[int]]:
    """Keeps the users who may see the case's party: a notice whose link they could not
    open tells them nothing."""
    party_id = tx.conn.execute(select(case.c.party_id).where(case.c.id == case_id)).scalar_one()
    party = get_party(tx.conn, party_id)

    def keep(user_ids: list[int]) -> list[int]:
        if not user_ids:
            return []
        rows = tx.conn.execute(select(user_table).where(user_table.c.id.in_(user_ids))).all()
        return sorted(
            row.id
            for row in rows
            if is_allowed(tx.hooks, _actor(row), "core:party.read", party, conn=tx.conn)
        )

    return keep


def _actor(row: Any) -> Actor:
    return Actor(
        user_id=row.id,
        username=row.username,
        role=row.role,
        team=row.team,
        territories=tuple(row.territories),
    )


def _number(found: Clock) -> str:
    return case_number(found.case_id)


def _when(moment: datetime | None) -> str:
    return "" if moment is None else moment.strftime("%Y-%m-%d %H:%M UTC")


JOBS = [
    Job(
        "service.sla_watch",
        watch_clocks,
        every=timedelta(minutes=5),
        description="Warn owners before an SLA target is missed and escalate missed targets",
    )
]
