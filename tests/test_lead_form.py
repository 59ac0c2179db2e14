"""The public lead form: enquiries through the intake pipeline, a honeypot, a rate limit, double opt-in."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
from sqlalchemy import func, select

from crmkit.app import Crm
from crmkit.core.consent import consents_of
from crmkit.core.tables import interaction, outbox, party
from crmkit.core.web_leads import FORM_LIMIT
from crmkit.testing import http_client

PROBLEM = "application/problem+json"
ANNA = {
    "first_name": "Anna",
    "last_name": "Schmidt",
    "email": "anna.schmidt@gmail.com",
    "phone": "+49 30 1234567",
    "message": "Please call me about your offer.",
}


def count(crm: Crm, table: Any = party) -> int:
    with crm.read() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


def consent_link(crm: Crm) -> str:
    with crm.read() as conn:
        payload = conn.execute(
            select(outbox.c.payload).where(outbox.c.event_type == "core.consent_requested")
        ).scalar_one()
    path: str = payload["confirm_path"]
    return path


def test_form_is_served_without_login_with_a_hidden_honeypot(crm):
    page = http_client(crm).get("/forms/lead")

    assert page.status_code == 200
    assert re.search(r'<div class="hidden" aria-hidden="true">.*name="website"', page.text, re.S)
    assert 'name="csrf_token"' not in page.text


def test_json_enquiry_becomes_a_prospect_with_its_message_on_the_timeline(crm):
    response = http_client(crm).post("/forms/lead", json=ANNA)

    assert response.status_code == 202 and response.json() == {"status": "received"}
    with crm.read() as conn:
        stored = conn.execute(select(party)).one()
        message = conn.execute(select(interaction)).one()
    assert (stored.role, stored.display_name, stored.source) == (
        "prospect",
        "Anna Schmidt",
        "web-form",
    )
    assert stored.first_contact_due_at is not None and stored.score_band is not None
    assert (message.party_id, message.direction, message.summary) == (
        stored.id,
        "inbound",
        ANNA["message"],
    )
    assert stored.first_contacted_at is None  # the visitor wrote; nobody has contacted them yet


def test_html_enquiry_answers_with_a_thank_you_page(crm):
    response = http_client(crm).post("/forms/lead", data=ANNA)

    assert response.status_code == 200 and "Thank you" in response.text
    assert count(crm) == 1


def test_filled_honeypot_answers_like_success_and_stores_nothing(crm):
    client = http_client(crm)

    as_json = client.post("/forms/lead", json={**ANNA, "website": "http://spam.example"})
    as_form = client.post("/forms/lead", data={**ANNA, "website": "http://spam.example"})

    assert as_json.status_code == 202 and as_json.json() == {"status": "received"}
    assert as_form.status_code == 200 and "Thank you" in as_form.text
    assert count(crm) == 0 and count(crm, interaction) == 0


def test_too_many_enquiries_from_one_address_are_refused_with_retry_after(crm):
    client = http_client(crm)
    bot = {**ANNA, "website": "x"}  # honeypot posts count against the budget too
    answers = [client.post("/forms/lead", json=bot).status_code for _ in range(FORM_LIMIT.attempts)]

    refused = client.post("/forms/lead", json=ANNA)
    refused_page = client.post("/forms/lead", data=ANNA)

    assert answers == [202] * FORM_LIMIT.attempts
    assert refused.status_code == 429 and refused.headers["content-type"] == PROBLEM
    assert 0 < int(refused.headers["retry-after"]) <= FORM_LIMIT.window.total_seconds() + 1
    assert refused_page.status_code == 429 and "too many enquiries" in refused_page.text
    assert count(crm) == 0


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"first_name": "Anna", "last_name": "Schmidt"}, "email"),
        ({**ANNA, "fax": "123"}, "fax"),
        ({**ANNA, "message": 42}, "message"),
        ({**ANNA, "email": None, "phone": "+49 30 1234567", "marketing_consent": True}, "email"),
        ({**ANNA, "email": "nobody", "phone": None}, "email"),
    ],
)
def test_invalid_enquiry_is_a_problem_naming_the_field_and_stores_nothing(crm, body, field):
    response = http_client(crm).post("/forms/lead", json=body)

    assert response.status_code == 422 and response.headers["content-type"] == PROBLEM
    assert response.json()["field"] == field
    assert count(crm) == 0


def test_invalid_form_is_shown_again_with_the_error_at_its_field(crm):
    response = http_client(crm).post("/forms/lead", data={"first_name": "Anna", "last_name": "Lee"})

    assert response.status_code == 422
    assert (
        'id="email" name="email" type="email" value="" autocomplete="email" aria-invalid="true"'
        in response.text
    )
    assert 'value="Anna"' in response.text


def test_form_text_a_database_cannot_store_is_refused_naming_the_field(crm):
    response = http_client(crm).post(
        "/forms/lead",
        content=b"last_name=Lee&email=lee%40gmail.com&city=Ber%00lin",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )

    assert response.status_code == 422
    assert re.search(r'id="city"[^>]*aria-invalid="true"', response.text)
    assert "NUL characters" in response.text
    assert count(crm) == 0


def test_post_from_another_site_is_refused(crm):
    client = http_client(crm)

    foreign = client.post("/forms/lead", data=ANNA, headers={"Origin": "https://evil.example"})
    own = client.post("/forms/lead", data=ANNA, headers={"Origin": "http://testserver"})

    assert foreign.status_code == 403
    assert own.status_code == 200 and count(crm) == 1


def test_marketing_consent_stays_pending_until_the_visitor_confirms(crm):
    client = http_client(crm)
    client.post("/forms/lead", json={**ANNA, "marketing_consent": True})
    with crm.read() as conn:
        party_id = conn.execute(select(party.c.id)).scalar_one()
        pending = consents_of(conn, party_id)
    link = consent_link(crm)
    token = parse_qs(urlparse(link).query)["token"][0]

    page = client.get(link)
    confirmed = client.post("/forms/consent/confirm", data={"token": token})
    reused = client.post("/forms/consent/confirm", data={"token": token})

    assert [(c.purpose, c.channel, c.status, c.source) for c in pending] == [
        ("marketing", "email", "pending", "web-form")
    ]
    assert page.status_code == 200 and f'value="{token}"' in page.text
    assert confirmed.status_code == 200 and "Thank you" in confirmed.text
    assert reused.status_code == 404
    with crm.read() as conn:
        assert [c.status for c in consents_of(conn, party_id)] == ["granted"]


def test_opening_the_confirmation_link_alone_grants_nothing(crm):
    client = http_client(crm)
    client.post("/forms/lead", json={**ANNA, "marketing_consent": True})

    client.get(consent_link(crm))

    with crm.read() as conn:
        party_id = conn.execute(select(party.c.id)).scalar_one()
        assert [c.status for c in consents_of(conn, party_id)] == ["pending"]


def test_enquiry_without_the_box_ticked_requests_no_consent(crm):
    http_client(crm).post("/forms/lead", data=ANNA)

    with crm.read() as conn:
        party_id = conn.execute(select(party.c.id)).scalar_one()
        assert consents_of(conn, party_id) == []
        assert (
            conn.execute(
                select(outbox).where(outbox.c.event_type == "core.consent_requested")
            ).first()
            is None
        )
