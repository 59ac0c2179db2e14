"""Plans part over HTTP: create, read with actuals, change with version (409), delete;
refusals naming the field with nothing stored; the pages and the form."""

from __future__ import annotations

from typing import Any

import pytest
from crmkit_campaigns.plans.tables import plan, target
from sqlalchemy import func, select

from crmkit import Crm, utcnow


def this_month() -> str:
    today = utcnow().date()
    return f"{today.year:04d}-{today.month:02d}"


def body(**changes: Any) -> dict[str, Any]:
    year = utcnow().year
    return {
        "name": f"Plan {year}",
        "description": "Grow heat pumps in Berlin",
        "start": f"{year}-01",
        "end": f"{year}-12",
        "targets": [
            {"period": this_month(), "metric": "leads", "value": 10, "region": "DE-10"},
            {"period": f"{year}-Q4", "metric": "revenue", "value": "50000.00", "currency": "EUR"},
        ],
        **changes,
    }


def stored(crm: Crm) -> tuple[int, int]:
    with crm.read() as conn:
        plans = conn.execute(select(func.count()).select_from(plan)).scalar_one()
        targets = conn.execute(select(func.count()).select_from(target)).scalar_one()
    return int(plans), int(targets)


def test_a_plan_is_created_read_with_actuals_changed_and_deleted(
    crm: Crm, staff: Any, client_as: Any, new_party: Any
) -> None:
    new_party("prospect")
    client = client_as(staff.marketer)
    created = client.post("/p/campaigns/plans", json=body())
    assert created.status_code == 201, created.text
    made = created.json()
    assert made["owner_id"] == staff.marketer.user_id and made["version"] == 1
    assert [t["metric"] for t in made["targets"]] == ["leads", "revenue"]

    read = client.get(f"/p/campaigns/plans/{made['id']}").json()
    leads, revenue = read["targets"]
    assert leads["actual"] == "1" and leads["target"]["region"] == "DE-10"
    assert revenue["actual"] is None and revenue["status"] == "not_available"

    changed = client.patch(
        f"/p/campaigns/plans/{made['id']}",
        json={"version": 1, "name": "Plan B", "targets": [body()["targets"][0]]},
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["name"] == "Plan B" and len(changed.json()["targets"]) == 1
    stale = client.patch(f"/p/campaigns/plans/{made['id']}", json={"version": 1, "name": "Late"})
    assert stale.status_code == 409
    assert client.delete(f"/p/campaigns/plans/{made['id']}?version=1").status_code == 409
    assert client.delete(f"/p/campaigns/plans/{made['id']}?version=2").status_code == 204
    assert client.get(f"/p/campaigns/plans/{made['id']}").status_code == 404
    assert stored(crm) == (0, 0)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"name": " "}, "name"),
        ({"start": "2026-13"}, "start"),
        ({"start": "2027-01", "end": "2026-12"}, "end"),
        ({"targets": [{"period": "2031-01", "metric": "leads", "value": 1}]}, "targets[0].period"),
        ({"targets": [{"period": "2026-Q5", "metric": "leads", "value": 1}]}, "targets[0].period"),
        ({"targets": [{"period": "2026-01", "metric": "likes", "value": 1}]}, "targets[0].metric"),
        ({"targets": [{"period": "2026-01", "metric": "leads", "value": 1.5}]}, "targets[0].value"),
        (
            {"targets": [{"period": "2026-01", "metric": "revenue", "value": "10.00"}]},
            "targets[0].currency",
        ),
        (
            {
                "targets": [
                    {"period": "2026-01", "metric": "leads", "value": 1, "region": "Bavaria"}
                ]
            },
            "targets[0].region",
        ),
        ({"owner_id": 999999}, "owner_id"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_bad_input_is_refused_naming_the_field_and_nothing_is_stored(
    crm: Crm, staff: Any, client_as: Any, change: dict[str, Any], field: str
) -> None:
    sent = {**body(start="2026-01", end="2026-12", targets=[]), **change}
    answer = client_as(staff.marketer).post("/p/campaigns/plans", json=sent)
    assert answer.status_code == 422, answer.text
    assert answer.json()["field"] == field
    assert stored(crm) == (0, 0)


def test_only_planners_write_and_sales_reps_do_not_read_plans(staff: Any, client_as: Any) -> None:
    rep = client_as(staff.outsider)
    assert rep.get("/p/campaigns/plans").status_code == 403
    assert rep.post("/p/campaigns/plans", json=body()).status_code == 403
    assert client_as(staff.manager).post("/p/campaigns/plans", json=body()).status_code == 201


def test_the_list_and_the_plan_page_show_targets_and_deviations(staff: Any, client_as: Any) -> None:
    client = client_as(staff.marketer)
    made = client.post("/p/campaigns/plans", json=body()).json()
    listing = client.get("/p/campaigns/plans?running=true")
    assert [p["id"] for p in listing.json()] == [made["id"]]
    page = client.get("/p/campaigns/plans/page")
    assert page.status_code == 200 and made["name"] in page.text
    shown = client.get(f"/p/campaigns/plans/{made['id']}/page")
    assert shown.status_code == 200
    assert "not available" in shown.text and "revenue needs the sfa plugin" in shown.text


def test_the_form_creates_a_plan_and_shows_a_refusal_again_with_the_input(
    crm: Crm, staff: Any, client_as: Any
) -> None:
    client = client_as(staff.marketer)
    assert client.get("/p/campaigns/plans/new/page").status_code == 200
    form = {
        "name": "Autumn push",
        "start": "2026-09",
        "end": "2026-11",
        "targets[0].period": "2026-10",
        "targets[0].metric": "leads",
        "targets[0].value": "40",
        "targets[1].period": "",
        "targets[2].period": "2026-12",
        "targets[2].metric": "reach",
        "targets[2].value": "500",
    }
    refused = client.post("/p/campaigns/plans/new/page", data=form, follow_redirects=False)
    assert refused.status_code == 422
    # The blank row is left out: the December target is the second, and named so.
    assert (
        'name="targets[1].period" aria-label="period of target 2" value="2026-12"' in refused.text
    )
    assert "is not within the plan" in refused.text
    assert stored(crm) == (0, 0)

    form["targets[2].period"] = "2026-11"
    saved = client.post("/p/campaigns/plans/new/page", data=form, follow_redirects=False)
    assert saved.status_code == 303
    assert stored(crm) == (1, 2)
    plan_id = int(saved.headers["location"].split("/")[-2])
    edit = client.get(f"/p/campaigns/plans/{plan_id}/edit/page")
    assert edit.status_code == 200 and 'value="2026-11"' in edit.text
    changed = client.post(
        f"/p/campaigns/plans/{plan_id}/edit/page",
        data={**form, "name": "Autumn push 2", "version": "1"},
        follow_redirects=False,
    )
    assert changed.status_code == 303
    stale = client.post(
        f"/p/campaigns/plans/{plan_id}/edit/page",
        data={**form, "version": "1"},
        follow_redirects=False,
    )
    assert stale.status_code == 409 and "Autumn push" in stale.text


def test_targets_read_back_as_accepted_and_save_back_unchanged(
    crm: Crm, staff: Any, client_as: Any
) -> None:
    client = client_as(staff.marketer)
    sent = body(
        targets=[
            {"period": "2026-03", "metric": "leads", "value": 4},
            {"period": "2026-Q2", "metric": "revenue", "value": "1500.5", "currency": "EUR"},
        ],
        start="2026-01",
        end="2026-12",
    )
    made = client.post("/p/campaigns/plans", json=sent).json()
    # A count is a JSON whole number, an amount text with the currency's two decimals.
    assert [t["value"] for t in made["targets"]] == [4, "1500.50"]
    read = client.get(f"/p/campaigns/plans/{made['id']}").json()
    assert [t["target"]["value"] for t in read["targets"]] == [4, "1500.50"]
    given = [{k: v for k, v in t["target"].items() if k != "id"} for t in read["targets"]]
    back = client.patch(f"/p/campaigns/plans/{made['id']}", json={"version": 1, "targets": given})
    assert back.status_code == 200, back.text
    assert [t["value"] for t in back.json()["targets"]] == [4, "1500.50"]

    # The edit form shows the count as digits, and saves as it is shown.
    edit = client.get(f"/p/campaigns/plans/{made['id']}/edit/page")
    assert 'aria-label="value of target 1" value="4"' in edit.text
    assert 'aria-label="value of target 2" value="1500.50"' in edit.text
    form = {
        "name": "Edited",
        "start": "2026-01",
        "end": "2026-12",
        "version": "2",
        "targets[0].period": "2026-03",
        "targets[0].metric": "leads",
        "targets[0].value": "4",
        "targets[1].period": "2026-Q2",
        "targets[1].metric": "revenue",
        "targets[1].value": "1500.50",
        "targets[1].currency": "EUR",
    }
    saved = client.post(
        f"/p/campaigns/plans/{made['id']}/edit/page", data=form, follow_redirects=False
    )
    assert saved.status_code == 303, saved.text


def without(field: str) -> dict[str, Any]:
    sent = body(start="2026-01", end="2026-12", targets=[])
    del sent[field]
    return sent


def with_target(**item: Any) -> dict[str, Any]:
    return body(
        start="2026-01",
        end="2026-12",
        targets=[{"period": "2026-03", "metric": "leads", "value": 1, **item}],
    )


@pytest.mark.parametrize(
    ("sent", "field"),
    [
        (without("start"), "start"),
        (without("end"), "end"),
        (body(start="0000-01", end="2026-12", targets=[]), "start"),
        (body(start="9999-01", end="9999-12", targets=[]), "start"),
        (body(start="9998-01", end="9999-12", targets=[]), "end"),
        (body(start="2026-01\n", end="2026-12", targets=[]), "start"),
        (body(start="2026-01", end="2026-12\n", targets=[]), "end"),
        (with_target(period="0000-Q1"), "targets[0].period"),
        (with_target(period="0000-01"), "targets[0].period"),
        (with_target(period="2026-03\n"), "targets[0].period"),
        (with_target(period="2026-Q1\n"), "targets[0].period"),
        (with_target(metric="revenue", value="1.00", currency="EUR\n"), "targets[0].currency"),
        (with_target(metric="revenue", value="1.00", currency="QQQ"), "targets[0].currency"),
        (with_target(metric="revenue", value="1.00", currency="eur"), "targets[0].currency"),
        (with_target(region="ZZ"), "targets[0].region"),
        (with_target(region="ZZ-8"), "targets[0].region"),
        (with_target(region="DE-8\u0000"), "targets[0].region"),
        (with_target(value="4.00"), "targets[0].value"),
    ],
)
def test_malformed_spans_periods_regions_and_currencies_are_refused_naming_the_field(
    crm: Crm, staff: Any, client_as: Any, sent: dict[str, Any], field: str
) -> None:
    answer = client_as(staff.marketer).post("/p/campaigns/plans", json=sent)
    assert answer.status_code == 422, answer.text
    assert answer.json()["field"] == field
    assert stored(crm) == (0, 0)


def test_a_region_of_a_country_is_stored_cleaned(staff: Any, client_as: Any) -> None:
    made = client_as(staff.marketer).post("/p/campaigns/plans", json=with_target(region=" de-8 "))
    assert made.status_code == 201, made.text
    assert made.json()["targets"][0]["region"] == "DE-8"


@pytest.mark.parametrize(
    ("change", "field"),
    [({"start": "0000-12"}, "start"), ({"end": "9999-12"}, "end"), ({"end": None}, "end")],
)
def test_a_change_to_an_impossible_span_is_refused_and_changes_nothing(
    staff: Any, client_as: Any, change: dict[str, Any], field: str
) -> None:
    client = client_as(staff.marketer)
    made = client.post("/p/campaigns/plans", json=body(start="2026-01", end="2026-12", targets=[]))
    answer = client.patch(f"/p/campaigns/plans/{made.json()['id']}", json={"version": 1, **change})
    assert answer.status_code == 422, answer.text
    assert answer.json()["field"] == field
    read = client.get(f"/p/campaigns/plans/{made.json()['id']}").json()["plan"]
    assert (read["start"], read["end"], read["version"]) == ("2026-01", "2026-12", 1)


@pytest.mark.parametrize("typed", ["²", "-1", "4.00", "1e3"])
def test_the_form_refuses_a_count_that_is_not_digits_and_shows_it_again(
    crm: Crm, staff: Any, client_as: Any, typed: str
) -> None:
    form = {
        "name": "Autumn push",
        "start": "2026-09",
        "end": "2026-11",
        "targets[0].period": "2026-10",
        "targets[0].metric": "leads",
        "targets[0].value": typed,
    }
    refused = client_as(staff.marketer).post(
        "/p/campaigns/plans/new/page", data=form, follow_redirects=False
    )
    assert refused.status_code == 422
    assert f'aria-label="value of target 1" value="{typed}" aria-invalid="true"' in refused.text
    assert stored(crm) == (0, 0)
