"""Cross-sell suggestions: association rules from baskets, never what is owned, record rules."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pytest
from crmkit_analytics import parties_with_suggestion
from crmkit_analytics.suggestions import service
from crmkit_analytics.suggestions.rules import Thresholds, association_rules

from crmkit import Crm, PluginError
from crmkit.testing import invoke

from .conftest import BasketMaker, CrmMaker, PartyMaker, Staff

EVERY_RULE = {
    "min_support": 0.0,
    "min_customers": 1,
    "min_confidence": 0.0,
    "min_lift": 0.0,
}
PARIS = {"street": "Rue de Rivoli 1", "postcode": "75001", "city": "Paris", "country": "FR"}


@pytest.fixture
def crm(make_analytics: CrmMaker) -> Crm:
    return make_analytics(analytics={"suggestions": EVERY_RULE})


@pytest.fixture
def camp(crm: Crm, new_party: PartyMaker, bought: BasketMaker) -> dict[str, int]:
    """Five customers: tent+stove, tent+stove+lamp (two orders), tent+lamp, stove, boots."""
    ids = {name: new_party(last_name=name) for name in ("p1", "p2", "p3", "p4", "p5")}
    bought(ids["p1"], "tent", "stove")
    bought(ids["p2"], "tent", "stove")
    bought(ids["p2"], "lamp")
    bought(ids["p3"], "tent", "lamp")
    bought(ids["p4"], "stove")
    bought(ids["p5"], "boots")
    return ids


def by_pair(rules: list[Any]) -> dict[tuple[str, str], Any]:
    return {(rule.antecedent, rule.consequent): rule for rule in rules}


def test_rules_of_hand_made_baskets_have_the_textbook_measures() -> None:
    names = ["tent", "stove", "lamp", "boots"]
    customers = np.array([1, 1, 2, 2, 2, 2, 3, 3, 4, 5, 6])
    products = np.array([0, 1, 0, 1, 2, 2, 0, 2, 1, 3, -1])  # 6 bought nothing named
    rules = by_pair(association_rules(customers, products, names))
    # N = 5 customers; tent 3, stove 3, lamp 2 buyers (customer 2's two lamps count once).
    tent_stove = rules[("tent", "stove")]
    assert (tent_stove.customers, tent_stove.support) == (2, pytest.approx(0.4))
    assert tent_stove.confidence == pytest.approx(2 / 3)
    assert tent_stove.lift == pytest.approx((2 / 3) / (3 / 5))
    lamp_tent = rules[("lamp", "tent")]
    assert (lamp_tent.confidence, lamp_tent.lift) == (pytest.approx(1.0), pytest.approx(5 / 3))
    stove_lamp = rules[("stove", "lamp")]
    assert (stove_lamp.support, stove_lamp.lift) == (pytest.approx(0.2), pytest.approx(5 / 6))
    assert not any("boots" in pair for pair in rules)  # bought alone, with nothing
    assert len(rules) == 6  # tent, stove and lamp each lead to the two others


def test_thresholds_keep_only_strong_rules_and_the_best_first() -> None:
    names = ["tent", "stove", "lamp"]
    customers = np.array([1, 1, 2, 2, 2, 3, 3, 4])
    products = np.array([0, 1, 0, 1, 2, 0, 2, 1])
    # N = 4; tent → lamp and lamp → tent have lift 4/3, tent → stove only 8/9.
    kept = association_rules(customers, products, names, Thresholds(min_lift=1.1, min_customers=2))
    assert [(r.antecedent, r.consequent) for r in kept] == [("tent", "lamp"), ("lamp", "tent")]
    one_each = association_rules(customers, products, names, Thresholds(max_rules_per_product=1))
    assert {(r.antecedent, r.consequent) for r in one_each} == {
        ("tent", "lamp"),  # lift times confidence 8/9, beats tent → stove's 16/27
        ("stove", "tent"),
        ("lamp", "tent"),
    }


def test_job_stores_the_rules_and_running_it_again_changes_nothing(
    crm: Crm, camp: dict[str, int]
) -> None:
    assert crm.jobs.run("analytics.suggestions").ok
    with crm.read() as conn:
        first = service.stored_rules(conn)
    assert crm.jobs.run("analytics.suggestions").ok
    with crm.read() as conn:
        again = service.stored_rules(conn)
    assert first == again
    tent_lamp = by_pair(again)[("tent", "lamp")]
    assert (tent_lamp.support, tent_lamp.confidence) == (pytest.approx(0.4), pytest.approx(2 / 3))
    assert tent_lamp.lift == pytest.approx(5 / 3)


def test_a_party_is_never_suggested_what_it_bought(crm: Crm, camp: dict[str, int]) -> None:
    service.recompute(crm)
    with crm.read() as conn:
        for party_id in camp.values():
            owned = service.owned_products(conn, party_id)
            found = service.suggestions_for(conn, party_id, limit=10)
            assert not {s.product for s in found} & owned
        only_stove = service.suggestions_for(conn, camp["p4"])
        tent_and_stove = service.suggestions_for(conn, camp["p1"])
        everything = service.suggestions_for(conn, camp["p2"])
    # stove → tent (lift 10/9, confidence 2/3) before stove → lamp (5/6, 1/3).
    assert [s.product for s in only_stove] == ["tent", "lamp"]
    [lamp] = tent_and_stove  # through tent, the stronger of tent → lamp and stove → lamp
    assert (lamp.product, lamp.because_of) == ("lamp", "tent")
    assert lamp.reason == "bought tent; customers who bought tent also bought lamp, lift 1.7"
    assert everything == []


def test_default_thresholds_keep_no_rule_on_five_customers(
    make_analytics: CrmMaker, new_party: PartyMaker
) -> None:
    crm = make_analytics()
    assert service.recompute(crm) == 0  # no purchases at all: nothing to learn, no error


def test_bad_threshold_is_refused_naming_the_key(make_analytics: CrmMaker) -> None:
    with pytest.raises(PluginError, match=r"plugins\.analytics\.suggestions\.min_support"):
        make_analytics(analytics={"suggestions": {"min_support": 2}})


def test_campaign_segment_holds_who_would_be_suggested_the_product(
    crm: Crm, camp: dict[str, int], staff: Staff
) -> None:
    service.recompute(crm)
    with crm.read() as conn:
        lamp = parties_with_suggestion(conn, "lamp")
        seen_by_outsider = parties_with_suggestion(
            conn, "lamp", host=crm.host, actor=staff.outsider
        )
        seen_by_manager = parties_with_suggestion(conn, "lamp", host=crm.host, actor=staff.manager)
    assert lamp == sorted([camp["p1"], camp["p4"]])  # p2 and p3 own a lamp, p5 only boots
    assert seen_by_outsider == []  # everyone is in Berlin, the outsider sees Paris
    assert seen_by_manager == lamp


def test_api_shows_suggestions_of_a_party_one_sees_and_hides_the_others(
    crm: Crm,
    camp: dict[str, int],
    staff: Staff,
    new_party: PartyMaker,
    bought: BasketMaker,
    client_as: Any,
) -> None:
    parisian = new_party(last_name="Dupont", addresses=[PARIS], owner_id=staff.outsider.user_id)
    bought(parisian, "stove")
    service.recompute(crm)
    with client_as(staff.manager) as client:
        answer = client.get(f"/p/analytics/parties/{camp['p4']}/suggestions")
        hidden = client.get(f"/p/analytics/parties/{parisian}/suggestions")
        bad = client.get(f"/p/analytics/parties/{camp['p4']}/suggestions", params={"limit": "0"})
    assert answer.status_code == 200, answer.text
    assert [s["product"] for s in answer.json()] == ["tent", "lamp"]
    assert answer.json()[0]["because_of"] == "stove"
    assert hidden.status_code == 404
    assert (bad.status_code, bad.json()["field"]) == (422, "limit")
    with client_as(staff.outsider) as client:
        assert client.get(f"/p/analytics/parties/{camp['p4']}/suggestions").status_code == 404
        assert client.get(f"/p/analytics/parties/{parisian}/suggestions").status_code == 200


def test_party_page_shows_the_card_with_the_reason(
    crm: Crm, camp: dict[str, int], staff: Staff, client_as: Any
) -> None:
    service.recompute(crm)
    with client_as(staff.manager) as client:
        page = client.get(f"/parties/{camp['p1']}")
    assert page.status_code == 200, page.text
    assert "Suggested next products" in page.text
    assert "customers who bought tent also bought lamp, lift 1.7" in page.text


def test_command_recomputes_and_ends_with_json(crm: Crm, camp: dict[str, int]) -> None:
    result = invoke(crm, "analytics", "suggestions", "--top", "2")
    assert result.exit_code == 0, result.output
    lines = result.output.strip().splitlines()
    assert json.loads(lines[-1]) == {"rules": 6}
    assert lines[0].startswith("lamp -> tent  support 0.4000  confidence 1.000  lift 1.67")
