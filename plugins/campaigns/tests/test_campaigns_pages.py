"""The campaign pages: the list, the form (refused input shown again), a campaign's page and actions."""

from __future__ import annotations

import re
from html import unescape
from typing import Any

import pytest
from crmkit_campaigns.campaigns.tables import campaign
from crmkit_campaigns.campaigns.targeting import assign
from sqlalchemy import select

from crmkit import Crm, party_table

FORM = {
    "name": "Spring",
    "purpose": "marketing",
    "v0_channel": "email",
    "v0_subject": "Hi {{ party.first_name }}",
    "v0_text": "Spring is here",
    "time_zone": "Europe/Berlin",
    "starts_at": "2026-12-10T09:00",
}


def test_a_campaign_is_created_from_the_form_and_shown(
    client_as: Any, staff: Any, crm: Crm
) -> None:
    client = client_as(staff.marketer)

    created = client.post("/p/campaigns/campaigns/new", data=FORM, follow_redirects=False)

    assert created.status_code == 303
    page = client.get(created.headers["location"])
    assert page.status_code == 200 and "Spring is here" in page.text
    with crm.read() as conn:
        starts = conn.execute(select(campaign.c.starts_at)).scalar_one()
    assert starts.isoformat().startswith("2026-12-10T08:00")  # 09:00 in Berlin
    listed = client.get("/p/campaigns/campaigns/page")
    assert listed.status_code == 200 and "Spring" in listed.text


def test_a_refused_form_is_shown_again_with_what_was_typed(
    client_as: Any, staff: Any, crm: Crm
) -> None:
    answer = client_as(staff.marketer).post(
        "/p/campaigns/campaigns/new",
        data={**FORM, "v0_text": "Hello {{ party.nope }}", "region": "Bavaria"},
    )

    assert answer.status_code == 422
    assert "v0_text" in answer.text and "Bavaria" in answer.text
    assert 'id="v0_text" name="v0_text" rows="4" aria-invalid="true"' in answer.text
    with crm.read() as conn:
        assert conn.execute(select(campaign.c.id)).all() == []


def test_the_page_offers_the_actions_of_the_campaigns_state_and_runs_them(
    client_as: Any, staff: Any, crm: Crm, new_party: Any
) -> None:
    client = client_as(staff.marketer)
    url = client.post("/p/campaigns/campaigns/new", data=FORM, follow_redirects=False).headers[
        "location"
    ]
    campaign_id = int(url.split("/")[-2])
    party = new_party()
    with crm.transaction(staff.marketer) as tx:
        assign(
            tx,
            campaign_id,
            select(party_table.c.id.label("party_id")).where(party_table.c.id == party),
        )

    page = client.get(url).text
    assert "/start-form" in page and "/pause-form" not in page
    started = client.post(
        f"/p/campaigns/campaigns/{campaign_id}/start-form",
        data={"version": "1"},
        follow_redirects=False,
    )
    assert started.status_code == 303
    stale = client.post(f"/p/campaigns/campaigns/{campaign_id}/pause-form", data={"version": "1"})
    assert stale.status_code == 409
    assert "/pause-form" in client.get(url).text
    assert client_as(staff.outsider).get(url).status_code == 200
    assert "/pause-form" not in client_as(staff.outsider).get(url).text


def test_saving_a_drafts_form_unchanged_but_its_name_keeps_its_members(
    client_as: Any, staff: Any, crm: Crm, new_party: Any
) -> None:
    client = client_as(staff.marketer)
    url = client.post("/p/campaigns/campaigns/new", data=FORM, follow_redirects=False).headers[
        "location"
    ]
    campaign_id = int(url.split("/")[-2])
    party = new_party()
    with crm.transaction(staff.marketer) as tx:
        assign(
            tx,
            campaign_id,
            select(party_table.c.id.label("party_id")).where(party_table.c.id == party),
        )

    saved = client.post(
        f"/p/campaigns/campaigns/{campaign_id}/edit",
        data={**FORM, "name": "Spring 2027", "version": "1"},
        follow_redirects=False,
    )

    assert saved.status_code == 303
    page = client.get(url).text
    assert "Spring 2027" in page and "Members (1)" in page


