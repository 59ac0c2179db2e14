"""Accepting deliveries: each change stored once by its key, unknown pages refused and kept
visible, bad input refused with a clear problem; the inbox API for admins."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import select

from crmkit import Crm
from crmkit.testing import http_client

from .conftest import Staff, delivery, hub_signature, leadgen


@pytest.fixture
def crm(social_crm: Crm) -> Crm:
    """The tests' CRM (and so ``staff`` and ``client_as``) is the configured one."""
    return social_crm


def rows(crm: Crm) -> list[Any]:
    from crmkit_social.webhooks.tables import change_table

    with crm.read() as conn:
        return list(conn.execute(select(change_table).order_by(change_table.c.id)))


def test_a_batched_delivery_stores_each_change_with_its_page_field_and_time(
    crm: Crm, page: Any, post_delivery: Any
) -> None:
    page(crm)
    payload = {
        "object": "page",
        "entry": [
            {"id": "1001", "time": 1733500000, "changes": [leadgen("1"), leadgen("2")]},
            {
                "id": "1001",
                "time": 1733500001,
                "messaging": [
                    {
                        "sender": {"id": "psid-7"},
                        "recipient": {"id": "1001"},
                        "timestamp": 1733500002123,
                        "message": {"mid": "m_abc", "text": "Hallo"},
                    }
                ],
            },
        ],
    }
    with http_client(crm) as client:
        answer = post_delivery(client, payload)
    assert answer.status_code == 200
    assert answer.json() == {"received": 3, "stored": 3}
    found = rows(crm)
    assert [(r.page_id, r.field, r.state) for r in found] == [
        ("1001", "leadgen", "pending"),
        ("1001", "leadgen", "pending"),
        ("1001", "messages", "pending"),
    ]
    assert [r.key for r in found[:2]] == ["leadgen:1", "leadgen:2"]
    assert found[2].value["message"]["text"] == "Hallo"
    assert found[2].time.isoformat() == "2024-12-06T15:46:42.123000+00:00"
    assert found[0].time.isoformat() == "2024-12-06T15:46:40+00:00"


def test_a_resent_delivery_is_answered_200_without_a_second_row(
    crm: Crm, page: Any, post_delivery: Any
) -> None:
    page(crm)
    comment = {
        "field": "feed",
        "value": {
            "item": "comment",
            "verb": "add",
            "comment_id": "5_6",
            "message": "Preis?",
            "created_time": 1733500000,
        },
    }
    with http_client(crm) as client:
        first = post_delivery(client, delivery("1001", leadgen("77"), comment))
        # Meta resends the same changes, this time batched with a new one.
        again = post_delivery(client, delivery("1001", comment, leadgen("77"), leadgen("78")))
    assert first.json() == {"received": 2, "stored": 2}
    assert again.status_code == 200
    assert again.json() == {"received": 3, "stored": 1}
    assert sorted(r.key for r in rows(crm) if r.field == "leadgen") == ["leadgen:77", "leadgen:78"]
    assert len(rows(crm)) == 3


def test_changes_of_an_unknown_or_deactivated_page_are_stored_as_refused_with_the_reason(
    crm: Crm, page: Any, post_delivery: Any
) -> None:
    from crmkit_social.accounts.service import set_active

    account = page(crm, page_id="2002")
    with crm.transaction() as tx:
        set_active(tx, account.id, False, None)
    with http_client(crm) as client:
        answer = post_delivery(
            client,
            {
                "object": "page",
                "entry": [
                    {"id": "9999", "time": 1733500000, "changes": [leadgen("1", page_id="9999")]},
                    {"id": "2002", "time": 1733500000, "changes": [leadgen("2", page_id="2002")]},
                ],
            },
        )
    assert answer.status_code == 200
    assert [(r.page_id, r.state, r.reason) for r in rows(crm)] == [
        ("9999", "refused", "unknown page 9999: no connected account"),
        ("2002", "refused", "page 2002 is deactivated"),
    ]


def test_a_field_without_a_handler_is_kept_as_ignored(
    crm: Crm, page: Any, post_delivery: Any
) -> None:
    page(crm)
    with http_client(crm) as client:
        post_delivery(client, delivery("1001", {"field": "ratings", "value": {"rating": 5}}))
    (row,) = rows(crm)
    assert (row.state, row.reason) == ("ignored", "no handler for the field 'ratings'")


def test_an_oversized_delivery_is_refused_with_413_and_nothing_is_stored(
    make_social: Any, social_settings: dict[str, Any], page: Any, post_delivery: Any
) -> None:
    settings = {
        **social_settings,
        "webhooks": {**social_settings["webhooks"], "max_body_bytes": 2000},
    }
    crm = make_social(social=settings)
    page(crm)
    big = delivery("1001", {"field": "feed", "value": {"message": "x" * 3000}})
    with http_client(crm) as client:
        answer = post_delivery(client, big)
        fits = post_delivery(client, delivery("1001", leadgen("1")))
    assert answer.status_code == 413
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert "2000" in answer.json()["detail"]
    assert fits.status_code == 200
    assert [r.key for r in rows(crm)] == ["leadgen:1"]


