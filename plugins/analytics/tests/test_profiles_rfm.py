"""RFM profiles: scores and bands on a small hand-made set, buying patterns, the job and
command, the card on the party's page, the API and its record rules, merge and erasure."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from crmkit_analytics.profiles import scoring, service
from crmkit_analytics.profiles.tables import profile
from sqlalchemy import select

from crmkit import Crm, erase_party, export_party, merge_parties
from crmkit.testing import invoke

from .conftest import PartyMaker, PurchaseAdder, Staff

NOW = datetime(2026, 6, 30, 12, tzinfo=UTC)


def profiles(crm: Crm) -> dict[int, service.Profile]:
    with crm.read() as conn:
        return {row.party_id: service.Profile.of(row) for row in conn.execute(select(profile))}


def test_quintiles_give_equal_values_equal_scores() -> None:
    scores = scoring.quintile_scores(
        __import__("numpy").array([10.0, 20.0, 30.0, 40.0, 50.0, 50.0, 1.0, 2.0, 3.0, 4.0])
    )
    assert scores.tolist() == [3, 3, 4, 4, 5, 5, 1, 1, 2, 2]


def test_scores_and_bands_of_a_hand_made_set(
    crm: Crm, new_party: PartyMaker, add_purchases: PurchaseAdder
) -> None:
    # Five customers, each a step apart in recency, frequency and spend.
    champion = new_party(last_name="Champion")
    add_purchases(
        champion, [(2, 200.0), (30, 200.0), (60, 200.0), (90, 200.0), (120, 200.0)], now=NOW
    )
    loyal = new_party(last_name="Loyal")
    add_purchases(loyal, [(40, 100.0), (80, 100.0), (120, 100.0), (160, 100.0)], now=NOW)
    newcomer = new_party(last_name="Newcomer")
    add_purchases(newcomer, [(20, 90.0)], now=NOW)
    slipping = new_party(last_name="Slipping")
    add_purchases(slipping, [(200, 50.0), (260, 50.0), (300, 50.0)], now=NOW)
    lost = new_party(last_name="Lost")
    add_purchases(lost, [(400, 10.0), (500, 10.0)], now=NOW)
    untouched = new_party(last_name="Never bought")

    assert service.refresh(crm, NOW) == 5
    found = profiles(crm)
    assert untouched not in found
    rfm = {p: (found[p].r_score, found[p].f_score, found[p].m_score) for p in found}
    assert rfm == {
        champion: (5, 5, 5),
        newcomer: (4, 1, 2),
        loyal: (3, 4, 4),
        slipping: (2, 3, 3),
        lost: (1, 2, 1),
    }
    assert {p: found[p].band for p in found} == {
        champion: "champions",
        newcomer: "new",
        loyal: "loyal",
        slipping: "at_risk",
        lost: "lost",
    }
    assert found[champion].frequency == 5
    assert found[champion].monetary == pytest.approx(1000.0)
    assert found[lost].recency_days == pytest.approx(400.0)


def test_bands_follow_their_rules_in_order() -> None:
    import numpy as np

    r = np.array([5, 4, 5, 3, 4, 1, 2, 1, 3, 3])
    f = np.array([5, 1, 2, 3, 2, 4, 1, 1, 2, 3])
    frequency = np.array([9.0, 1.0, 2.0, 4.0, 2.0, 6.0, 1.0, 1.0, 2.0, 1.0])
    assert scoring.bands(r, f, frequency).tolist() == [
        "champions",
        "new",
        "promising",
        "loyal",
        "promising",
        "at_risk",
        "hibernating",
        "lost",
        "needs_attention",
        "needs_attention",  # F 3 by ties, but a single order is no loyalty
    ]


def test_buying_patterns(crm: Crm, new_party: PartyMaker, add_purchases: PurchaseAdder) -> None:
    party = new_party()
    # June orders in the shop (three years), one December order online.
    add_purchases(party, [(10, 50.0), (375, 60.0)], group="garden", channel="shop", now=NOW)
    add_purchases(party, [(740, 40.0)], group="tools", channel="shop", now=NOW)
    add_purchases(party, [(200, 500.0)], group="grills", channel="web", now=NOW)
    add_purchases(party, [(30, 5.0)], now=NOW)  # no group, no channel: counted, not named
    service.refresh(crm, NOW)
    [found] = profiles(crm).values()
    assert found.top_groups == ["grills", "garden", "tools"]
    assert found.preferred_channel == "shop"
    assert found.months == [5, 6, 12]  # May (30 days before June 30), June, December
    assert found.frequency == 5


def test_purchases_after_the_day_are_left_out(
    crm: Crm, new_party: PartyMaker, add_purchases: PurchaseAdder
) -> None:
    party = new_party()
    add_purchases(party, [(10, 50.0), (-5, 999.0)], now=NOW)
    service.refresh(crm, NOW)
    assert profiles(crm)[party].monetary == pytest.approx(50.0)


def test_job_and_command_rebuild_and_replace(
    crm: Crm, new_party: PartyMaker, add_purchases: PurchaseAdder
) -> None:
    first, second = new_party(), new_party()
    add_purchases(first, [(5, 10.0)])
    assert crm.jobs.run("analytics.profiles").ok
    assert set(profiles(crm)) == {first}
    add_purchases(second, [(5, 10.0), (50, 20.0)])
    result = invoke(crm, "analytics", "profiles")
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output.strip().splitlines()[-1])
    assert summary["profiles"] == 2
    assert sum(summary["bands"].values()) == 2
    assert set(profiles(crm)) == {first, second}


def test_api_answers_for_parties_the_user_sees_only(
    crm: Crm, staff: Staff, new_party: PartyMaker, add_purchases: PurchaseAdder, client_as
) -> None:
    party = new_party(owner_id=staff.manager.user_id)
    unprofiled = new_party()
    add_purchases(party, [(3, 120.0)], group="garden", channel="web")
    service.refresh(crm)
    with client_as(staff.manager) as client:
        seen = client.get(f"/p/analytics/parties/{party}/profile")
        assert seen.status_code == 200, seen.text
        assert seen.json()["frequency"] == 1
        assert seen.json()["band"] == "needs_attention"  # one customer: all scores are 3
        assert seen.json()["top_groups"] == ["garden"]
        assert client.get(f"/p/analytics/parties/{unprofiled}/profile").status_code == 404
        assert client.get("/p/analytics/parties/999999/profile").status_code == 404
    with client_as(staff.outsider) as client:  # a rep of FR-75 does not see a Berlin party
        hidden = client.get(f"/p/analytics/parties/{party}/profile")
        assert hidden.status_code == 404
        assert "120" not in hidden.text


def test_card_on_the_party_page(
    crm: Crm, staff: Staff, new_party: PartyMaker, add_purchases: PurchaseAdder, client_as
) -> None:
    party = new_party(owner_id=staff.manager.user_id)
    add_purchases(party, [(3, 120.0), (40, 80.0)], group="garden", channel="web")
    service.refresh(crm)
    with client_as(staff.manager) as client:
        page = client.get(f"/parties/{party}")
    assert page.status_code == 200
    assert "Customer profile" in page.text
    assert "Buys: garden" in page.text
    assert "Prefers: web" in page.text
    with client_as(staff.outsider) as client:
        hidden = client.get(f"/parties/{party}")
    assert hidden.status_code == 404
    assert "Customer profile" not in hidden.text


def test_card_shows_the_lifetime_value_when_fitted(
    crm: Crm, staff: Staff, new_party: PartyMaker, add_purchases: PurchaseAdder, client_as
) -> None:
    from crmkit_analytics.transactions.tables import clv
    from sqlalchemy import insert

    from crmkit import utcnow

    party = new_party(owner_id=staff.manager.user_id)
    add_purchases(party, [(3, 120.0), (40, 80.0)])
    service.refresh(crm)
    with crm.transaction() as tx:
        tx.conn.execute(
            insert(clv).values(
                party_id=party,
                frequency=1,
                recency_days=37.0,
                age_days=40.0,
                expected_purchases_90d=1.4,
                p_alive=0.83,
                expected_spend=97.5,
                clv=1234.5,
                horizon_days=365,
                fitted_at=utcnow(),
            )
        )
    with client_as(staff.manager) as client:
        page = client.get(f"/parties/{party}")
    assert "Value over 365 days: 1,234.50" in page.text
    assert "probably still a customer: 83%" in page.text


def test_merge_and_erasure_remove_the_profile(
    crm: Crm, new_party: PartyMaker, add_purchases: PurchaseAdder
) -> None:
    survivor, duplicate, erased = new_party(), new_party(), new_party()
    for party in (survivor, duplicate, erased):
        add_purchases(party, [(3, 10.0)])
    service.refresh(crm)
    with crm.transaction() as tx:
        assert export_party(tx.conn, tx.hooks, erased)["analytics"]["profile"]["frequency"] == 1
        merge_parties(tx, survivor, duplicate)
        erase_party(tx, erased)
    assert set(profiles(crm)) == {survivor}
