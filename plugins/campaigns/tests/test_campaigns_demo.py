"""The demo campaigns: one completed, one scheduled, one A/B test paused after its test."""

from __future__ import annotations

import random
from typing import Any

from crmkit_campaigns.campaigns import demo
from crmkit_campaigns.campaigns.tables import campaign, member
from sqlalchemy import func, select

from crmkit import Crm, utcnow


def test_the_demo_seeds_three_campaigns_without_queueing_any_email(
    crm: Crm, new_party: Any
) -> None:
    for i in range(60):
        new_party(emails=[f"p{i}@example.org"])

    with crm.transaction() as tx:
        demo.seed(crm, tx.conn, random.Random(7), utcnow())

    with crm.read() as conn:
        statuses = {
            name: status
            for name, status in conn.execute(select(campaign.c.name, campaign.c.status))
        }
        steps = set(conn.execute(select(member.c.status).distinct()).scalars())
        queued = conn.execute(
            select(func.count()).where(member.c.email_id.is_not(None))
        ).scalar_one()
    assert statuses == {
        "Autumn newsletter": "completed",
        "Winter sale": "scheduled",
        "Spring launch A/B": "paused",
    }
    assert {"delivered", "opened", "targeted"} <= steps
    assert queued == 0
