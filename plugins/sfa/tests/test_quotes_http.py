"""The order book over HTTP: JSON routes with problem documents, the OpenAPI document, the editor and print pages."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pytest
from crmkit_sfa.pipeline.service import create_opportunity
from crmkit_sfa.quotes.quotations import get_quotation

from crmkit import SYSTEM, Actor, Crm, hookimpl
from crmkit.testing import http_client, register_plugin

if TYPE_CHECKING:
    from conftest import PartyMaker, SalesTeam

CrmAs = Callable[[Actor], Crm]
ADMIN = Actor(user_id=None, username="ada", role="admin")


@pytest.fixture
def deal(crm: Crm, team: SalesTeam, new_party: PartyMaker) -> int:
    party = new_party(owner_id=team.seller.user_id)
    with crm.transaction(team.seller) as tx:
        return create_opportunity(tx, {"party_id": party, "title": "Pallets"}).id


@pytest.fixture
def price_list_id(crm_as: CrmAs, team: SalesTeam) -> int:
    """The manager's catalogue, made over HTTP: one product on a EUR list with a volume tier."""
    with http_client(crm_as(team.manager)) as client:
        made = client.post(
            "/p/sfa/products",
            json={"code": "PAL", "name": "Pallet", "product_group": "supplies", "tax_rate": "7"},
        )
        assert made.status_code == 201, made.text
        assert made.json()["tax_rate"] == "7.00"
        listed = client.post(
            "/p/sfa/price-lists",
            json={
                "name": "Standard",
                "currency": "eur",
                "prices": [
                    {"product_code": "PAL", "unit_price": "12.345"},
                    {"product_code": "PAL", "min_quantity": "100", "unit_price": "11.1111"},
                ],
            },
        )
    assert listed.status_code == 201, listed.text
    assert [(p["min_quantity"], p["unit_price"]) for p in listed.json()["prices"]] == [
        ("1", "12.345"),
        ("100", "11.1111"),
    ]
    return int(listed.json()["id"])


def quote(client: Any, deal: int, price_list_id: int, quantity: str = "99") -> dict[str, Any]:
    created = client.post(
        "/p/sfa/quotations",
        json={
            "opportunity_id": deal,
            "price_list_id": price_list_id,
            "lines": [{"product_code": "PAL", "quantity": quantity}],
        },
    )
    assert created.status_code == 201, created.text
    return dict(created.json())


def test_a_seller_quotes_sends_and_accepts_over_the_api(
    crm_as: CrmAs, team: SalesTeam, deal: int, price_list_id: int
) -> None:
    with http_client(crm_as(team.seller)) as client:
        created = quote(client, deal, price_list_id)
        # 99 x 12.345 = 1222.155 -> 1222.16; tax 7 % = 85.5512 -> 85.55. Amounts are strings.
        assert (created["total_net"], created["total_tax"], created["total_gross"]) == (
            "1222.16",
            "85.55",
            "1307.71",
        )
        assert created["lines"][0]["quantity"] == "99"
        path = f"/p/sfa/quotations/{created['id']}"
        assert client.post(f"{path}/send").json()["status"] == "sent"
        accepted = client.post(f"{path}/accept")
        assert accepted.status_code == 200, accepted.text
        again = client.post(f"{path}/accept")
        order = accepted.json()
        assert again.json() == order
        assert order["total_gross"] == "1307.71" and order["erp_status"] is None
        assert client.get(f"/p/sfa/orders/{order['id']}").json() == order
        listed = client.get("/p/sfa/orders", params={"erp_status": "none"}).json()
        assert [o["number"] for o in listed["items"]] == [order["number"]]
        refused = client.post(
            f"/p/sfa/orders/{order['id']}/erp-status", json={"erp_status": "confirmed"}
        )
        assert refused.status_code == 403
    with http_client(crm_as(ADMIN)) as connector:
        confirmed = connector.post(
            f"/p/sfa/orders/{order['id']}/erp-status",
            json={"erp_status": "confirmed", "erp_reference": "SAP-4711"},
        )
    assert confirmed.status_code == 200, confirmed.text
    assert (confirmed.json()["erp_status"], confirmed.json()["erp_reference"]) == (
        "confirmed",
        "SAP-4711",
    )


