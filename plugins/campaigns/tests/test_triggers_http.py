"""Triggers part over HTTP: a triggered campaign's trigger is validated when it is defined
(the problem names ``trigger.parameters.days``), the triggers offered, the dry-run preview
(record rules), running one now and its runs."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from crmkit_campaigns.campaigns.tables import campaign, member
from sqlalchemy import func, select

from crmkit import Actor, Crm, CustomField, hookimpl, utcnow
from crmkit.testing import http_client, register_plugin

MUNICH = [{"street": "Marienplatz 1", "postcode": "80331", "city": "München", "country": "DE"}]


class Fleet:
    """A plugin giving customers the day their vehicle's inspection is due."""

    @hookimpl
    def register_custom_fields(self) -> list[CustomField]:
        return [CustomField("customer", "fleet_inspection_due", "date", label="Inspection due")]


FLEET = register_plugin(Fleet(), name="fleet")


@pytest.fixture
def crm(make_campaigns: Any) -> Crm:
    return make_campaigns(plugins=(FLEET,))


@pytest.fixture
def client_of(crm: Crm, make_crm: Callable[..., Crm]) -> Callable[[Actor], Any]:
    """An HTTP client of ``crm`` (with the fleet plugin) signed on as the actor."""

    def make(actor: Actor) -> Any:
        class SignOn:
            @hookimpl
            def actor_from_request(self, app: Crm, request: Any) -> Actor:
                return actor

        names = [n for n in crm.host.loaded if n != "fleet"]
        app = make_crm(
            plugins=[*names, FLEET, register_plugin(SignOn(), name="signon")],
            settings=crm.settings,
            create_tables=False,
        )
        return http_client(app)

    return make


def campaign_body(**trigger: Any) -> dict[str, Any]:
    parameters = {"field": "fleet_inspection_due", "days": 14, "when": "before", **trigger}
    return {
        "name": "Inspection reminder",
        "kind": "triggered",
        "purpose": "marketing",
        "trigger": {"name": "campaigns.custom_date", "parameters": parameters},
        "variants": [{"channel": "email", "subject": "Inspection due", "text": "Book a slot."}],
    }


def campaign_count(crm: Crm) -> int:
    with crm.read() as conn:
        return int(conn.execute(select(func.count()).select_from(campaign)).scalar_one())


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"days": -3}, "trigger.parameters.days"),
        ({"days": "14"}, "trigger.parameters.days"),
        ({"field": "birthday"}, "trigger.parameters.field"),
        ({"when": "during"}, "trigger.parameters.when"),
        ({"colour": "red"}, "trigger.parameters.colour"),
    ],
)
def test_a_triggered_campaign_with_bad_parameters_is_refused_naming_them(
    crm: Crm, staff: Any, client_of: Any, change: dict[str, Any], field: str
) -> None:
    answer = client_of(staff.marketer).post("/p/campaigns/campaigns", json=campaign_body(**change))
    assert answer.status_code == 422, answer.text
    assert answer.json()["field"] == field
    assert campaign_count(crm) == 0


def test_an_unknown_trigger_is_refused(crm: Crm, staff: Any, client_of: Any) -> None:
    body = {**campaign_body(), "trigger": {"name": "campaigns.moon_phase", "parameters": {}}}
    answer = client_of(staff.marketer).post("/p/campaigns/campaigns", json=body)
    assert answer.status_code == 422 and answer.json()["field"] == "trigger.name"
    # Without sfa the replacement-age trigger is not offered either.
    body["trigger"] = {
        "name": "campaigns.replacement_age",
        "parameters": {"product_group": "boilers", "years": 10},
    }
    answer = client_of(staff.marketer).post("/p/campaigns/campaigns", json=body)
    assert answer.status_code == 422 and answer.json()["field"] == "trigger.name"
    assert campaign_count(crm) == 0


def test_the_triggers_offered_list_the_built_in_ones_with_their_parameters(
    staff: Any, client_of: Any
) -> None:
    answer = client_of(staff.marketer).get("/p/campaigns/triggers")
    assert answer.status_code == 200
    offered = {t["name"]: t for t in answer.json()}
    assert set(offered) == {"campaigns.custom_date"}
    assert offered["campaigns.custom_date"]["parameters"]["days"] == "days"


