"""Responses: a landing page's API call and the public response page, into the kernel's intake."""

from __future__ import annotations

import re
from html import unescape
from typing import Any

from crmkit_campaigns.campaigns.tables import member
from crmkit_campaigns.results.links import member_token, response_url
from crmkit_campaigns.results.tables import response
from sqlalchemy import func, select

from crmkit import Crm, consents_of, interaction_table, party_table

PERSON = {
    "first_name": "Jonas",
    "last_name": "Weber",
    "emails": ["jonas.weber@web.de"],
    "addresses": [
        {"street": "Hauptstraße 12", "postcode": "10115", "city": "Berlin", "country": "DE"}
    ],
}


def count(crm: Crm, table: Any) -> int:
    with crm.read() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


def member_row(crm: Crm, member_id: int) -> Any:
    with crm.read() as conn:
        return conn.execute(select(member).where(member.c.id == member_id)).one()


def test_a_landing_page_response_becomes_a_prospect_with_the_campaign_as_source(
    crm: Crm, staff: Any, client_as: Any, results_kit: Any
) -> None:
    campaign_id = results_kit.campaign()
    answer = client_as(staff.marketer).post(
        f"/p/campaigns/campaigns/{campaign_id}/responses",
        json={"person": PERSON, "message": "Call me about the offer", "consents": ["marketing"]},
    )
    assert answer.status_code == 201, answer.text
    body = answer.json()
    assert body["outcome"] == "created" and body["member_id"] is None
    with crm.read() as conn:
        party = conn.execute(select(party_table).where(party_table.c.id == body["party_id"])).one()
        logged = conn.execute(
            select(interaction_table).where(interaction_table.c.party_id == party.id)
        ).all()
        [consent] = [c for c in consents_of(conn, party.id) if c.purpose == "marketing"]
    assert party.role == "prospect" and party.source == f"campaign:{campaign_id}"
    [entry] = [i for i in logged if i.source == "campaigns"]
    assert (entry.channel, entry.outcome, entry.summary) == (
        "web",
        "response",
        "Call me about the offer",
    )
    assert consent.status == "granted" and consent.source == f"campaign:{campaign_id}"
    assert consent.evidence is not None and "over the API by mia" in consent.evidence


def test_a_response_with_the_members_token_marks_the_member_responded(
    crm: Crm, staff: Any, client_as: Any, new_party: Any, results_kit: Any
) -> None:
    campaign_id = results_kit.campaign()
    ada = new_party()
    [ada_m] = results_kit.members(campaign_id, [ada])
    results_kit.mail([ada_m])
    parties_before = count(crm, party_table)
    answer = client_as(staff.marketer).post(
        f"/p/campaigns/campaigns/{campaign_id}/responses",
        json={"token": member_token(crm, ada_m)},
    )
    assert answer.status_code == 201, answer.text
    assert answer.json()["party_id"] == ada and answer.json()["member_id"] == ada_m
    row = member_row(crm, ada_m)
    assert row.status == "responded" and row.responded_at is not None
    assert count(crm, party_table) == parties_before


def test_bad_responses_are_refused_and_store_nothing(
    crm: Crm, staff: Any, client_as: Any, new_party: Any, results_kit: Any
) -> None:
    campaign_id = results_kit.campaign()
    [ada_m] = results_kit.members(campaign_id, [new_party()])
    client = client_as(staff.marketer)
    url = f"/p/campaigns/campaigns/{campaign_id}/responses"
    token = member_token(crm, ada_m)
    before = (count(crm, party_table), count(crm, response), count(crm, interaction_table))
    tampered = client.post(url, json={"token": token[:-1] + ("0" if token[-1] != "0" else "1")})
    assert tampered.status_code == 404
    other = results_kit.campaign(name="Other")
    assert (
        client.post(f"/p/campaigns/campaigns/{other}/responses", json={"token": token}).status_code
        == 404
    )
    fake = client.post(
        url,
        json={"person": {"first_name": "Max", "last_name": "Mustermann", "emails": ["max@web.de"]}},
    )
    assert fake.status_code == 422 and fake.json()["field"] == "person.last_name"
    nobody = client.post(url, json={"message": "hello"})
    assert nobody.status_code == 422 and nobody.json()["field"] == "person"
    bad_consent = client.post(url, json={"person": PERSON, "consents": ["Marketing!"]})
    assert bad_consent.status_code == 422 and bad_consent.json()["field"] == "consents[0]"
    unknown = client.post(url, json={"person": PERSON, "phone": "1"})
    assert unknown.status_code == 422 and unknown.json()["field"] == "phone"
    assert (
        client.post("/p/campaigns/campaigns/999999/responses", json={"person": PERSON}).status_code
        == 404
    )
    assert (count(crm, party_table), count(crm, response), count(crm, interaction_table)) == before
    assert member_row(crm, ada_m).status == "targeted"


