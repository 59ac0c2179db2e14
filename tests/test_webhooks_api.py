"""Webhooks over the API and in the admin page: for holders of ``core:webhook.admin`` only."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from crmkit.app import Crm
from crmkit.core.actors import Actor
from crmkit.core.auth import create_token
from crmkit.core.parties import build_party, create_party
from crmkit.core.signatures import verify
from crmkit.core.users import User, create_user
from crmkit.core.webhook_delivery import DeliveryPolicy, deliver_webhooks
from crmkit.core.webhooks import list_subscriptions
from crmkit.testing import http_client
from tests.webhook_receiver import Receiver, receiving

PROBLEM = "application/problem+json"


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with receiving() as found:
        yield found


def user(crm: Crm, username: str, role: str) -> Actor:
    with crm.transaction() as tx:
        made = create_user(tx, User(username=username, display_name=username, role=role))
    return Actor(user_id=made.id, username=username, role=role)


def problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    body: dict[str, Any] = response.json()
    return body


def test_an_admin_subscribes_sees_deliveries_tests_and_redelivers(
    crm: Crm, client_as: Callable[[Actor], Any], receiver: Receiver
) -> None:
    ada = user(crm, "ada", "admin")
    with client_as(ada) as client:
        created = client.post(
            "/api/v1/webhooks",
            json={"url": receiver.url, "event_types": ["prospect.created"], "description": "ERP"},
        )
        assert created.status_code == 201, created.text
        secret = created.json()["secret"]
        webhook_id = created.json()["subscription"]["id"]
        assert client.get(f"/api/v1/webhooks/{webhook_id}").json()["url"] == receiver.url
        assert "secret" not in client.get("/api/v1/webhooks").json()[0]

        tested = client.post(f"/api/v1/webhooks/{webhook_id}/test")
        assert tested.json()["status"] == 204
        assert verify(secret, receiver.received[0].headers, receiver.received[0].body)

        with crm.transaction() as tx:
            data = {"first_name": "Ann", "last_name": "Hook", "emails": ["ann@example.org"]}
            create_party(tx, build_party("prospect", data, region="DE"))
        deliver_webhooks(crm, DeliveryPolicy())
        (delivery,) = client.get(f"/api/v1/webhooks/{webhook_id}/deliveries").json()["items"]
        assert (delivery["status"], delivery["event_type"]) == ("succeeded", "prospect.created")

        again = client.post(f"/api/v1/webhooks/deliveries/{delivery['id']}/redeliver")
        assert again.json()["status"] == "pending"
        deliver_webhooks(crm, DeliveryPolicy())
        assert receiver.ids()[1:] == [delivery["message_id"]] * 2

        disabled = client.patch(f"/api/v1/webhooks/{webhook_id}", json={"active": False})
        assert disabled.json()["active"] is False

        page = client.get("/admin/webhooks")
        assert page.status_code == 200
        assert delivery["message_id"] in page.text and "Redeliver" in page.text
        button = f"/admin/webhooks/deliveries/{delivery['id']}/redeliver"
        assert f'action="{button}"' in page.text
        pressed = client.post(button, follow_redirects=False)
        assert (pressed.status_code, pressed.headers["location"]) == (303, "/admin/webhooks")
        logged = client.get(f"/api/v1/webhooks/deliveries/{delivery['id']}").json()
        assert logged["status"] == "pending"
        assert 'href="/admin/webhooks"' in client.get("/").text, "in the admin's menu"


def test_an_admin_subscribes_tests_and_disables_on_the_page(
    crm: Crm, client_as: Callable[[Actor], Any], receiver: Receiver
) -> None:
    ada = user(crm, "ada", "admin")
    with client_as(ada) as client:
        refused = client.post(
            "/admin/webhooks", data={"url": "ftp://example.org", "event_types": "*"}
        )
        unknown_type = client.post(
            "/admin/webhooks", data={"url": receiver.url, "event_types": "*, nope.done"}
        )
        subscribed = client.post(
            "/admin/webhooks",
            data={"url": receiver.url, "event_types": "prospect.created, party.merged"},
        )
        (listed,) = client.get("/api/v1/webhooks").json()
        tested = client.post(f"/admin/webhooks/{listed['id']}/test")
        disabled = client.post(
            f"/admin/webhooks/{listed['id']}/activity",
            data={"active": "no"},
            follow_redirects=False,
        )
        after_disabling = client.get(f"/api/v1/webhooks/{listed['id']}").json()
        client.post(f"/admin/webhooks/{listed['id']}/activity", data={"active": "yes"})
        after_enabling = client.get(f"/api/v1/webhooks/{listed['id']}").json()

    assert refused.status_code == 422 and 'aria-invalid="true"' in refused.text
    assert 'value="ftp://example.org"' in refused.text, "the form keeps what was typed"
    assert unknown_type.status_code == 422 and "nope.done" in unknown_type.text
    assert subscribed.status_code == 201
    assert listed["event_types"] == ["prospect.created", "party.merged"]
    (secret,) = re.findall(r'<code class="secret">([^<]+)</code>', subscribed.text)
    assert verify(secret, receiver.received[0].headers, receiver.received[0].body)
    assert tested.status_code == 200 and "HTTP 204" in tested.text
    assert disabled.status_code == 303 and after_disabling["active"] is False
    assert after_enabling["active"] is True


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"url": "ftp://example.org", "event_types": ["*"]}, "url"),
        ({"url": "http://[::1/hook", "event_types": ["*"]}, "url"),
        ({"url": "http://example.org:99999/", "event_types": ["*"]}, "url"),
        ({"url": "https://example.org/\ud800", "event_types": ["*"]}, "url"),
        ({"url": "https://example.org", "event_types": ["*"], "entity": "a\u0000b"}, "entity"),
        ({"url": "https://example.org", "event_types": ["*"], "entity": "prospekt"}, "entity"),
        ({"url": "https://example.org", "event_types": []}, "event_types"),
        ({"url": "https://example.org", "event_types": ["nope.done"]}, "event_types"),
        ({"url": "https://example.org", "event_types": ["*", "*"]}, "event_types"),
        ({"url": "https://example.org", "event_types": ["*"], "secret": "s3cret"}, "secret"),
        ({"event_types": ["*"]}, "url"),
        ({"url": "https://example.org", "event_types": ["*"], "colour": "red"}, "colour"),
    ],
)
def test_bad_input_is_a_422_naming_the_field_and_adds_nothing(
    crm: Crm, client_as: Callable[[Actor], Any], body: dict[str, Any], field: str
) -> None:
    with client_as(user(crm, "ada", "admin")) as client:
        # Sent as JSON escapes, which carry text (a lone surrogate) no encoder would.
        sent = json.dumps(body)
        headers = {"content-type": "application/json"}
        refused = problem(client.post("/api/v1/webhooks", content=sent, headers=headers), 422)
        assert field in refused["detail"]
        assert client.get("/api/v1/webhooks").json() == []


def test_an_entity_no_event_type_is_about_is_refused_naming_the_known_ones(
    crm: Crm, client_as: Callable[[Actor], Any]
) -> None:
    with client_as(user(crm, "ada", "admin")) as client:
        body = {"url": "https://example.org", "event_types": ["*"], "entity": "prospekt"}
        refused = problem(client.post("/api/v1/webhooks", json=body), 422)
        on_the_page = client.post(
            "/admin/webhooks",
            data={"url": "https://example.org", "event_types": "*", "entity": "bogus"},
        )
        # The kernel's kinds and a default plugin's, which its event types declare.
        accepted = [
            client.post("/api/v1/webhooks", json=body | {"entity": entity}).status_code
            for entity in ("customer", "task")
        ]
        listed = client.get("/api/v1/webhooks").json()
    assert "entity" in refused["detail"]
    assert "prospect" in refused["detail"] and "match_review" in refused["detail"]
    assert on_the_page.status_code == 422 and 'id="entity-error"' in on_the_page.text
    assert "bogus" in on_the_page.text and "customer" in on_the_page.text
    assert accepted == [201, 201]
    assert [s["entity"] for s in listed] == ["customer", "task"]


@pytest.mark.parametrize("form", [{"active": "maybe"}, {}])
def test_the_activity_button_takes_only_yes_or_no(
    crm: Crm, client_as: Callable[[Actor], Any], form: dict[str, str]
) -> None:
    with client_as(user(crm, "ada", "admin")) as client:
        body = {"url": "https://example.org", "event_types": ["*"]}
        webhook_id = client.post("/api/v1/webhooks", json=body).json()["subscription"]["id"]
        refused = client.post(
            f"/admin/webhooks/{webhook_id}/activity", data=form, follow_redirects=False
        )
        after = client.get(f"/api/v1/webhooks/{webhook_id}").json()
    assert refused.status_code == 422 and 'id="active-error"' in refused.text
    assert "expected yes (enable) or no (disable)" in refused.text
    assert after["active"] is True and after["disabled_reason"] is None


def test_the_url_label_says_what_is_checked(crm: Crm, client_as: Callable[[Actor], Any]) -> None:
    with client_as(user(crm, "ada", "admin")) as client:
        page = client.get("/admin/webhooks").text
        subscribed = client.post(
            "/admin/webhooks", data={"url": "http://example.org/hook", "event_types": "*"}
        )
    assert "URL (an absolute http:// or https:// address)" in page
    assert subscribed.status_code == 201, "a public http address is accepted, as the label says"


def test_only_webhook_admins_may_manage_webhooks(
    crm: Crm, client_as: Callable[[Actor], Any]
) -> None:
    with client_as(user(crm, "mia", "manager")) as client:
        problem(client.get("/api/v1/webhooks"), 403)
        body = {"url": "https://example.org", "event_types": ["*"]}
        problem(client.post("/api/v1/webhooks", json=body), 403)
        assert client.get("/admin/webhooks").status_code == 403
        form = {"url": "https://example.org", "event_types": "*"}
        assert client.post("/admin/webhooks", data=form).status_code == 403
        assert client.post("/admin/webhooks/1/test").status_code == 403
        assert client.post("/admin/webhooks/1/activity", data={"active": "no"}).status_code == 403
        assert "/admin/webhooks" not in client.get("/").text
    with crm.read() as conn:
        assert list_subscriptions(conn) == []


def test_a_token_whose_scope_is_too_small_is_told_so_not_its_role(crm: Crm) -> None:
    user(crm, "ada", "admin")
    with crm.transaction() as tx:
        write = create_token(tx, "ada", "help desk", ["write"]).token
        admin = create_token(tx, "ada", "ops", ["admin"]).token
    body = {"url": "https://example.org/hook", "event_types": ["prospect.created"]}
    with http_client(crm) as client:
        refused = client.post(
            "/api/v1/webhooks", json=body, headers={"authorization": f"Bearer {write}"}
        )
        detail = problem(refused, 403)["detail"]
        assert "scope (write)" in detail and "needs admin" in detail
        assert "ada may not" not in detail
        by_admin = {"authorization": f"Bearer {admin}"}
        assert client.get("/api/v1/webhooks", headers=by_admin).json() == []
        created = client.post("/api/v1/webhooks", json=body, headers=by_admin)
        assert created.status_code == 201, created.text


def test_a_role_without_the_permission_is_still_named_with_an_admin_scope_token(
    crm: Crm,
) -> None:
    user(crm, "mia", "manager")
    with crm.transaction() as tx:
        token = create_token(tx, "mia", "ops", ["admin"]).token
    with http_client(crm) as client:
        refused = client.get("/api/v1/webhooks", headers={"authorization": f"Bearer {token}"})
        assert problem(refused, 403)["detail"] == "mia may not core:webhook.admin"
