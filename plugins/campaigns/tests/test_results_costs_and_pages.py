"""Costs over the API and on the results page, the results page, the tracking job, privacy, demo."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from crmkit_campaigns.campaigns.tables import campaign, member
from crmkit_campaigns.results.links import member_token
from crmkit_campaigns.results.tables import cost, response
from sqlalchemy import func, select, update

from crmkit import Crm, erase_party, export_party, merge_parties, utcnow
from crmkit.testing import seed_demo_data


def costs_count(crm: Crm) -> int:
    with crm.read() as conn:
        return int(conn.execute(select(func.count()).select_from(cost)).scalar_one())


def test_bad_costs_are_refused_naming_the_field_and_store_nothing(
    crm: Crm, staff: Any, client_as: Any, results_kit: Any
) -> None:
    campaign_id = results_kit.campaign()
    client = client_as(staff.marketer)
    url = f"/p/campaigns/campaigns/{campaign_id}/costs"
    for body, field in (
        ({"amount": "-5"}, "amount"),
        ({"amount": "0"}, "amount"),
        ({"amount": 12.5}, "amount"),
        ({"amount": "1.234"}, "amount"),
        ({"amount": "10", "currency": "euro"}, "currency"),
        ({"amount": "10", "channel": "fax"}, "channel"),
        ({"amount": "10", "spent_on": "yesterday"}, "spent_on"),
        ({"amount": "10", "vat": "19"}, "vat"),
    ):
        answer = client.post(url, json=body)
        assert answer.status_code == 422 and answer.json()["field"] == field, (body, answer.text)
    assert (
        client.post("/p/campaigns/campaigns/999999/costs", json={"amount": "1"}).status_code == 404
    )
    # A sales rep reads results but enters no costs.
    assert client_as(staff.outsider).post(url, json={"amount": "10"}).status_code == 403
    assert costs_count(crm) == 0


def test_costs_are_listed_and_one_entered_by_mistake_removed(
    crm: Crm, staff: Any, client_as: Any, results_kit: Any
) -> None:
    campaign_id = results_kit.campaign(currency="CHF")
    client = client_as(staff.marketer)
    url = f"/p/campaigns/campaigns/{campaign_id}/costs"
    added = client.post(url, json={"amount": "250.5", "spent_on": "2026-03-01", "note": "Print"})
    assert added.status_code == 201
    assert (added.json()["amount"], added.json()["currency"]) == ("250.50", "CHF")
    listed = client_as(staff.outsider).get(url).json()
    assert [c["note"] for c in listed] == ["Print"]
    cost_id = added.json()["id"]
    assert client.delete(f"{url}/{cost_id}").status_code == 204
    assert client.delete(f"{url}/{cost_id}").status_code == 404
    assert costs_count(crm) == 0


def test_the_results_page_shows_the_funnel_and_takes_a_cost(
    crm: Crm, staff: Any, client_as: Any, new_party: Any, results_kit: Any
) -> None:
    campaign_id = results_kit.campaign(budget=Decimal("100.00"))
    results_kit.members(campaign_id, [new_party(), new_party(first_name="Bob")])
    client = client_as(staff.marketer)
    page = client.get(f"/p/campaigns/campaigns/{campaign_id}/results/page")
    assert page.status_code == 200 and "Results of Spring offer" in page.text
    assert "over budget" not in page.text
    form = f"/p/campaigns/campaigns/{campaign_id}/results/page/costs"
    refused = client.post(form, data={"amount": "lots", "note": "Agency"})
    assert refused.status_code == 422 and 'value="Agency"' in refused.text
    assert 'aria-invalid="true"' in refused.text and costs_count(crm) == 0
    taken = client.post(form, data={"amount": "150", "channel": "email"}, follow_redirects=False)
    assert taken.status_code == 303
    shown = client.get(taken.headers["location"]).text
    assert "150.00 EUR" in shown and "over budget" in shown
    # Only a role that may enter costs gets the form.
    assert "Add cost" not in client_as(staff.outsider).get(taken.headers["location"]).text


def test_the_tracking_job_refreshes_live_and_recently_ended_campaigns_only(
    relayed: Any, new_party: Any, results_kit: Any
) -> None:
    sender = relayed()
    ada = new_party()
    live = results_kit.campaign()
    old = results_kit.campaign(status="completed", completed_at=utcnow())
    draft = results_kit.campaign(status="draft")
    ids = [results_kit.members(c, [ada])[0] for c in (live, old, draft)]
    results_kit.mail(ids)
    with sender.transaction() as tx:
        long_ago = utcnow().replace(year=utcnow().year - 1)
        tx.conn.execute(update(campaign).where(campaign.c.id == old).values(completed_at=long_ago))
    sender.jobs.run("channels.deliver_email")
    assert sender.jobs.run("campaigns.track").ok
    with sender.read() as conn:
        statuses = dict(conn.execute(select(member.c.campaign_id, member.c.status)).all())
    assert statuses == {live: "delivered", old: "queued", draft: "queued"}


def test_responses_are_exported_moved_on_a_merge_and_erased(
    crm: Crm, staff: Any, client_as: Any, new_party: Any, results_kit: Any
) -> None:
    campaign_id = results_kit.campaign()
    ada, twin = new_party(), new_party(emails=["ada.l@example.org"])
    [twin_m] = results_kit.members(campaign_id, [twin])
    answer = client_as(staff.marketer).post(
        f"/p/campaigns/campaigns/{campaign_id}/responses",
        json={"token": member_token(crm, twin_m), "message": "Yes please"},
    )
    assert answer.status_code == 201
    with crm.transaction() as tx:
        merge_parties(tx, ada, twin)
    with crm.read() as conn:
        assert conn.execute(select(response.c.party_id)).scalars().all() == [ada]
        exported = export_party(conn, crm.host, ada)
    [entry] = exported["campaigns"]["responses"]
    assert (entry["campaign_id"], entry["message"]) == (campaign_id, "Yes please")
    with crm.transaction() as tx:
        erase_party(tx, ada)
    with crm.read() as conn:
        assert conn.execute(select(func.count()).select_from(response)).scalar() == 0


def test_the_demo_adds_costs_and_responses_to_the_demo_campaigns(make_campaigns: Any) -> None:
    crm = make_campaigns()
    seed_demo_data(crm, customers=400, prospects=20, now=utcnow())
    with crm.read() as conn:
        sent = set(
            conn.execute(
                select(member.c.campaign_id).where(member.c.sent_at.is_not(None))
            ).scalars()
        )
        costed = set(conn.execute(select(cost.c.campaign_id)).scalars())
        responses = conn.execute(select(func.count()).select_from(response)).scalar()
        responded = conn.execute(
            select(func.count()).select_from(member).where(member.c.responded_at.is_not(None))
        ).scalar()
    assert sent and costed == sent
    assert responses == responded


def test_the_response_link_is_refused_without_a_link_secret(make_campaigns: Any) -> None:
    import pytest
    from crmkit_campaigns.results.links import response_url

    from crmkit import ConfigurationError

    crm = make_campaigns(channels={"link_secret": "short"})
    with pytest.raises(ConfigurationError, match="link_secret"):
        response_url(crm, 1)
    assert re.fullmatch(r"\d+\.[0-9a-f]{32}", member_token(make_campaigns(), 7))


def test_the_costs_of_a_campaign_that_does_not_exist_are_not_found(
    client_as: Any, staff: Any, results_kit: Any
) -> None:
    client = client_as(staff.marketer)
    assert client.get("/p/campaigns/campaigns/99999/costs").status_code == 404
    assert (
        client.post("/p/campaigns/campaigns/99999/costs", json={"amount": "1"}).status_code == 404
    )
    campaign_id = results_kit.campaign()
    assert client.get(f"/p/campaigns/campaigns/{campaign_id}/costs").json() == []


def test_a_cost_in_a_currency_that_does_not_exist_is_refused(
    client_as: Any, staff: Any, results_kit: Any
) -> None:
    url = f"/p/campaigns/campaigns/{results_kit.campaign()}/costs"
    client = client_as(staff.marketer)
    for code in ("ZZZ", "XXX", "XAU", "eur"):
        answer = client.post(url, json={"amount": "1.00", "currency": code})
        assert answer.status_code == 422 and answer.json()["field"] == "currency", code
    assert client.get(url).json() == []
    assert client.post(url, json={"amount": "1.00", "currency": "CHF"}).status_code == 201