def test_malformed_json_is_a_400_problem(crm: Crm, post_delivery: Any) -> None:
    with http_client(crm) as client:
        answer = post_delivery(client, b'{"object": "page", "entry": [')
    assert answer.status_code == 400
    assert answer.headers["content-type"].startswith("application/problem+json")


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"entry": []}, "object"),
        ({"object": "page", "entry": {}}, "entry"),
        ({"object": "page", "entry": [{"time": 1}]}, "entry[0].id"),
        ({"object": "page", "entry": [{"id": "1", "time": "x"}]}, "entry[0].time"),
        (
            {"object": "page", "entry": [{"id": "1", "time": 1, "changes": [{"value": {}}]}]},
            "entry[0].changes[0].field",
        ),
        (
            {
                "object": "page",
                "entry": [{"id": "1", "time": 1, "changes": [{"field": "feed", "value": 3}]}],
            },
            "entry[0].changes[0].value",
        ),
        ({"object": "page", "entry": [{"id": "1", "changes": "x"}]}, "entry[0].changes"),
        ({"object": "page", "entry": [{"id": "1", "messaging": {}}]}, "entry[0].messaging"),
        (
            {
                "object": "page",
                "entry": [
                    {"id": "1", "changes": [{"field": "leadgen", "value": {"form_id": "1"}}]}
                ],
            },
            "entry[0].changes[0].value.leadgen_id",
        ),
        (
            {
                "object": "page",
                "entry": [
                    {"id": "1", "changes": [{"field": "leadgen", "value": {"leadgen_id": " "}}]}
                ],
            },
            "entry[0].changes[0].value.leadgen_id",
        ),
    ],
)
def test_a_delivery_of_the_wrong_shape_is_a_422_naming_the_field(
    crm: Crm, post_delivery: Any, payload: dict[str, Any], field: str
) -> None:
    with http_client(crm) as client:
        answer = post_delivery(client, payload)
    assert answer.status_code == 422
    assert answer.json()["field"] == field
    assert rows(crm) == []


def test_the_signature_is_over_the_bytes_received(crm: Crm, page: Any) -> None:
    page(crm)
    body = json.dumps(delivery("1001", leadgen("5"))).encode()
    with http_client(crm) as client:
        answer = client.post(
            "/p/social/webhooks/meta",
            content=body + b" ",
            headers={
                "content-type": "application/json",
                "x-hub-signature-256": hub_signature(body),
            },
        )
    assert answer.status_code == 403
    assert rows(crm) == []


# --- the inbox API


def test_admins_list_count_read_and_retry_changes_others_may_not(
    crm: Crm, staff: Staff, page: Any, post_delivery: Any, client_as: Any
) -> None:
    page(crm)
    with http_client(crm) as client:
        post_delivery(
            client,
            {
                "object": "page",
                "entry": [
                    {"id": "9999", "time": 1733500000, "changes": [leadgen("1", page_id="9999")]},
                    {"id": "1001", "time": 1733500000, "changes": [leadgen("2")]},
                ],
            },
        )
    refused, pending = rows(crm)
    with client_as(staff.admin) as admin:
        listed = admin.get("/p/social/webhooks/changes", params={"state": "refused"}).json()
        counts = admin.get("/p/social/webhooks/changes/counts").json()
        detail = admin.get(f"/p/social/webhooks/changes/{refused.id}").json()
        not_now = admin.post(f"/p/social/webhooks/changes/{pending.id}/retry")
        retried = admin.post(f"/p/social/webhooks/changes/{refused.id}/retry")
        bad_state = admin.get("/p/social/webhooks/changes", params={"state": "lost"})
        missing = admin.get("/p/social/webhooks/changes/123456")
    assert [c["key"] for c in listed["items"]] == ["leadgen:1"]
    assert listed["items"][0]["reason"] == "unknown page 9999: no connected account"
    assert "value" not in listed["items"][0]
    assert counts == {"pending": 1, "processed": 0, "ignored": 0, "refused": 1, "failed": 0}
    assert detail["value"]["leadgen_id"] == "1"
    assert not_now.status_code == 409
    assert retried.status_code == 200
    assert retried.json()["change"]["state"] == "pending"
    assert bad_state.status_code == 422 and bad_state.json()["field"] == "state"
    assert missing.status_code == 404
    for actor in (staff.manager, staff.agent):
        with client_as(actor) as other:
            assert other.get("/p/social/webhooks/changes").status_code == 403
            assert other.post(f"/p/social/webhooks/changes/{refused.id}/retry").status_code == 403


def test_the_inbox_page_shows_each_state_with_its_reason_and_retries(
    crm: Crm, staff: Staff, page: Any, post_delivery: Any, client_as: Any
) -> None:
    page(crm)
    with http_client(crm) as client:
        post_delivery(client, delivery("7777", leadgen("1", page_id="7777")))
    (refused,) = rows(crm)
    with client_as(staff.admin) as admin:
        listed = admin.get("/p/social/page/inbox?state=refused")
        bad = admin.get("/p/social/page/inbox?state=lost")
        retried = admin.post(
            f"/p/social/page/inbox/{refused.id}/retry",
            data={"state": "refused"},
            follow_redirects=False,
        )
        after = admin.get("/p/social/page/inbox?state=pending")
    assert listed.status_code == 200
    assert "unknown page 7777: no connected account" in listed.text
    assert "refused (1)" in listed.text and "Retry" in listed.text
    assert bad.status_code == 422
    assert retried.status_code == 303
    assert retried.headers["location"].endswith("/p/social/page/inbox?state=refused")
    assert "retried by hand" in after.text
    with client_as(staff.manager) as manager:
        assert manager.get("/p/social/page/inbox").status_code == 403