def test_a_member_of_a_party_the_user_may_not_see_is_not_found(
    crm: Crm, staff: Any, client_as: Any, new_party: Any, results_kit: Any
) -> None:
    campaign_id = results_kit.campaign()
    [ada_m] = results_kit.members(campaign_id, [new_party()])
    answer = client_as(staff.outsider).post(
        f"/p/campaigns/campaigns/{campaign_id}/responses", json={"token": member_token(crm, ada_m)}
    )
    assert answer.status_code == 404
    assert member_row(crm, ada_m).status == "targeted" and count(crm, response) == 0


def test_the_public_response_page_records_a_response_from_the_emails_link(
    crm: Crm, new_party: Any, results_kit: Any, anonymous: Any
) -> None:
    campaign_id = results_kit.campaign()
    ada = new_party(consent=())
    [ada_m] = results_kit.members(campaign_id, [ada])
    url = response_url(crm, ada_m)
    assert url.startswith("https://crm.acme.example/p/campaigns/public/respond?t=")
    path = url.removeprefix("https://crm.acme.example")
    page = anonymous.get(path)
    assert page.status_code == 200 and "Spring offer" in page.text
    assert member_row(crm, ada_m).status == "targeted"  # opening the link answers nothing
    action = re.search(r'action="(/p/campaigns/public/respond\?t=[^"]+)"', page.text)
    assert action is not None
    sent = anonymous.post(
        unescape(action.group(1)), data={"message": "Interested!", "consent": "marketing"}
    )
    assert sent.status_code == 200 and "Thank you" in sent.text
    assert member_row(crm, ada_m).status == "responded"
    with crm.read() as conn:
        [stored] = conn.execute(select(response)).all()
        consent = [c for c in consents_of(conn, ada) if c.purpose == "marketing"]
    assert (stored.via, stored.message, stored.consents) == ("page", "Interested!", ["marketing"])
    assert consent[-1].status == "granted" and "response page" in (consent[-1].evidence or "")


def test_a_tampered_link_gets_404_and_stores_nothing(
    crm: Crm, new_party: Any, results_kit: Any, anonymous: Any
) -> None:
    campaign_id = results_kit.campaign()
    [ada_m] = results_kit.members(campaign_id, [new_party()])
    token = member_token(crm, ada_m)
    forged = f"{ada_m + 1}.{token.partition('.')[2]}"
    assert anonymous.get(f"/p/campaigns/public/respond?t={forged}").status_code == 404
    assert anonymous.get("/p/campaigns/public/respond?t=garbage").status_code == 404
    refused = anonymous.post(f"/p/campaigns/public/respond?t={forged}", data={"message": "x"})
    assert refused.status_code == 404
    assert count(crm, response) == 0 and member_row(crm, ada_m).status == "targeted"


