"""With the service plugin installed, a detractor's answer or a complaint opens a case through
the kernel's feedback_received hook; the response keeps the case it went to."""

from __future__ import annotations

from typing import Any

import pytest
from crmkit_surveys.answering.tables import response
from sqlalchemy import select

from crmkit import Crm
from crmkit.testing import add_user


@pytest.fixture
def crm(make_surveys: Any) -> Crm:
    return make_surveys(with_plugins=("service",))


def case_ref_of(crm: Crm, invitation_id: int) -> str | None:
    with crm.read() as conn:
        found: str | None = conn.execute(
            select(response.c.case_ref).where(response.c.invitation_id == invitation_id)
        ).scalar_one()
    return found


def test_a_detractor_complaining_opens_a_case_the_response_links_to(
    crm: Crm,
    respondent: Any,
    publish_survey: Any,
    invite: Any,
    new_party: Any,
    sample_definition: Any,
    client_as: Any,
) -> None:
    survey_id = publish_survey(crm, "Service follow-up", sample_definition)
    party = new_party()
    token, invitation_id = invite(crm, survey_id, party)
    browser = respondent(token)
    reason = browser.send(browser.open(), {"q.nps": "2"})
    done = browser.send(reason, {"q.why": "The machine arrived broken."}, "Send my answers")
    assert done.status == 200

    case_ref = case_ref_of(crm, invitation_id)
    assert case_ref is not None and case_ref.startswith("service.case:")
    case_id = case_ref.removeprefix("service.case:")
    admin = client_as(add_user(crm, "ada", "admin"))
    opened = admin.get(f"/p/service/cases/{case_id}").json()
    assert opened["party_id"] == party
    assert opened["subject"] == "Survey feedback: Service follow-up"
    assert "The machine arrived broken." in opened["description"]

    with crm.read() as conn:
        response_id = conn.execute(
            select(response.c.id).where(response.c.invitation_id == invitation_id)
        ).scalar_one()
    assert admin.get(f"/p/surveys/responses/{response_id}").json()["response"]["case_ref"] == (
        case_ref
    )
    page = admin.get(f"/p/surveys/page/responses/{response_id}")
    assert f'href="/p/service/cases/{case_id}/page"' in page.text


def test_a_promoter_opens_no_case(
    crm: Crm,
    respondent: Any,
    publish_survey: Any,
    invite: Any,
    new_party: Any,
    sample_definition: Any,
) -> None:
    survey_id = publish_survey(crm, "Service follow-up", sample_definition)
    token, invitation_id = invite(crm, survey_id, new_party())
    browser = respondent(token)
    assert browser.send(browser.open(), {"q.nps": "9"}).status == 200
    assert case_ref_of(crm, invitation_id) is None
