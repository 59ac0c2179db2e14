"""The pages: pipeline board with stage change by form, opportunity page, my activities."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import pytest
from crmkit_sfa.pipeline import activities, service
from crmkit_sfa.planning.tables import target
from crmkit_sfa.quotes.tables import quotation
from sqlalchemy import func, select

from crmkit import Actor, Crm
from crmkit.testing import http_client

if TYPE_CHECKING:
    from collections.abc import Callable

    from conftest import PartyMaker, SalesTeam


def opportunity(crm: Crm, actor: Actor, party: int, **data: object) -> service.Opportunity:
    with crm.transaction(actor) as tx:
        return service.create_opportunity(tx, {"party_id": party, "title": "Forklifts", **data})


def column_of(html: str, opportunity_id: int) -> str:
    """The stage of the board column holding the opportunity's card."""
    found = re.search(
        rf'<td data-stage="(\w+)">(?:(?!</td>).)*data-opportunity="{opportunity_id}"', html, re.S
    )
    assert found, html
    return found[1]


def test_board_shows_cards_by_stage_and_moves_them_by_form(
    crm: Crm, team: SalesTeam, new_party: PartyMaker, crm_as: Callable[[Actor], Crm]
) -> None:
    party = new_party(owner_id=team.seller.user_id)
    mine = opportunity(crm, team.seller, party, amount="1200.00")
    hidden = opportunity(crm, team.outsider, new_party(organisation_name="Elsewhere"))
    with http_client(crm_as(team.seller)) as client:
        board = client.get("/p/sfa/board")
        assert board.status_code == 200
        assert column_of(board.text, mine.id) == "initiation"
        assert "1200.00 EUR" in board.text
        assert f'data-opportunity="{hidden.id}"' not in board.text
        assert '<a href="/p/sfa/board">Pipeline</a>' in board.text
        moved = client.post(
            f"/p/sfa/opportunities/{mine.id}/stage-form?from=board",
            data={"stage": "qualification", "version": "1", "next": "/p/sfa/board?pipeline=sales"},
            follow_redirects=False,
        )
        assert (
            moved.status_code == 303 and moved.headers["location"] == "/p/sfa/board?pipeline=sales"
        )
        assert column_of(client.get("/p/sfa/board").text, mine.id) == "qualification"
        # Leaving qualification without a close date: the board again, with the reason.
        refused = client.post(
            f"/p/sfa/opportunities/{mine.id}/stage-form?from=board",
            data={"stage": "final", "version": "2"},
        )
    assert refused.status_code == 422
    assert "expected_close: expected close must be filled in before leaving" in refused.text
    assert column_of(refused.text, mine.id) == "qualification"
    with http_client(crm_as(team.seller)) as client:
        page = client.get(f"/p/sfa/opportunities/{mine.id}/page").text
    assert "To move on from this stage:" in page
    assert (
        "<li>expected close must be filled in before leaving stage &#39;Qualification&#39;</li>"
        in page
    )


def test_opportunity_page_wins_the_deal_and_lists_its_activities(
    crm: Crm, team: SalesTeam, new_party: PartyMaker, crm_as: Callable[[Actor], Crm]
) -> None:
    party = new_party(owner_id=team.seller.user_id)
    deal = opportunity(crm, team.seller, party, contacts=[{"name": "Eva Weiss", "role": "buyer"}])
    with crm.transaction(team.seller) as tx:
        activities.create_activity(
            tx, {"party_id": party, "opportunity_id": deal.id, "kind": "call", "subject": "Ask"}
        )
    page_url = f"/p/sfa/opportunities/{deal.id}/page"
    with http_client(crm_as(team.seller)) as client:
        page = client.get(page_url)
        assert page.status_code == 200
        assert "Eva Weiss" in page.text and "<strong>Ask</strong>" in page.text
        assert "created → initiation" in page.text
        stale = client.post(
            f"/p/sfa/opportunities/{deal.id}/close-form", data={"outcome": "won", "version": "7"}
        )
        assert stale.status_code == 409
        won = client.post(
            f"/p/sfa/opportunities/{deal.id}/close-form", data={"outcome": "won", "version": "1"}
        )
        assert won.status_code == 200 and 'status-won">won</span>' in won.text
    with http_client(crm_as(team.outsider)) as client:
        assert client.get(page_url).status_code == 404


