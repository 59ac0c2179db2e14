"""The invitations pages: a send made from the form after a preview, the invitations listed
for the parties the reader sees, an open link shown once, a rule defined and changed from its
form; refused forms show what was typed and why."""

from __future__ import annotations

from typing import Any

from crmkit_surveys.invitations.tables import invitation, rule
from sqlalchemy import func, select

from crmkit import Crm


def count(crm: Crm, table: Any) -> int:
    with crm.read() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


def test_a_send_is_previewed_and_made_from_its_page(
    crm: Crm, staff: Any, client_as: Any, new_party: Any, publish_survey: Any
) -> None:
    survey_id = publish_survey(crm)
    willing = new_party(consent=("feedback",), first_name="Grace")
    unwilling = new_party(consent=(), emails=["no@example.org"])
    client = client_as(staff.marketer)
    base = f"/p/surveys/page/surveys/{survey_id}"
    form = {
        "audience": "party_ids",
        "audience.party_ids": f"{willing}, {unwilling}",
        "channel": "email",
        "message.en.subject": "How did we do?",
        "message.en.text": "Tell us: {{ survey_url }}",
    }

    page = client.get(f"{base}/sends")
    assert page.status_code == 200 and "New send" in page.text
    previewed = client.post(f"{base}/sends/preview", data=form)
    assert previewed.status_code == 200
    assert "holds 2 parties you see; 1 would be invited now" in previewed.text
    assert count(crm, invitation) == 0

    refused = client.post(f"{base}/sends", data={**form, "message.en.text": "no link"})
    assert refused.status_code == 422 and "survey_url" in refused.text
    assert count(crm, invitation) == 0

    sent = client.post(f"{base}/sends", data=form, follow_redirects=False)
    assert sent.status_code == 303 and sent.headers["location"] == f"{base}/sends"
    listed = client.get(f"{base}/invitations?status=sent")
    assert "Grace Lovelace" in listed.text
    assert count(crm, invitation) == 1

    shown = client.post(f"{base}/open-link", data={})
    assert shown.status_code == 200 and "https://crm.acme.example/p/surveys/o/" in shown.text
    assert "/p/surveys/o/" not in client.get(f"{base}/sends").text, "shown only once"


def test_a_reader_sees_the_pages_without_forms_and_only_their_parties(
    crm: Crm, staff: Any, client_as: Any, new_party: Any, publish_survey: Any
) -> None:
    from crmkit_surveys.invitations.sends import create_send

    survey_id = publish_survey(crm)
    mine = new_party(consent=("feedback",), first_name="Mine", owner_id=staff.manager.user_id)
    theirs = new_party(
        consent=("feedback",),
        first_name="Theirs",
        owner_id=staff.outsider.user_id,
        emails=["t@example.org"],
        addresses=[
            {"street": "Rue de Rivoli 1", "postcode": "75001", "city": "Paris", "country": "FR"}
        ],
    )
    message = {"en": {"subject": "Hi", "text": "{{ survey_url }}"}}
    with crm.transaction() as tx:
        create_send(
            tx,
            survey_id,
            {"audience": {"party_ids": [mine, theirs]}, "channel": "email", "message": message},
        )

    page = client_as(staff.manager).get(f"/p/surveys/page/surveys/{survey_id}/invitations")
    assert "Mine Lovelace" in page.text and "Theirs Lovelace" not in page.text
    sends = client_as(staff.agent).get(f"/p/surveys/page/surveys/{survey_id}/sends")
    assert sends.status_code == 200 and "New send" not in sends.text
    assert client_as(staff.agent).get("/p/surveys/page/rules/new").status_code == 403


def test_a_rule_is_defined_changed_and_deleted_from_its_form(
    crm: Crm, staff: Any, client_as: Any, publish_survey: Any
) -> None:
    survey_id = publish_survey(crm)
    client = client_as(staff.marketer)
    form = {
        "survey_id": str(survey_id),
        "event_type": "surveys.send_made",
        "conditions": "bad line",
        "channel": "email",
        "message.en.subject": "Hi",
        "message.en.text": "{{ survey_url }}",
        "active": "on",
    }
    assert client.get("/p/surveys/page/rules/new").status_code == 200
    refused = client.post("/p/surveys/page/rules/new", data=form)
    assert refused.status_code == 422 and "bad line" in refused.text
    assert count(crm, rule) == 0

    form["conditions"] = "invited = 0, 1"
    made = client.post("/p/surveys/page/rules/new", data=form, follow_redirects=False)
    assert made.status_code == 303
    listed = client.get("/p/surveys/page/rules")
    assert "surveys.send_made" in listed.text and "invited in 0, 1" in listed.text
    [rule_id] = [r["id"] for r in client.get("/p/surveys/rules").json()]
    shown = client.get(f"/p/surveys/page/rules/{rule_id}")
    assert "invited = 0, 1" in shown.text
    changed = client.post(
        f"/p/surveys/page/rules/{rule_id}", data={**form, "delay_minutes": "15", "version": "1"}
    )
    assert changed.status_code == 200
    assert client.get(f"/p/surveys/rules/{rule_id}").json()["delay_minutes"] == 15
    stale = client.post(f"/p/surveys/page/rules/{rule_id}", data={**form, "version": "1"})
    assert stale.status_code == 409
    assert client.post(f"/p/surveys/page/rules/{rule_id}/delete", data={}).status_code == 200
    assert count(crm, rule) == 0
