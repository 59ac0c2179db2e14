"""The opportunity page lists the opportunity's quotations and drafts a new one."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING

from crmkit_sfa.pipeline import service
from crmkit_sfa.quotes import catalogue, quotations

from crmkit import SYSTEM, Actor, Crm
from crmkit.testing import http_client

if TYPE_CHECKING:
    from conftest import PartyMaker, SalesTeam

CrmAs = Callable[[Actor], Crm]


def quotation_rows(html: str) -> list[tuple[str, str, str, str, str]]:
    """(link, number, version, status, net) of each row of the page's quotation table."""
    section = html.split("<h2>Quotations</h2>", 1)[1].split("</section>", 1)[0]
    return re.findall(
        r'<td><a href="([^"]+)">([^<]+)</a></td>\s*<td>(\d+)</td>\s*'
        r'<td><span class="badge status-\w+">(\w+)</span></td>\s*<td class="amount">([^<]+)</td>',
        section,
    )


def test_the_page_lists_every_version_of_the_opportunitys_quotations(
    crm: Crm, team: SalesTeam, new_party: PartyMaker, crm_as: CrmAs
) -> None:
    party = new_party(owner_id=team.seller.user_id)
    with crm.transaction(SYSTEM) as tx:
        catalogue.create_product(tx, {"code": "PAL", "name": "Pallet", "tax_rate": "19"})
    with crm.transaction(team.seller) as tx:
        deal = service.create_opportunity(tx, {"party_id": party, "title": "Pallets"})
        other = service.create_opportunity(tx, {"party_id": party, "title": "Racks"})
        first = quotations.create_quotation(
            tx,
            {
                "opportunity_id": deal.id,
                "lines": [{"product_code": "PAL", "quantity": "3", "unit_price": "10.005"}],
            },
        )
        quotations.send_quotation(tx, first.id)
        revised = quotations.revise_quotation(tx, first.id, {})
        elsewhere = quotations.create_quotation(tx, {"opportunity_id": other.id})
    with http_client(crm_as(team.seller)) as client:
        page = client.get(f"/p/sfa/opportunities/{deal.id}/page")
    assert page.status_code == 200
    net = f"{first.total_net} EUR"
    assert sorted(quotation_rows(page.text)) == sorted(
        [
            (f"/p/sfa/quotes/{first.id}", first.number, "1", "superseded", net),
            (f"/p/sfa/quotes/{revised.id}", first.number, "2", "draft", net),
        ]
    )
    assert elsewhere.number not in page.text
    assert '<button type="submit">New quotation</button>' in page.text


def test_new_quotation_from_the_page_drafts_one_and_opens_its_editor(
    crm: Crm, team: SalesTeam, new_party: PartyMaker, crm_as: CrmAs
) -> None:
    party = new_party(owner_id=team.seller.user_id)
    with crm.transaction(team.seller) as tx:
        deal = service.create_opportunity(tx, {"party_id": party, "title": "Pallets"})
    with http_client(crm_as(team.seller)) as client:
        empty = client.get(f"/p/sfa/opportunities/{deal.id}/page").text
        assert "No quotations yet." in empty
        form = empty.split('<form method="post" action="/p/sfa/quotes">', 1)[1].split("</form>")[0]
        assert f'name="opportunity_id" value="{deal.id}"' in form
        drafted = client.post(
            "/p/sfa/quotes", data={"opportunity_id": str(deal.id)}, follow_redirects=False
        )
        assert drafted.status_code == 303
        page = client.get(f"/p/sfa/opportunities/{deal.id}/page").text
    [(link, _, version, status, _)] = quotation_rows(page)
    assert drafted.headers["location"] == link
    assert (version, status) == ("1", "draft")


def test_who_may_not_quote_sees_the_quotations_without_the_button(
    crm: Crm, team: SalesTeam, new_party: PartyMaker, crm_as: CrmAs
) -> None:
    party = new_party(owner_id=team.seller.user_id)
    with crm.transaction(team.seller) as tx:
        deal = service.create_opportunity(tx, {"party_id": party, "title": "Pallets"})
        drafted = quotations.create_quotation(tx, {"opportunity_id": deal.id})
    reader = Actor(user_id=None, username="rita", role="read-only")
    with http_client(crm_as(reader)) as client:
        page = client.get(f"/p/sfa/opportunities/{deal.id}/page")
    assert page.status_code == 200
    assert [row[1] for row in quotation_rows(page.text)] == [drafted.number]
    assert "New quotation" not in page.text


def test_a_closed_opportunity_offers_no_new_quotation(
    crm: Crm, team: SalesTeam, new_party: PartyMaker, crm_as: CrmAs
) -> None:
    party = new_party(owner_id=team.seller.user_id)
    with crm.transaction(team.seller) as tx:
        deal = service.create_opportunity(tx, {"party_id": party, "title": "Pallets"})
        service.mark_lost(tx, deal.id, "price", None)
    with http_client(crm_as(team.seller)) as client:
        page = client.get(f"/p/sfa/opportunities/{deal.id}/page").text
    assert "No quotations yet." in page
    assert "New quotation" not in page
