"""The portal part of the demo: ratings of resolved cases, shown to their customers."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from crmkit_service.cases.tables import case, case_event
from crmkit_service.portal.tables import case_rating
from sqlalchemy import select

from crmkit import Crm, contact_point_table, utcnow
from crmkit.testing import seed_demo_data


def test_the_demo_rates_resolved_cases(relayed_service: Callable[..., Crm], portal: Any) -> None:
    crm = relayed_service()
    seed_demo_data(crm, customers=200, prospects=20, now=utcnow())
    with crm.read() as conn:
        rated = conn.execute(
            select(
                case_rating,
                case.c.status,
                case.c.party_id,
                case.c.resolved_at.label("case_resolved_at"),
            ).join(case, case.c.id == case_rating.c.case_id)
        ).all()
        feedback = set(
            conn.execute(
                select(case_event.c.case_id).where(case_event.c.kind == "feedback")
            ).scalars()
        )
        first = rated[0]
        email = (
            conn.execute(
                select(contact_point_table.c.value).where(
                    contact_point_table.c.party_id == first.party_id,
                    contact_point_table.c.kind == "email",
                )
            )
            .scalars()
            .first()
        )
    assert len(rated) > 3 and {r.score for r in rated} <= {1, 2, 3, 4, 5}
    assert all(r.status in ("resolved", "closed") for r in rated)
    assert all(r.resolved_at == r.case_resolved_at for r in rated)
    assert {r.case_id for r in rated} <= feedback
    assert email is not None
    client = portal.sign_in(crm, email)
    page = client.get(f"/p/service/portal/cases/{first.case_id}").text
    assert f"You rated this resolution {first.score} out of 5" in page