def test_a_landing_page_response_by_a_known_member_marks_that_member(
    crm: Crm, staff: Any, client_as: Any, new_party: Any, results_kit: Any
) -> None:
    campaign_id = results_kit.campaign()
    ada = new_party(emails=["ada.lovelace@web.de"])
    [ada_m] = results_kit.members(campaign_id, [ada])
    parties_before = count(crm, party_table)
    answer = client_as(staff.marketer).post(
        f"/p/campaigns/campaigns/{campaign_id}/responses",
        json={
            "person": {
                "first_name": "Ada",
                "last_name": "Lovelace",
                "emails": ["ada.lovelace@web.de"],
            }
        },
    )
    assert answer.status_code == 201, answer.text
    assert answer.json()["party_id"] == ada and answer.json()["member_id"] == ada_m
    assert answer.json()["outcome"] in ("matched", "merged")
    assert count(crm, party_table) == parties_before
    assert member_row(crm, ada_m).status == "responded"


def test_a_landing_page_cannot_change_a_known_party_it_goes_to_review(
    crm: Crm, staff: Any, client_as: Any, new_party: Any, results_kit: Any
) -> None:
    campaign_id = results_kit.campaign()
    ada = new_party(emails=["ada.lovelace@web.de"])
    answer = client_as(staff.marketer).post(
        f"/p/campaigns/campaigns/{campaign_id}/responses",
        json={
            "person": {
                "first_name": "Ada",
                "last_name": "Lovelace",
                "emails": ["ada.lovelace@web.de"],
                "phones": ["+49 170 4417352"],
            }
        },
    )
    assert answer.status_code == 201, answer.text
    assert answer.json()["outcome"] == "review" and answer.json()["party_id"] != ada
    with crm.read() as conn:
        kept = conn.execute(select(party_table.c.version).where(party_table.c.id == ada)).scalar()
    assert kept == 1


def test_a_token_that_is_not_text_is_refused_naming_it(
    crm: Crm, staff: Any, client_as: Any, new_party: Any, results_kit: Any
) -> None:
    campaign_id = results_kit.campaign()
    [ada_m] = results_kit.members(campaign_id, [new_party()])
    url = f"/p/campaigns/campaigns/{campaign_id}/responses"
    for token in (5, ["x"], {"a": 1}, True):
        answer = client_as(staff.marketer).post(url, json={"token": token})
        assert answer.status_code == 422, (token, answer.text)
        assert answer.json()["field"] == "token"
    assert count(crm, response) == 0 and member_row(crm, ada_m).status == "targeted"


def test_a_token_is_read_strictly_anything_but_the_signed_text_is_not_found(
    crm: Crm, staff: Any, client_as: Any, new_party: Any, results_kit: Any, anonymous: Any
) -> None:
    campaign_id = results_kit.campaign()
    [ada_m] = results_kit.members(campaign_id, [new_party()])
    url = f"/p/campaigns/campaigns/{campaign_id}/responses"
    token = member_token(crm, ada_m)
    member_id, _, signature = token.partition(".")
    loose = [
        f"0{token}",
        f" {token} ",
        f"{token}\n",
        f"+{token}",
        f"{member_id}.{signature.upper()}",
        f"{member_id}.{signature}0",
        f"{member_id}..{signature}",
        "",
    ]
    for variant in loose:
        answer = client_as(staff.marketer).post(url, json={"token": variant})
        assert answer.status_code == 404, (variant, answer.text)
        page = anonymous.get("/p/campaigns/public/respond", params={"t": variant})
        assert page.status_code == 404, (variant, page.text)
    assert count(crm, response) == 0 and member_row(crm, ada_m).status == "targeted"


def test_a_token_beside_a_person_is_refused_naming_the_person(
    crm: Crm, staff: Any, client_as: Any, new_party: Any, results_kit: Any
) -> None:
    campaign_id = results_kit.campaign()
    [ada_m] = results_kit.members(campaign_id, [new_party()])
    before = (count(crm, party_table), count(crm, response))

    answer = client_as(staff.marketer).post(
        f"/p/campaigns/campaigns/{campaign_id}/responses",
        json={"token": member_token(crm, ada_m), "person": PERSON},
    )

    assert answer.status_code == 422 and answer.json()["field"] == "person"
    assert (count(crm, party_table), count(crm, response)) == before
    assert member_row(crm, ada_m).status == "targeted"
