"""Connecting pages: the token checked against Graph (a loopback server), the app subscribed
to the page's webhooks, the token stored encrypted and never shown; deactivating; admins only."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from crmkit import Crm

from .conftest import GraphServer, Staff


@pytest.fixture
def crm(social_crm: Crm) -> Crm:
    return social_crm


TOKEN = "EAAGm0PX4ZCpsBAKZCZB-secret-page-token"


def meta_knows_the_page(
    graph: GraphServer, page_id: str = "1001", name: str = "Autohaus Nord"
) -> None:
    graph.respond("GET", "/me", 200, {"id": page_id, "name": name})
    graph.respond("POST", f"/{page_id}/subscribed_apps", 200, {"success": True})


def test_an_admin_connects_a_page_its_token_checked_subscribed_and_stored_encrypted(
    crm: Crm, staff: Staff, graph: GraphServer, client_as: Any, caplog: pytest.LogCaptureFixture
) -> None:
    from crmkit_social.accounts.graph import graph_client
    from crmkit_social.accounts.model import account_by_page
    from crmkit_social.accounts.tables import account_table

    meta_knows_the_page(graph)
    with client_as(staff.admin) as admin:
        answer = admin.post("/p/social/accounts", json={"page_id": "1001", "access_token": TOKEN})
        listed = admin.get("/p/social/accounts")
        one = admin.get(f"/p/social/accounts/{answer.json()['id']}")
    assert answer.status_code == 201, answer.text
    shown = answer.json()
    assert (shown["page_id"], shown["name"], shown["platform"], shown["active"]) == (
        "1001",
        "Autohaus Nord",
        "facebook",
        True,
    )
    assert shown["subscribed_fields"] == ["leadgen", "feed", "messages"]
    assert shown["token_state"] == "ok"
    for text in (answer.text, listed.text, one.text, caplog.text):
        assert TOKEN not in text
    (me,) = graph.requests_to("GET", "/me")
    assert me.headers["authorization"] == f"Bearer {TOKEN}"
    assert me.query["fields"] == "id,name"
    assert len(me.query["appsecret_proof"]) == 64
    assert TOKEN not in str(me.query)
    (subscribe,) = graph.requests_to("POST", "/1001/subscribed_apps")
    assert subscribe.query["subscribed_fields"] == "leadgen,feed,messages"
    with crm.read() as conn:
        stored = conn.execute(select(account_table.c.token_cipher)).scalar_one()
        account = account_by_page(conn, "1001")
    assert TOKEN not in stored
    assert account is not None
    # The stored token is what the Graph client sends.
    graph.respond("GET", "/1001/feed", 200, {"data": []})
    assert graph_client(crm, account).get("/1001/feed") == {"data": []}
    assert graph.requests_to("GET", "/1001/feed")[0].headers["authorization"] == f"Bearer {TOKEN}"
    assert TOKEN not in repr(graph_client(crm, account))


def test_a_token_graph_refuses_or_of_another_page_is_a_422_naming_access_token(
    crm: Crm, staff: Staff, graph: GraphServer, client_as: Any
) -> None:
    graph.respond(
        "GET",
        "/me",
        400,
        {
            "error": {
                "message": "Invalid OAuth access token.",
                "type": "OAuthException",
                "code": 190,
            }
        },
        times=1,
    )
    with client_as(staff.admin) as admin:
        refused = admin.post("/p/social/accounts", json={"page_id": "1001", "access_token": TOKEN})
        graph.respond("GET", "/me", 200, {"id": "2002", "name": "Someone else"})
        other = admin.post("/p/social/accounts", json={"page_id": "1001", "access_token": TOKEN})
        listed = admin.get("/p/social/accounts").json()
    assert refused.status_code == 422
    assert refused.json()["field"] == "access_token"
    assert "Invalid OAuth access token" in refused.json()["detail"]
    assert other.status_code == 422 and other.json()["field"] == "access_token"
    assert TOKEN not in refused.text + other.text
    assert listed == []


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"access_token": TOKEN}, "page_id"),
        ({"page_id": "abc", "access_token": TOKEN}, "page_id"),
        ({"page_id": "1001"}, "access_token"),
        ({"page_id": "1001", "access_token": "two words"}, "access_token"),
        ({"page_id": "1001", "access_token": TOKEN, "platform": "tiktok"}, "platform"),
        ({"page_id": "1001", "access_token": TOKEN, "colour": "red"}, "colour"),
    ],
)
def test_bad_connect_input_is_a_422_naming_the_field_before_graph_is_called(
    crm: Crm, staff: Staff, graph: GraphServer, client_as: Any, body: dict[str, Any], field: str
) -> None:
    with client_as(staff.admin) as admin:
        answer = admin.post("/p/social/accounts", json=body)
    assert answer.status_code == 422
    assert answer.json()["field"] == field
    assert graph.requests == []


def test_graph_out_of_reach_while_connecting_is_a_409_and_nothing_is_stored(
    crm: Crm, staff: Staff, graph: GraphServer, client_as: Any
) -> None:
    graph.fail("GET", "/me", 503, times=1)
    with client_as(staff.admin) as admin:
        answer = admin.post("/p/social/accounts", json={"page_id": "1001", "access_token": TOKEN})
        assert admin.get("/p/social/accounts").json() == []
    assert answer.status_code == 409


def test_deactivating_needs_the_current_version_and_refuses_the_pages_deliveries(
    crm: Crm, staff: Staff, page: Any, client_as: Any
) -> None:
    account = page(crm)
    with client_as(staff.admin) as admin:
        stale = admin.patch(f"/p/social/accounts/{account.id}?version=7", json={"active": False})
        done = admin.patch(
            f"/p/social/accounts/{account.id}", json={"active": False}, headers={"If-Match": '"1"'}
        )
        bad = admin.patch(f"/p/social/accounts/{account.id}", json={"active": "no"})
        missing = admin.patch("/p/social/accounts/999?version=1", json={"active": False})
        blind = admin.patch(f"/p/social/accounts/{account.id}", json={"active": True})
    assert blind.status_code == 422 and blind.json()["field"] == "version"
    assert stale.status_code == 409
    assert done.status_code == 200
    assert (done.json()["active"], done.json()["version"]) == (False, 2)
    assert bad.status_code == 422 and bad.json()["field"] == "active"
    assert missing.status_code == 404


def test_only_admins_manage_accounts(crm: Crm, staff: Staff, page: Any, client_as: Any) -> None:
    account = page(crm)
    for actor in (staff.manager, staff.outsider, staff.agent):
        with client_as(actor) as client:
            assert client.get("/p/social/accounts").status_code == 403
            assert (
                client.post(
                    "/p/social/accounts", json={"page_id": "1", "access_token": "x"}
                ).status_code
                == 403
            )
            assert (
                client.patch(f"/p/social/accounts/{account.id}", json={"active": False}).status_code
                == 403
            )
            assert client.get("/p/social/page/accounts").status_code == 403


def test_the_accounts_page_lists_connects_and_deactivates(
    crm: Crm, staff: Staff, graph: GraphServer, client_as: Any
) -> None:
    meta_knows_the_page(graph, "3003", "Autohaus Süd")
    with client_as(staff.admin) as admin:
        empty = admin.get("/p/social/page/accounts")
        csrf = _csrf(empty.text)
        made = admin.post(
            "/p/social/page/accounts",
            data={
                "csrf_token": csrf,
                "platform": "facebook",
                "page_id": "3003",
                "access_token": TOKEN,
            },
            follow_redirects=False,
        )
        listed = admin.get("/p/social/page/accounts")
        graph.respond("GET", "/me", 200, {"id": "9", "name": "x"})
        refused = admin.post(
            "/p/social/page/accounts",
            data={
                "csrf_token": csrf,
                "platform": "facebook",
                "page_id": "4004",
                "access_token": TOKEN,
            },
        )
        switched = admin.post(
            "/p/social/page/accounts/1/active",
            data={"csrf_token": csrf, "version": "1", "active": "false"},
            follow_redirects=False,
        )
        after = admin.get("/p/social/page/accounts")
    assert "No page is connected yet" in empty.text
    assert made.status_code == 303
    assert "Autohaus Süd" in listed.text and "3003" in listed.text
    assert refused.status_code == 422
    assert "not the access token of this page" in refused.text
    for text in (listed.text, refused.text, after.text):
        assert TOKEN not in text
    assert switched.status_code == 303
    assert "Activate" in after.text


def _csrf(html: str) -> str:
    import re

    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    return found.group(1) if found else ""


def test_every_input_is_bounded_and_the_callback_is_documented_as_public(
    crm: Crm, staff: Staff, client_as: Any
) -> None:
    from crmkit.testing import unbounded_inputs

    with client_as(staff.admin) as admin:
        spec = admin.get("/api/openapi.json").json()
    assert unbounded_inputs(spec, "/p/social/accounts") == []
    assert unbounded_inputs(spec, "/p/social/webhooks") == []
    callback = spec["paths"]["/p/social/webhooks/meta"]
    assert callback["post"]["security"] == [] and callback["get"]["security"] == []
    assert any(p["name"] == "X-Hub-Signature-256" for p in callback["post"]["parameters"])
    assert "413" in callback["post"]["responses"]
