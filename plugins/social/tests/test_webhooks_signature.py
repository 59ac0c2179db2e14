"""Meta's callback: the handshake and ``X-Hub-Signature-256`` checked over the raw body.

The vectors were computed from the documented algorithm (HMAC-SHA256 of the body as received,
keyed with the App Secret, hex) with ``openssl dgst -sha256 -hmac``, not with the code tested.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import func, select

from crmkit import Crm
from crmkit.testing import http_client

from .conftest import TEST_APP_SECRET, TEST_VERIFY_TOKEN

CALLBACK = "/p/social/webhooks/meta"

# Meta escapes every non-ASCII character (here ü, ß and a car emoji as a surrogate pair).
ESCAPED_BODY = (
    b'{"object":"page","entry":[{"id":"1001","time":1733500000,"changes":[{"field":"feed",'
    b'"value":{"item":"comment","verb":"add","message":"Gr\\u00fc\\u00dfe aus M\\u00fcnchen '
    b'\\ud83d\\ude97","from":{"id":"7001","name":"J\\u00fcrgen"},"post_id":"1001_55",'
    b'"comment_id":"55_66","created_time":1733500000}}]}]}'
)
ESCAPED_SIGNATURE = "sha256=fa983c5922efc87517960ef47571ecadc857a663266d585175bf47e1b7b0bd9b"
EMPTY_BODY = b'{"object":"page","entry":[]}'
EMPTY_SIGNATURE = "sha256=3b538940d578e3a6da5fd917b2404898ccc2ea40d2fde5e2f490da52d8600d8c"
EMPTY_SHA1 = "sha1=fb5782240250e3c444dca13e4218f476903bcf10"


def stored(crm: Crm) -> int:
    from crmkit_social.webhooks.tables import change_table

    with crm.read() as conn:
        return int(conn.execute(select(func.count()).select_from(change_table)).scalar_one())


def post(client: Any, body: bytes, **headers: str) -> Any:
    return client.post(
        CALLBACK, content=body, headers={"content-type": "application/json", **headers}
    )


def test_the_secret_in_the_tests_is_the_one_the_vectors_were_made_with() -> None:
    assert TEST_APP_SECRET == "test-app-secret-3f9a"


def test_a_body_with_escaped_non_ascii_is_taken_with_its_signature(
    social_crm: Crm, page: Any
) -> None:
    page(social_crm)
    with http_client(social_crm) as client:
        answer = post(client, ESCAPED_BODY, **{"x-hub-signature-256": ESCAPED_SIGNATURE})
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"received": 1, "stored": 1}
    from crmkit_social.webhooks.tables import change_table

    with social_crm.read() as conn:
        value = conn.execute(select(change_table.c.value)).scalar_one()
    assert value["message"] == "Grüße aus München \U0001f697"


def test_the_same_text_re_serialised_as_utf8_does_not_match_the_signature(
    social_crm: Crm, page: Any
) -> None:
    page(social_crm)
    reencoded = json.dumps(json.loads(ESCAPED_BODY), ensure_ascii=False, separators=(",", ":"))
    assert reencoded.encode() != ESCAPED_BODY
    with http_client(social_crm) as client:
        answer = post(client, reencoded.encode(), **{"x-hub-signature-256": ESCAPED_SIGNATURE})
    assert answer.status_code == 403
    assert answer.json()["title"] == "Signature mismatch"
    assert stored(social_crm) == 0


@pytest.mark.parametrize(
    ("headers", "title"),
    [
        ({}, "Signature missing"),
        ({"x-hub-signature": EMPTY_SHA1}, "Signature missing"),  # the legacy sha1 alone
        ({"x-hub-signature-256": EMPTY_SHA1}, "Signature missing"),
        ({"x-hub-signature-256": "sha256=" + "0" * 64}, "Signature mismatch"),
        ({"x-hub-signature-256": EMPTY_SIGNATURE[:-1] + "d"}, "Signature mismatch"),
    ],
)
def test_a_missing_legacy_or_wrong_signature_is_refused_and_nothing_is_stored(
    social_crm: Crm, page: Any, headers: dict[str, str], title: str
) -> None:
    page(social_crm)
    with http_client(social_crm) as client:
        answer = post(client, EMPTY_BODY, **headers)
    assert answer.status_code == 403
    assert answer.json()["title"] == title
    assert "test-app-secret" not in answer.text


def test_the_documented_vector_of_an_empty_delivery_is_taken(social_crm: Crm) -> None:
    with http_client(social_crm) as client:
        answer = post(client, EMPTY_BODY, **{"x-hub-signature-256": EMPTY_SIGNATURE})
        upper = post(
            client,
            EMPTY_BODY,
            **{
                "x-hub-signature-256": EMPTY_SIGNATURE.upper()[:6].lower()
                + EMPTY_SIGNATURE[6:].upper()
            },
        )
    assert answer.status_code == 200
    assert answer.json() == {"received": 0, "stored": 0}
    assert upper.status_code == 200  # hex digits in either case


def test_without_an_app_secret_deliveries_are_answered_503_and_nothing_is_stored(
    make_social: Any, social_settings: dict[str, Any]
) -> None:
    settings = {**social_settings, "accounts": {**social_settings["accounts"], "app_secret": ""}}
    crm = make_social(social=settings)
    with http_client(crm) as client:
        answer = post(client, EMPTY_BODY, **{"x-hub-signature-256": EMPTY_SIGNATURE})
    assert answer.status_code == 503
    assert stored(crm) == 0


# --- the handshake


@pytest.mark.parametrize("style", ["hub.", "hub_"])
def test_the_handshake_answers_the_raw_challenge_as_plain_text(social_crm: Crm, style: str) -> None:
    query = {
        f"{style}mode": "subscribe",
        f"{style}verify_token": TEST_VERIFY_TOKEN,
        f"{style}challenge": "1158201444",
    }
    with http_client(social_crm) as client:
        answer = client.get(CALLBACK, params=query)
    assert answer.status_code == 200
    assert answer.text == "1158201444"
    assert answer.headers["content-type"].startswith("text/plain")


@pytest.mark.parametrize(
    "query",
    [
        {"hub.mode": "subscribe", "hub.verify_token": "wrong", "hub.challenge": "1"},
        {"hub.mode": "unsubscribe", "hub.verify_token": TEST_VERIFY_TOKEN, "hub.challenge": "1"},
        {"hub.mode": "subscribe", "hub.challenge": "1"},
        {"hub.mode": "subscribe", "hub.verify_token": TEST_VERIFY_TOKEN},
    ],
)
def test_a_handshake_with_a_wrong_token_or_mode_is_refused(
    social_crm: Crm, query: dict[str, str]
) -> None:
    with http_client(social_crm) as client:
        answer = client.get(CALLBACK, params=query)
    assert answer.status_code == 403
    assert TEST_VERIFY_TOKEN not in answer.text


def test_without_a_verify_token_the_handshake_is_answered_503(make_social: Any) -> None:
    crm = make_social()
    with http_client(crm) as client:
        answer = client.get(
            CALLBACK, params={"hub.mode": "subscribe", "hub.verify_token": "", "hub.challenge": "1"}
        )
    assert answer.status_code == 503
