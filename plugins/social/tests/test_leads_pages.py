"""The leads pages: the leads one sees, a lead's answers, and a form's mapping edited."""

from __future__ import annotations

from typing import Any

import pytest

from crmkit import Crm

from .conftest import LEAD_FORM, Staff, lead_answer

BASE = "/p/social/page/leads"
FORMS = "/p/social/page/lead-forms"


@pytest.fixture
def crm(social_crm: Crm) -> Crm:
    return social_crm


def test_the_leads_page_lists_what_one_sees(
    crm: Crm, take_lead: Any, staff: Staff, client_as: Any, new_user: Any
) -> None:
    take_lead("940001")
    admin = client_as(staff.admin)
    page = admin.get(BASE)
    assert page.status_code == 200 and "Service campaign Q4" in page.text
    stranger = client_as(new_user("una", "sales", territories=("AT",)))
    assert "Service campaign Q4" not in stranger.get(BASE).text
    lead_id = admin.get("/p/social/leads").json()["items"][0]["id"]
    detail = admin.get(f"{BASE}/{lead_id}")
    assert detail.status_code == 200 and "anna.berg@web.de" in detail.text
    assert stranger.get(f"{BASE}/{lead_id}").status_code == 404


def test_a_form_mapping_is_edited_on_its_page(
    crm: Crm, take_lead: Any, staff: Staff, client_as: Any
) -> None:
    take_lead("940002", lead_answer("940002", fields={"full_name": "Lena Vogt", "mail": "l@v.de"}))
    admin = client_as(staff.admin)
    page = admin.get(f"{FORMS}/{LEAD_FORM}")
    assert page.status_code == 200 and 'name="target.mail"' in page.text
    saved = admin.post(
        f"{FORMS}/{LEAD_FORM}",
        data={"version": "1", "target.mail": "email", "target.full_name": "full_name"},
        follow_redirects=False,
    )
    assert saved.status_code == 303, saved.text
    mapping = admin.get(f"/p/social/lead-forms/{LEAD_FORM}").json()
    assert mapping["fields"] == {"mail": "email"} and mapping["version"] == 2

    refused = admin.post(
        f"{FORMS}/{LEAD_FORM}",
        data={"version": "2", "new_name": "modell", "new_target": "vehicle"},
        follow_redirects=False,
    )
    assert refused.status_code == 422 and "fields.modell" in refused.text
    stale = admin.post(
        f"{FORMS}/{LEAD_FORM}",
        data={"version": "1", "target.mail": "ignore"},
        follow_redirects=False,
    )
    assert stale.status_code == 409
    assert admin.get(FORMS).status_code == 200
    assert (
        client_as(staff.outsider)
        .post(f"{FORMS}/{LEAD_FORM}", data={"version": "2"}, follow_redirects=False)
        .status_code
        == 403
    )


def test_a_rejected_lead_shows_its_findings_to_an_admin(
    crm: Crm, take_lead: Any, staff: Staff, client_as: Any
) -> None:
    take_lead(
        "940003",
        lead_answer("940003", fields={"full_name": "Test Test", "email": "test@example.com"}),
    )
    admin = client_as(staff.admin)
    lead_id = admin.get("/p/social/leads").json()["items"][0]["id"]
    page = admin.get(f"{BASE}/{lead_id}")
    assert page.status_code == 200 and "fake_name" in page.text
    assert client_as(staff.manager).get(f"{BASE}/{lead_id}").status_code == 404