def form_fields(html: str) -> dict[str, str]:
    """The fields a browser would post from the form page, as shown."""
    fields = {
        unescape(name): unescape(value)
        for name, value in re.findall(
            r'<input id="[^"]*" name="([^"]+)" type="[^"]*" value="([^"]*)"', html
        )
    }
    for name, text in re.findall(
        r'<textarea id="[^"]*" name="([^"]+)"[^>]*>([^<]*)</textarea>', html
    ):
        fields[unescape(name)] = unescape(text)
    for name, options in re.findall(r'<select id="[^"]*" name="([^"]+)"[^>]*>(.*?)</select>', html):
        chosen = re.search(r'<option value="([^"]*)" selected>', options)
        first = re.search(r'<option value="([^"]*)"', options)
        fields[name] = chosen.group(1) if chosen else (first.group(1) if first else "")
    fields.update(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', html))
    return fields


def test_the_edit_form_saved_unchanged_keeps_every_variant_and_label(
    client_as: Any, staff: Any, crm: Crm
) -> None:
    client = client_as(staff.marketer)
    made = client.post(
        "/p/campaigns/campaigns",
        json={
            "name": "Spring",
            "purpose": "marketing",
            "variants": [
                {"channel": "email", "label": "Main", "subject": "Hi", "text": "Spring"},
                {"channel": "sms", "label": "Short", "text": "Spring!", "split": 50},
                {"channel": "sms", "label": "Long", "text": "Spring is here!", "split": 50},
            ],
        },
    )
    assert made.status_code == 201, made.text
    campaign_id = made.json()["id"]
    before = client.get(f"/p/campaigns/campaigns/{campaign_id}").json()["variants"]

    page = client.get(f"/p/campaigns/campaigns/{campaign_id}/edit")
    saved = client.post(
        f"/p/campaigns/campaigns/{campaign_id}/edit",
        data=form_fields(page.text),
        follow_redirects=False,
    )

    assert saved.status_code == 303, saved.text
    after = client.get(f"/p/campaigns/campaigns/{campaign_id}").json()["variants"]
    shown = ("channel", "label", "split", "subject", "text", "html", "template")
    assert [{k: v[k] for k in shown} for v in after] == [{k: v[k] for k in shown} for v in before]
    assert [v["label"] for v in after] == ["Main", "Short", "Long"]


def test_the_edit_form_adds_a_variant_in_an_empty_slot(
    client_as: Any, staff: Any, crm: Crm
) -> None:
    client = client_as(staff.marketer)
    url = client.post("/p/campaigns/campaigns/new", data=FORM, follow_redirects=False).headers[
        "location"
    ]
    campaign_id = int(url.split("/")[-2])
    fields = form_fields(client.get(f"/p/campaigns/campaigns/{campaign_id}/edit").text)
    assert fields["v1_text"] == "" and fields["v2_text"] == ""

    fields.update({"v2_channel": "sms", "v2_text": "Spring sale!"})
    saved = client.post(
        f"/p/campaigns/campaigns/{campaign_id}/edit", data=fields, follow_redirects=False
    )

    assert saved.status_code == 303, saved.text
    variants = client.get(f"/p/campaigns/campaigns/{campaign_id}").json()["variants"]
    assert [(v["channel"], v["text"]) for v in variants] == [
        ("email", "Spring is here"),
        ("sms", "Spring sale!"),
    ]


@pytest.mark.parametrize(
    "field", ["throttle_per_hour", "test_share", "segment_id", "owner_id", "v0_split"]
)
def test_a_number_field_with_other_digits_is_refused_naming_it(
    client_as: Any, staff: Any, crm: Crm, field: str
) -> None:
    answer = client_as(staff.marketer).post(
        "/p/campaigns/campaigns/new", data={**FORM, field: "²", "region": "Bavaria"}
    )

    assert answer.status_code == 422
    assert f"{field}: expected a whole number" in unescape(answer.text)
    assert "Bavaria" in answer.text
    with crm.read() as conn:
        assert conn.execute(select(campaign.c.id)).all() == []


def test_a_refusal_of_a_later_slot_names_that_slot(client_as: Any, staff: Any, crm: Crm) -> None:
    # Slot 1 left empty: the service's variants[1] is the form's slot 2.
    answer = client_as(staff.marketer).post(
        "/p/campaigns/campaigns/new",
        data={**FORM, "v2_channel": "sms", "v2_text": "{{ party.email }}"},
    )

    assert answer.status_code == 422
    assert "v2_text" in answer.text
    assert 'id="v2_text" name="v2_text" rows="4" aria-invalid="true"' in answer.text
