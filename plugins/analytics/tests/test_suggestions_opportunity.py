"""Suggestions on an sfa opportunity's page (sfa's ``sfa_opportunity_panels`` hook)."""

from __future__ import annotations

from typing import Any

import pytest
from crmkit_analytics.suggestions import service

from crmkit import Crm

from .conftest import BasketMaker, CrmMaker, PartyMaker, Staff

EVERY_RULE = {"min_support": 0.0, "min_customers": 1, "min_confidence": 0.0, "min_lift": 0.0}


@pytest.fixture
def crm(make_analytics: CrmMaker) -> Crm:
    return make_analytics(analytics={"suggestions": EVERY_RULE}, with_plugins=("sfa",))


def test_opportunity_page_shows_the_card_of_its_customer(
    crm: Crm, new_party: PartyMaker, bought: BasketMaker, staff: Staff, client_as: Any
) -> None:
    ids = [new_party(last_name=name) for name in ("p1", "p2", "p3")]
    for party_id, basket in zip(ids, (("tent", "lamp"), ("tent", "lamp"), ("tent",)), strict=True):
        bought(party_id, *basket)
    service.recompute(crm)
    with client_as(staff.manager) as client:
        # Through sfa's API, as an integrator would make the deal.
        made = client.post(
            "/p/sfa/opportunities", json={"party_id": ids[2], "title": "Camping season"}
        )
        assert made.status_code == 201, made.text
        page = client.get(f"/p/sfa/opportunities/{made.json()['id']}/page")
    assert page.status_code == 200, page.text
    assert "Suggested next products" in page.text
    assert "customers who bought tent also bought lamp" in page.text
