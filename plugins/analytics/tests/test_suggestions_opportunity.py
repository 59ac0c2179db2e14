"""Suggestions on an sfa opportunity's page (sfa's ``sfa_opportunity_panels`` hook)."""

from __future__ import annotations

from typing import Any

import pytest
from crmkit_analytics.suggestions import service

from crmkit import SYSTEM, Crm

from .conftest import BasketMaker, CrmMaker, PartyMaker, Staff

EVERY_RULE = {"min_support": 0.0, "min_customers": 1, "min_confidence": 0.0, "min_lift": 0.0}


@pytest.fixture
def crm(make_analytics: CrmMaker) -> Crm:
    return make_analytics(analytics={"suggestions": EVERY_RULE}, with_plugins=("sfa",))


def deal_of(crm: Crm, party_id: int) -> int:
    from crmkit_sfa.pipeline import service as deals

    with crm.transaction(SYSTEM) as tx:
        deal_id: int = deals.create_opportunity(
            tx, {"party_id": party_id, "title": "Camping season"}
        ).id
    return deal_id


def test_opportunity_page_shows_the_card_of_its_customer(
    crm: Crm, new_party: PartyMaker, bought: BasketMaker, staff: Staff, client_as: Any
) -> None:
    ids = [new_party(last_name=name) for name in ("p1", "p2", "p3")]
    for party_id, basket in zip(ids, (("tent", "lamp"), ("tent", "lamp"), ("tent",)), strict=True):
        bought(party_id, *basket)
    service.recompute(crm)
    with client_as(staff.manager) as client:
        page = client.get(f"/p/sfa/opportunities/{deal_of(crm, ids[2])}/page")
    assert page.status_code == 200, page.text
    assert "Suggested next products" in page.text
    assert "customers who bought tent also bought lamp" in page.text
