"""The leads API: leads listed by the record rules, a lead's detail, the forms' mappings
changed by version."""

from __future__ import annotations

from typing import Any

import pytest

from crmkit import Crm
from crmkit.testing import unbounded_inputs

from .conftest import LEAD_FORM, Staff, lead_answer

LEADS = "/p/social/leads"
FORMS = "/p/social/lead-forms"


@pytest.fixture
def crm(social_crm: Crm) -> Crm:
    return social_crm


def _paris(leadgen_id: str) -> dict[str, Any]:
    fields = {
        "full_name": "Camille Martin",
        "email": "camille.martin@orange.fr",
        "post_code": "75011",
        "city": "Paris",
        "country": "FR",
    }
    return lead_answer(leadgen_id, fields=fields)


def test_leads_are_listed_as_their_parties_are_seen(
    crm: Crm, take_lead: Any, staff: Staff, client_as: Any, new_user: Any
) -> None:
    take_lead("920001")  # Anna Berg of Berlin: territory DE-10
    take_lead("920002", _paris("920002"))  # territory FR-75
    take_lead(
        "920003",
        lead_answer("920003", fields={"full_name": "Test Test", "email": "test@example.com"}),
    )  # rejected: no party

    def listed(actor: Any, query: str = "") -> list[str]:
        answer = client_as(actor).get(LEADS + query)
        assert answer.status_code == 200, answer.text
        return [item["leadgen_id"] for item in answer.json()["items"]]

    stranger = new_user("una", "sales", team="south", territories=("AT",))
    assert listed(staff.admin) == ["920003", "920002", "920001"]
    assert listed(staff.manager) == ["920001"]  # DE-10
    assert listed(staff.outsider) == ["920002", "920001"]  # the sales rep intake gave both
    assert listed(stranger) == []
    assert listed(staff.admin, "?outcome=rejected") == ["920003"]
    assert listed(staff.admin, f"?form_id={LEAD_FORM}&limit=1") == ["920003"]

    admin_view = client_as(staff.admin).get(LEADS, params={"limit": 1}).json()
    assert admin_view["next_cursor"]
    rest = client_as(staff.admin).get(LEADS, params={"cursor": admin_view["next_cursor"]}).json()
    assert [i["leadgen_id"] for i in rest["items"]] == ["920002", "920001"]

    ids = {i["leadgen_id"]: i["id"] for i in client_as(staff.admin).get(LEADS).json()["items"]}
    detail = client_as(staff.manager).get(f"{LEADS}/{ids['920001']}")
    assert detail.status_code == 200
    body = detail.json()
    assert body["campaign_name"] == "Service campaign Q4"
    assert {f["name"] for f in body["raw"]["field_data"]} >= {"full_name", "email"}
    # Another territory's lead, and a rejected one, are not there for the manager.
    for actor, hidden in (
        (staff.manager, ids["920002"]),
        (staff.manager, ids["920003"]),
        (stranger, ids["920001"]),
    ):
        answer = client_as(actor).get(f"{LEADS}/{hidden}")
        assert answer.status_code == 404
        assert "Camille" not in answer.text and "Anna" not in answer.text


def test_bad_queries_are_refused_naming_the_parameter(
    crm: Crm, staff: Staff, client_as: Any
) -> None:
    admin = client_as(staff.admin)
    for query, name in (
        ("?outcome=won", "outcome"),
        ("?limit=0", "limit"),
        ("?colour=red", "colour"),
    ):
        answer = admin.get(LEADS + query)
        assert answer.status_code == 422 and answer.json()["field"] == name


def test_a_form_mapping_is_changed_by_version(crm: Crm, staff: Staff, client_as: Any) -> None:
    admin = client_as(staff.admin)
    fresh = admin.get(f"{FORMS}/{LEAD_FORM}").json()
    assert fresh["version"] == 0 and fresh["fields"] == {}
    assert fresh["targets"]["phone_number"] == "phone"

    made = admin.patch(
        f"{FORMS}/{LEAD_FORM}",
        json={"fields": {"modell": "custom.nope"}, "name": "Probefahrt"},
    )
    # A custom field prospects do not have is refused now, not lead by lead later.
    assert made.status_code == 422 and made.json()["field"] == "fields.modell"
    made = admin.patch(
        f"{FORMS}/{LEAD_FORM}",
        json={"fields": {"modell": "city"}, "name": "Probefahrt"},
    )
    assert made.status_code == 200, made.text
    assert made.json()["version"] == 1 and made.json()["name"] == "Probefahrt"

    missing = admin.patch(f"{FORMS}/{LEAD_FORM}", json={"fields": {"x": "ignore"}})
    assert missing.status_code == 422 and missing.json()["field"] == "version"
    stale = admin.patch(f"{FORMS}/{LEAD_FORM}", json={"fields": {"x": "ignore"}, "version": 0})
    assert stale.status_code == 409
    bad = admin.patch(f"{FORMS}/{LEAD_FORM}", json={"fields": {"x": "vehicle"}, "version": 1})
    assert bad.status_code == 422 and bad.json()["field"] == "fields.x"

    changed = admin.patch(
        f"{FORMS}/{LEAD_FORM}",
        json={"fields": {"modell": None, "phone_number": "ignore"}},
        headers={"If-Match": '"1"'},
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["fields"] == {"phone_number": "ignore"}
    assert changed.json()["targets"]["phone_number"] == "ignore"
    assert [f["form_id"] for f in admin.get(FORMS).json()] == [LEAD_FORM]
    lost = admin.patch(
        f"{FORMS}/{LEAD_FORM}", json={"fields": {"x": "ignore"}}, headers={"If-Match": '"1"'}
    )
    assert lost.status_code == 412
    by_query = admin.patch(f"{FORMS}/{LEAD_FORM}?version=2", json={"fields": {"x": "ignore"}})
    assert by_query.status_code == 200 and by_query.json()["version"] == 3

    # Sales reps read mappings but do not change them.
    rep = client_as(staff.outsider)
    assert rep.get(f"{FORMS}/{LEAD_FORM}").status_code == 200
    refused = rep.patch(f"{FORMS}/{LEAD_FORM}", json={"fields": {"x": "ignore"}, "version": 3})
    assert refused.status_code == 403


def test_the_api_is_in_the_openapi_document(crm: Crm, staff: Staff, client_as: Any) -> None:
    document = client_as(staff.admin).get("/api/openapi.json")
    assert document.status_code == 200
    paths = document.json()["paths"]
    assert "/p/social/leads" in paths and "/p/social/lead-forms/{form_id}" in paths
    assert "patch" in paths["/p/social/lead-forms/{form_id}"]
    assert unbounded_inputs(document.json(), "/p/social/lead-forms") == []