def test_revision_over_the_api_lists_both_versions(
    crm_as: CrmAs, team: SalesTeam, deal: int, price_list_id: int
) -> None:
    with http_client(crm_as(team.seller)) as client:
        first = quote(client, deal, price_list_id)
        client.post(f"/p/sfa/quotations/{first['id']}/send")
        revised = client.post(
            f"/p/sfa/quotations/{first['id']}/revisions",
            json={"lines": [{"product_code": "PAL", "quantity": "100"}]},
        )
        assert revised.status_code == 201, revised.text
        # 100 reaches the volume tier: 100 x 11.1111 = 1111.11.
        assert (revised.json()["version"], revised.json()["total_net"]) == (2, "1111.11")
        versions = client.get(f"/p/sfa/quotations/{revised.json()['id']}/versions").json()
        edit_sent = client.patch(f"/p/sfa/quotations/{first['id']}", json={"terms": "x"})
    assert [(v["version"], v["status"]) for v in versions] == [(1, "superseded"), (2, "draft")]
    assert edit_sent.status_code == 409


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"lines": [{"product_code": "PAL", "quantity": 1.5}]}, "lines[0].quantity"),
        (
            {"lines": [{"product_code": "PAL", "quantity": "1", "tax_rate": "abc"}]},
            "lines[0].tax_rate",
        ),
        ({"valid_until": "soon"}, "valid_until"),
        ({"discount": "10"}, "discount"),
    ],
)
def test_bad_quotation_body_gets_a_problem_naming_the_field(
    crm_as: CrmAs, team: SalesTeam, deal: int, price_list_id: int, body: dict[str, Any], field: str
) -> None:
    with http_client(crm_as(team.seller)) as client:
        response = client.post(
            "/p/sfa/quotations",
            json={"opportunity_id": deal, "price_list_id": price_list_id, **body},
        )
        assert response.status_code == 422, response.text
        assert response.json()["field"] == field
        assert client.get("/p/sfa/quotations").json()["items"] == []


def test_a_quotation_is_hidden_from_who_may_not_see_its_opportunity(
    crm: Crm, crm_as: CrmAs, team: SalesTeam, deal: int, price_list_id: int
) -> None:
    with http_client(crm_as(team.seller)) as client:
        created = quote(client, deal, price_list_id)
    with http_client(crm_as(team.outsider)) as client:
        assert client.get(f"/p/sfa/quotations/{created['id']}").status_code == 404
        assert client.get(f"/p/sfa/quotes/{created['id']}/print").status_code == 404
        assert client.get("/p/sfa/quotations").json()["items"] == []
        # Changing it answers as for one that does not exist: no hint that it does.
        for quotation_id in (created["id"], 999_999):
            path = f"/p/sfa/quotations/{quotation_id}"
            answers = [
                client.patch(path, json={"terms": "Mine now"}),
                *(client.post(f"{path}/{step}") for step in ("send", "reject", "accept")),
                client.post(f"{path}/revisions", json={}),
                client.post(f"/p/sfa/quotes/{quotation_id}", data={"action": "send"}),
            ]
            assert [a.status_code for a in answers] == [404] * 6, quotation_id
        # So does quoting an opportunity out of sight.
        drafted = client.post("/p/sfa/quotations", json={"opportunity_id": deal})
        assert client.post("/p/sfa/products", json={"code": "X"}).status_code == 403
    assert drafted.status_code == 422 and drafted.json()["field"] == "opportunity_id"
    assert drafted.json()["detail"].endswith(f"no opportunity {deal}")
    with crm.read() as conn:
        kept = get_quotation(conn, created["id"])
    assert (kept.status, kept.terms) == ("draft", None)


def test_a_quotation_seen_but_not_to_be_changed_is_forbidden(
    crm_as: CrmAs, team: SalesTeam, deal: int, price_list_id: int
) -> None:
    with http_client(crm_as(team.seller)) as client:
        created = quote(client, deal, price_list_id)
    reader = Actor(user_id=None, username="rita", role="read-only")
    path = f"/p/sfa/quotations/{created['id']}"
    with http_client(crm_as(reader)) as client:
        assert client.get(path).status_code == 200
        refused = [
            client.patch(path, json={"terms": "x"}),
            *(client.post(f"{path}/{step}") for step in ("send", "reject", "accept")),
            client.post("/p/sfa/quotations", json={"opportunity_id": deal}),
        ]
    assert [r.status_code for r in refused] == [403] * 5


