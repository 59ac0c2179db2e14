"""The portal part of ``crmkit demo``: customers' ratings of resolved cases.

About half of the resolved and closed cases are rated, mostly well, a few
poorly, some with a comment; each rating is a ``feedback`` event on its case and
on the party's timeline, as :func:`crmkit_service.portal.ratings.rate_case` writes it.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, insert, select

from crmkit import interaction_table
from crmkit_service.cases.model import case_number
from crmkit_service.cases.service import DIRECTIONS, LABELS, REF_KIND, SOURCE
from crmkit_service.cases.tables import case, case_event
from crmkit_service.portal.tables import case_rating

RATED_SHARE = 0.5
SCORES = (5, 5, 5, 5, 4, 4, 4, 3, 2, 1)
COMMENTS = {
    5: ("Fast and friendly, thank you!", "Fixed on the first visit.", ""),
    4: ("Good, but it took a few days.", ""),
    3: ("Solved in the end, after I asked twice.", ""),
    2: ("I had to explain the problem three times.",),
    1: ("Nobody called back when promised.",),
}


def seed_ratings(conn: Connection, rng: random.Random, now: datetime) -> None:
    """Rate about half of the demo's resolved and closed cases, a few hours to days after resolution."""
    resolved = conn.execute(
        select(case.c.id, case.c.party_id, case.c.subject, case.c.status, case.c.resolved_at)
        .where(case.c.status.in_(("resolved", "closed")), case.c.resolved_at.is_not(None))
        .order_by(case.c.id)
    ).all()
    ratings: list[dict[str, Any]] = []
    events: list[dict[str, Any]] = []
    entries: list[dict[str, Any]] = []
    for row in resolved:
        if rng.random() >= RATED_SHARE:
            continue
        score = rng.choice(SCORES)
        comment = rng.choice(COMMENTS[score])
        when = min(now, row.resolved_at + timedelta(hours=rng.randrange(2, 96)))
        ratings.append(
            {
                "case_id": row.id,
                "resolved_at": row.resolved_at,
                "score": score,
                "comment": comment,
                "created_at": when,
            }
        )
        events.append(
            {
                "case_id": row.id,
                "kind": "feedback",
                "public": False,
                "body": comment or None,
                "data": {"score": score},
                "author_id": None,
                "created_at": when,
            }
        )
        entries.append(
            {
                "party_id": row.party_id,
                "channel": "case",
                "direction": DIRECTIONS["feedback"],
                "occurred_at": when,
                "subject": f"{case_number(row.id)} {LABELS['feedback']}: {row.subject}",
                "summary": f"Rated {score} of 5" + (f": {comment}" if comment else ""),
                "outcome": row.status,
                "owner_id": None,
                "source": SOURCE,
                "refs": [{"kind": REF_KIND, "id": str(row.id)}],
                "custom": {},
                "created_at": when,
            }
        )
    if ratings:
        conn.execute(insert(case_rating), ratings)
        conn.execute(insert(case_event), events)
        conn.execute(insert(interaction_table), entries)
