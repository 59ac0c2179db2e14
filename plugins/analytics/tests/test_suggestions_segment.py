"""Cross-sell suggestions as a campaign segment: the campaigns criterion ``analytics.suggested``
("a rule would suggest product X") holds exactly ``parties_with_suggestion``, through the
segment preview API and under the record rules."""

from __future__ import annotations

from typing import Any

import pytest
from crmkit_analytics import parties_with_suggestion
from crmkit_analytics.suggestions import service

from crmkit import Crm
from crmkit.testing import add_user

from .conftest import BasketMaker, CrmMaker, PartyMaker

pytest.importorskip("crmkit_campaigns", reason="the campaigns plugin is not installed")

EVERY_RULE = {"min_support": 0.0, "min_customers": 1, "min_confidence": 0.0, "min_lift": 0.0}
PARIS = {"street": "Rue de Rivoli 1", "postcode": "75001", "city": "Paris", "country": "FR"}


@pytest.fixture
def crm(make_analytics: CrmMaker) -> Crm:
    channels = {
        "from_address": "Acme News <news@acme.example>",
        "public_url": "https://crm.acme.example",
        "link_secret": "a-test-secret-of-at-least-32-characters",
    }
    return make_analytics(
        analytics={"suggestions": EVERY_RULE},
        with_plugins=("channels", "campaigns"),
        settings={"channels": channels},
    )


@pytest.fixture
def camp(crm: Crm, new_party: PartyMaker, bought: BasketMaker) -> dict[str, int]:
    """Six customers: tent+stove, tent+stove+lamp, tent+lamp, stove, boots (Berlin), and
    tent+stove in Paris, owned by a rep of FR-75."""
    ids = {name: new_party(last_name=name) for name in ("p1", "p2", "p3", "p4", "p5")}
    otto = add_user(crm, "otto", "sales", team="west", territories=("FR-75",))
    ids["p6"] = new_party(last_name="p6", addresses=[PARIS], owner_id=otto.user_id)
    bought(ids["p1"], "tent", "stove")
    bought(ids["p2"], "tent", "stove")
    bought(ids["p2"], "lamp")
    bought(ids["p3"], "tent", "lamp")
    bought(ids["p4"], "stove")
    bought(ids["p5"], "boots")
    bought(ids["p6"], "tent", "stove")
    service.recompute(crm)
    return ids


def suggested(product: Any, op: str = "is") -> dict[str, Any]:
    return {"criterion": "analytics.suggested", "op": op, "with": {"product": product}}


def preview(client: Any, definition: dict[str, Any]) -> Any:
    return client.post("/p/campaigns/segments/preview", json={"definition": definition})


def test_segment_of_who_would_be_suggested_a_product(
    crm: Crm, camp: dict[str, int], client_as: Any
) -> None:
    marketer = add_user(crm, "mia", "marketing")
    client = client_as(marketer)
    with crm.read() as conn:
        lamp = parties_with_suggestion(conn, "lamp")
        seen = parties_with_suggestion(conn, "lamp", host=crm.host, actor=marketer)
    assert lamp == sorted([camp["p1"], camp["p4"], camp["p6"]])
    found = preview(client, suggested("lamp"))
    assert found.status_code == 200, found.text
    body = found.json()
    assert body["count"] == len(seen)
    assert {row["id"] for row in body["sample"]} == set(seen)
    assert not {camp["p2"], camp["p3"], camp["p5"]} & {row["id"] for row in body["sample"]}
    # "is not": every other party the marketer sees, those who own a lamp among them.
    others = preview(client, suggested("lamp", "is_not")).json()
    assert camp["p2"] in {row["id"] for row in others["sample"]}
    assert not set(seen) & {row["id"] for row in others["sample"]}
    # Combined with other criteria (p4 bought a stove alone: tent is suggested too), saved.
    both = {"all": [suggested("lamp"), suggested("tent", "is_not")]}
    assert preview(client, both).json()["count"] == len(set(seen) - {camp["p4"]})
    saved = client.post(
        "/p/campaigns/segments", json={"name": "Lamp cross-sell", "definition": suggested("lamp")}
    )
    assert saved.status_code in (200, 201), saved.text


def test_a_manager_counts_only_the_parties_they_see(
    crm: Crm, camp: dict[str, int], client_as: Any
) -> None:
    manager = add_user(crm, "max", "manager", team="north", territories=("DE-10",))
    with crm.read() as conn:
        seen = parties_with_suggestion(conn, "lamp", host=crm.host, actor=manager)
    assert camp["p6"] not in seen and seen
    body = preview(client_as(manager), suggested("lamp")).json()
    assert body["count"] == len(seen)
    assert camp["p6"] not in {row["id"] for row in body["sample"]}


def test_the_segment_follows_the_stored_rules(
    crm: Crm, camp: dict[str, int], bought: BasketMaker, client_as: Any
) -> None:
    client = client_as(add_user(crm, "mia", "marketing"))
    assert preview(client, suggested("boots")).json()["count"] == 0  # no rule leads to boots
    bought(camp["p4"], "stove", "boots")
    service.recompute(crm)
    with crm.read() as conn:
        boots = parties_with_suggestion(conn, "boots")
    assert boots and camp["p4"] not in boots
    assert preview(client, suggested("boots")).json()["count"] == len(boots)


@pytest.mark.parametrize("product", [None, "", "  ", 7, "x" * 121])
def test_a_missing_or_bad_product_is_refused_naming_it(
    crm: Crm, camp: dict[str, int], client_as: Any, product: Any
) -> None:
    client = client_as(add_user(crm, "mia", "marketing"))
    leaf = suggested(product)
    if product is None:
        leaf["with"] = {}
    found = preview(client, leaf)
    assert found.status_code == 422, found.text
    assert "product" in found.text