def test_an_order_is_hidden_from_who_may_not_see_its_opportunity(
    crm_as: CrmAs, team: SalesTeam, deal: int, price_list_id: int
) -> None:
    with http_client(crm_as(team.seller)) as client:
        path = f"/p/sfa/quotations/{quote(client, deal, price_list_id)['id']}"
        client.post(f"{path}/send")
        order = client.post(f"{path}/accept").json()
        assert client.get(f"/p/sfa/orders/{order['id']}").status_code == 200
    with http_client(crm_as(team.outsider)) as client:
        assert client.get(f"/p/sfa/orders/{order['id']}").status_code == 404
        assert client.get("/p/sfa/orders").json()["items"] == []


def test_roles_without_the_order_book_s_permissions_are_forbidden(crm_as: CrmAs) -> None:
    agent = Actor(user_id=None, username="sid", role="service")
    with http_client(crm_as(agent)) as client:
        assert client.get("/p/sfa/quotations").status_code == 403
        assert client.get("/p/sfa/orders").status_code == 403


def test_a_plugin_withholding_quotations_and_orders_is_obeyed(
    make_crm: Callable[..., Crm], crm_as: CrmAs, team: SalesTeam, deal: int, price_list_id: int
) -> None:
    with http_client(crm_as(team.seller)) as client:
        path = f"/p/sfa/quotations/{quote(client, deal, price_list_id)['id']}"
        client.post(f"{path}/send")
        order = client.post(f"{path}/accept").json()

    class Withholding:
        @hookimpl
        def actor_from_request(self) -> Actor:
            return team.seller

        @hookimpl
        def permission_check(self, action: str) -> bool | None:
            return False if action in ("sfa:quote.read", "sfa:order.read") else None

    withholding = register_plugin(Withholding(), name="withholding")
    app = make_crm(plugins=["sfa", withholding], create_tables=False)
    with http_client(app) as client:
        assert client.get(path).status_code == 403
        assert client.get(f"/p/sfa/orders/{order['id']}").status_code == 403


def test_the_openapi_document_describes_the_order_book(crm_as: CrmAs) -> None:
    with http_client(crm_as(SYSTEM)) as client:
        spec = client.get("/api/openapi.json").json()
    paths = spec["paths"]
    assert set(paths["/p/sfa/quotations"]) == {"get", "post"}
    accept = paths["/p/sfa/quotations/{quotation_id}/accept"]["post"]
    assert accept["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Order"
    }
    assert "409" in accept["responses"]
    schemas = spec["components"]["schemas"]
    assert schemas["LineInput"]["required"] == ["product_code", "quantity"]
    assert schemas["Order"]["properties"]["total_gross"]["type"] == "string"
    assert "/p/sfa/orders/{order_id}/erp-status" in paths
    assert "/p/sfa/price-lists/{price_list_id}" in paths


def test_print_page_is_a_printable_document_with_lines_and_totals(
    crm_as: CrmAs, team: SalesTeam, deal: int, price_list_id: int
) -> None:
    with http_client(crm_as(team.seller)) as client:
        created = quote(client, deal, price_list_id)
        page = client.get(f"/p/sfa/quotes/{created['id']}/print")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    html = page.text
    assert "@media print" in html and "@page" in html
    assert f"Quotation {created['number']}" in html
    assert "Acme GmbH" in html and "10117 Berlin" in html
    assert "1222.16 EUR" in html and "1307.71 EUR" in html


def test_print_page_styles_carry_the_nonce_its_content_security_policy_allows(
    crm_as: CrmAs, team: SalesTeam, deal: int, price_list_id: int
) -> None:
    with http_client(crm_as(team.seller)) as client:
        created = quote(client, deal, price_list_id)
        page = client.get(f"/p/sfa/quotes/{created['id']}/print")
    policy = page.headers["content-security-policy"]
    (nonce,) = re.findall(r"style-src 'self' 'nonce-([^']+)'", policy)
    assert page.text.count("<style") == page.text.count(f'<style nonce="{nonce}">') == 1


