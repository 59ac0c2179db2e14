"""The cases part of the demo: cases in every status with their history, on timelines and pages."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

from crmkit_service.cases.model import STATUSES
from crmkit_service.cases.tables import case, case_event, category
from sqlalchemy import func, select

from crmkit import Crm, interaction_table, utcnow
from crmkit.testing import seed_demo_data


def test_the_demo_fills_cases_with_their_history(make_service: Callable[..., Crm]) -> None:
    crm = make_service()
    seed_demo_data(crm, customers=200, prospects=20, now=utcnow())
    with crm.read() as conn:
        cases: list[Any] = list(conn.execute(select(case)).all())
        statuses = Counter(c.status for c in cases)
        per_case = Counter(conn.execute(select(case_event.c.case_id)).scalars())
        entries = conn.execute(
            select(func.count())
            .select_from(interaction_table)
            .where(interaction_table.c.source == "service")
        ).scalar()
        categories = conn.execute(select(func.count()).select_from(category)).scalar()
    assert len(cases) > 30 and set(statuses) <= set(STATUSES) and len(statuses) >= 5
    assert all(per_case[c.id] >= 1 for c in cases)
    assert entries == sum(per_case.values())
    assert categories == 10
    resolved = [c for c in cases if c.status in ("resolved", "closed")]
    assert resolved and all(c.root_cause and c.resolved_at for c in resolved)