def test_my_activities_lists_the_planned_ones_and_completes_them(
    crm: Crm, team: SalesTeam, new_party: PartyMaker, crm_as: Callable[[Actor], Crm]
) -> None:
    party = new_party(owner_id=team.seller.user_id)
    with crm.transaction(team.seller) as tx:
        overdue = activities.create_activity(
            tx,
            {
                "party_id": party,
                "kind": "task",
                "subject": "Old task",
                "due_at": "2020-01-01T09:00:00Z",
            },
        )
    with crm.transaction(team.outsider) as tx:
        activities.create_activity(tx, {"party_id": party, "kind": "call", "subject": "Not mine"})
    with http_client(crm_as(team.seller)) as client:
        page = client.get("/p/sfa/activities/mine")
        assert "Old task" in page.text and "Not mine" not in page.text
        assert "overdue since" in page.text
        done = client.post(
            f"/p/sfa/activities/{overdue.id}/complete-form",
            data={"outcome": "finished", "version": "1", "next": "https://evil.example/"},
            follow_redirects=False,
        )
        assert done.status_code == 303 and done.headers["location"] == "/p/sfa/activities/mine"
        assert "Old task" not in client.get("/p/sfa/activities/mine").text


def test_new_opportunity_from_the_party_page(
    crm: Crm, team: SalesTeam, new_party: PartyMaker, crm_as: Callable[[Actor], Crm]
) -> None:
    party = new_party(owner_id=team.seller.user_id)
    form_url = f"/p/sfa/opportunities/new?party_id={party}"
    with http_client(crm_as(team.seller)) as client:
        assert f'href="{form_url}">New opportunity</a>' in client.get(f"/parties/{party}").text
        refused = client.post(
            form_url, data={"title": "Vans", "amount": "12,50", "currency": "EUR"}
        )
        assert refused.status_code == 422
        assert 'id="amount-error"' in refused.text and 'value="Vans"' in refused.text
        created = client.post(
            form_url,
            data={"title": "Vans", "amount": "12.50", "currency": "EUR", "pipeline": "sales"},
            follow_redirects=False,
        )
    assert created.status_code == 303
    with crm.read() as conn:
        [deal] = service.opportunities_of_party(conn, party)
    assert created.headers["location"] == f"/p/sfa/opportunities/{deal.id}/page"
    assert (deal.title, str(deal.amount), deal.owner_id) == ("Vans", "12.50", team.seller.user_id)


@pytest.mark.parametrize("number", ["\u00b2", "99999999999999999999"])
def test_a_form_number_that_is_no_id_or_version_is_refused_and_changes_nothing(
    crm: Crm,
    team: SalesTeam,
    new_party: PartyMaker,
    crm_as: Callable[[Actor], Crm],
    number: str,
) -> None:
    # "²" is a digit to str.isdigit(), not to int(); 20 digits are beyond any id column.
    party = new_party(owner_id=team.seller.user_id)
    mine = opportunity(crm, team.seller, party)
    with http_client(crm_as(team.seller)) as client:
        staged = client.post(
            f"/p/sfa/opportunities/{mine.id}/stage-form",
            data={"stage": "identification", "version": number},
        )
        created = client.post(
            "/p/sfa/opportunities/new", params={"party_id": number}, data={"title": "Cranes"}
        )
        quoted = client.post("/p/sfa/quotes", data={"opportunity_id": number})
    with http_client(crm_as(team.manager)) as client:
        targeted = client.post(
            "/p/sfa/planning/targets",
            data={"scope": "team", "scope_key": "north", "value": "10", "owner_id": number},
        )
    assert [r.status_code for r in (staged, created, quoted, targeted)] == [422] * 4
    with crm.read() as conn:
        assert service.opportunities_of_party(conn, party) == [mine]
        assert conn.execute(select(func.count()).select_from(quotation)).scalar() == 0
        assert conn.execute(select(func.count()).select_from(target)).scalar() == 0