def test_preview_counts_what_is_due_today_for_the_caller_and_run_enters_it(
    crm: Crm, staff: Any, new_party: Any, client_of: Any
) -> None:
    today = utcnow().date()
    due = {"fleet_inspection_due": (today + timedelta(days=14)).isoformat()}
    berlin = new_party("customer", custom=due, last_name="Berlin")
    new_party(
        "customer",
        custom=due,
        last_name="Munich",
        addresses=MUNICH,
        owner_id=staff.outsider.user_id,
    )
    marketer = client_of(staff.marketer)
    made = marketer.post("/p/campaigns/campaigns", json=campaign_body())
    assert made.status_code == 201, made.text
    campaign_id = made.json()["id"]
    assert marketer.post(f"/p/campaigns/campaigns/{campaign_id}/start", json={}).status_code == 200

    preview = marketer.get(f"/p/campaigns/triggers/campaigns/{campaign_id}/preview").json()
    assert (preview["due"], preview["already_entered"], len(preview["sample"])) == (2, 0, 2)
    # The manager of DE-10 does not see the Munich customer the FR-75 rep owns.
    seen = client_of(staff.manager).get(f"/p/campaigns/triggers/campaigns/{campaign_id}/preview")
    assert seen.json()["due"] == 1 and seen.json()["sample"][0]["party_id"] == berlin

    ran = marketer.post(f"/p/campaigns/triggers/campaigns/{campaign_id}/run")
    assert ran.status_code == 201 and ran.json()["entered"] == 2
    preview = marketer.get(f"/p/campaigns/triggers/campaigns/{campaign_id}/preview").json()
    assert (preview["due"], preview["already_entered"], preview["sample"]) == (2, 2, [])
    runs = marketer.get(f"/p/campaigns/triggers/campaigns/{campaign_id}/runs").json()
    assert [r["entered"] for r in runs] == [2]
    with crm.read() as conn:
        assert (
            conn.execute(
                select(func.count()).select_from(member).where(member.c.campaign_id == campaign_id)
            ).scalar_one()
            == 2
        )


def test_running_needs_the_send_permission_and_an_active_campaign(
    staff: Any, client_of: Any
) -> None:
    marketer = client_of(staff.marketer)
    campaign_id = marketer.post("/p/campaigns/campaigns", json=campaign_body()).json()["id"]
    draft = marketer.post(f"/p/campaigns/triggers/campaigns/{campaign_id}/run")
    assert draft.status_code == 409
    refused = client_of(staff.outsider).post(f"/p/campaigns/triggers/campaigns/{campaign_id}/run")
    assert refused.status_code == 403
    assert marketer.get("/p/campaigns/triggers/campaigns/999999/preview").status_code == 404


def test_the_pages_list_triggered_campaigns_and_run_one_now(
    staff: Any, new_party: Any, client_of: Any
) -> None:
    today = utcnow().date()
    new_party(
        "customer",
        custom={"fleet_inspection_due": (today + timedelta(days=14)).isoformat()},
        last_name="Duesenberg",
    )
    marketer = client_of(staff.marketer)
    campaign_id = marketer.post("/p/campaigns/campaigns", json=campaign_body()).json()["id"]
    marketer.post(f"/p/campaigns/campaigns/{campaign_id}/start", json={})

    listing = marketer.get("/p/campaigns/triggers/page")
    assert listing.status_code == 200
    assert "Inspection reminder" in listing.text and "never" in listing.text
    page = marketer.get(f"/p/campaigns/triggers/campaigns/{campaign_id}/page")
    assert page.status_code == 200 and "Ada Duesenberg" in page.text and "Run now" in page.text
    ran = marketer.post(
        f"/p/campaigns/triggers/campaigns/{campaign_id}/run/page", follow_redirects=False
    )
    assert ran.status_code == 303
    page = marketer.get(ran.headers["location"])
    assert "Ada Duesenberg" not in page.text and "1 entered already" in page.text
    # A sales rep reads campaigns but may not run them.
    rep = client_of(staff.outsider).get(f"/p/campaigns/triggers/campaigns/{campaign_id}/page")
    assert rep.status_code == 200 and "Run now" not in rep.text


def test_the_openapi_document_describes_the_plan_and_trigger_routes(
    staff: Any, client_of: Any
) -> None:
    document = client_of(staff.marketer).get("/api/openapi.json")
    assert document.status_code == 200
    paths = document.json()["paths"]
    assert {"get", "post"} <= set(paths["/p/campaigns/plans"])
    assert {"get", "patch", "delete"} <= set(paths["/p/campaigns/plans/{plan_id}"])
    assert "get" in paths["/p/campaigns/triggers/campaigns/{campaign_id}/preview"]
    assert "post" in paths["/p/campaigns/triggers/campaigns/{campaign_id}/run"]


@pytest.mark.parametrize("name", [5, ["campaigns.custom_date"], None, {"x": 1}])
def test_a_trigger_name_that_is_no_text_is_refused_on_the_name(
    crm: Crm, staff: Any, client_of: Any, name: Any
) -> None:
    body = {**campaign_body(), "trigger": {"name": name, "parameters": {}}}
    answer = client_of(staff.marketer).post("/p/campaigns/campaigns", json=body)
    assert answer.status_code == 422, answer.text
    assert answer.json()["field"] == "trigger.name"
    assert campaign_count(crm) == 0
