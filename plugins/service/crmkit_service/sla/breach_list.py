"""The breaches of a period: which targets were missed, by whom, and the penalty each carries."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from attrs import frozen
from sqlalchemy import Connection, select

from crmkit import Actor
from crmkit_service.cases.model import case_number
from crmkit_service.sla.periods import Period
from crmkit_service.sla.seen import only_seen
from crmkit_service.sla.tables import breach

MAX_BREACHES = 500


@frozen
class Breach:
    """A missed target: the case, the target, who owned it, the penalty the policy names."""

    id: int
    case_id: int
    number: str
    party_id: int
    metric: str
    team: str | None
    owner_id: int | None
    policy_name: str | None
    penalty: str | None
    due_at: datetime
    breached_at: datetime
    escalations: list[dict[str, Any]]


def breaches(
    conn: Connection,
    host: Any,
    actor: Actor,
    period: Period,
    team: str | None = None,
    limit: int = 100,
) -> list[Breach]:
    """The breaches of ``period`` about parties ``actor`` sees, the newest first."""
    query = (
        select(breach)
        .where(breach.c.breached_at >= period.start, breach.c.breached_at < period.end)
        .order_by(breach.c.breached_at.desc(), breach.c.id.desc())
        .limit(min(max(limit, 1), MAX_BREACHES))
    )
    if team is not None:
        query = query.where(breach.c.team == team)
    rows = conn.execute(only_seen(query, breach.c.party_id, host, actor))
    return [
        Breach(
            id=row.id,
            case_id=row.case_id,
            number=case_number(row.case_id),
            party_id=row.party_id,
            metric=row.metric,
            team=row.team,
            owner_id=row.owner_id,
            policy_name=row.policy_name,
            penalty=row.penalty,
            due_at=row.due_at,
            breached_at=row.breached_at,
            escalations=list(row.escalations),
        )
        for row in rows
    ]