def test_editor_saves_a_draft_and_shows_the_field_at_fault(
    crm_as: CrmAs, team: SalesTeam, deal: int, price_list_id: int
) -> None:
    with http_client(crm_as(team.seller)) as client:
        created = quote(client, deal, price_list_id)
        page = f"/p/sfa/quotes/{created['id']}"
        shown = client.get(page)
        assert shown.status_code == 200
        assert 'value="PAL"' in shown.text and "1307.71" in shown.text
        form = {
            "action": "save",
            "valid_until": created["valid_until"],
            "price_list_id": str(price_list_id),
            "terms": "Net 30",
            "line-0-product_code": "PAL",
            "line-0-quantity": "99",
            "line-1-product_code": "PAL",
            "line-1-quantity": "2",
            "line-1-unit_price": "0.3333",
            "line-2-product_code": "",
        }
        saved = client.post(page, data=form, follow_redirects=False)
        assert saved.status_code == 303 and saved.headers["location"] == page
        edited = client.get(f"/p/sfa/quotations/{created['id']}").json()
        # Line 2: 2 x 0.3333 = 0.6666 -> 0.67.
        assert [line["net"] for line in edited["lines"]] == ["1222.16", "0.67"]
        assert edited["terms"] == "Net 30"
        wrong = client.post(page, data={**form, "line-1-quantity": "two"})
        assert wrong.status_code == 422
        assert 'id="line-1-quantity" name="line-1-quantity" type="text" value="two"' in wrong.text
        assert "lines[1].quantity" in wrong.text
        # A blank row between filled ones: the error still marks the row that was typed in.
        gap = {**form, "line-1-product_code": "", "line-2-product_code": "PAL"}
        gap["line-2-quantity"] = "lots"
        skipped = client.post(page, data=gap)
        assert skipped.status_code == 422
        assert 'value="lots" inputmode="decimal" aria-invalid="true"' in skipped.text
        # Sending saves what was typed first.
        sent = client.post(
            page, data={**form, "action": "send", "terms": "Net 10"}, follow_redirects=False
        )
        assert sent.status_code == 303
        sent_quote = client.get(f"/p/sfa/quotations/{created['id']}").json()
        assert (sent_quote["status"], sent_quote["terms"]) == ("sent", "Net 10")
        accepted = client.post(page, data={"action": "accept"})
    assert accepted.status_code == 200
    assert "Accepted: order" in accepted.text
    assert created["number"].replace("Q-", "SO-") in accepted.text


@pytest.mark.parametrize("row", ["007", "\u0663"], ids=["leading zeros", "arabic digit"])
def test_editor_rows_the_editor_did_not_write_are_not_its_lines(
    crm_as: CrmAs, team: SalesTeam, deal: int, price_list_id: int, row: str
) -> None:
    # int() reads these row numbers, but the editor names no input so: not a line (was a 500).
    with http_client(crm_as(team.seller)) as client:
        created = quote(client, deal, price_list_id)
        page = f"/p/sfa/quotes/{created['id']}"
        form = {
            "action": "save",
            "valid_until": created["valid_until"],
            "price_list_id": str(price_list_id),
            "line-0-product_code": "PAL",
            "line-0-quantity": "99",
            f"line-{row}-product_code": "PAL",
            f"line-{row}-quantity": "1",
        }
        saved = client.post(page, data=form, follow_redirects=False)
        lines = client.get(f"/p/sfa/quotations/{created['id']}").json()["lines"]
    assert saved.status_code == 303, saved.text
    assert [line["quantity"] for line in lines] == ["99"]


def test_quotation_list_pages_newest_first(
    crm_as: CrmAs, team: SalesTeam, deal: int, price_list_id: int
) -> None:
    with http_client(crm_as(team.seller)) as client:
        made = [quote(client, deal, price_list_id)["id"] for _ in range(3)]
        first = client.get("/p/sfa/quotations", params={"limit": "2"}).json()
        rest = client.get(
            "/p/sfa/quotations", params={"limit": "2", "cursor": first["next_cursor"]}
        ).json()
        bad = client.get("/p/sfa/quotations", params={"limit": "0"})
    assert [q["id"] for q in first["items"]] == made[:0:-1]
    assert [q["id"] for q in rest["items"]] == made[:1] and rest["next_cursor"] is None
    assert bad.status_code == 422 and bad.json()["field"] == "limit"
