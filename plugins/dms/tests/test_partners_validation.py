"""What a partner's regions and opening hours may say: real ISO 3166 countries only, and
opening hours that open at some time of the week (none at all: always open)."""

from __future__ import annotations

from typing import Any

import pytest

from crmkit import Crm

from .conftest import Staff
from .test_partners_api import counts


def body(**changes: Any) -> dict[str, Any]:
    return {"code": "ok2", "name": "Autohaus Neu", "kind": "dealer", **changes}


@pytest.mark.parametrize("country", ["XX", "ZZ", "QQ", "DX", "D1"])
def test_a_region_in_no_country_is_refused(
    crm: Crm, client_as: Any, staff: Staff, country: str
) -> None:
    regions = [
        {"country": "DE", "postcode_prefix": "1"},
        {"country": country, "postcode_prefix": "1"},
    ]
    answer = client_as(staff.admin).post("/p/dms/partners", json=body(regions=regions))
    assert (answer.status_code, answer.json()["field"]) == (422, "regions[1].country")
    assert counts(crm) == (0, 0)


def test_real_countries_are_taken_in_any_case(crm: Crm, client_as: Any, staff: Staff) -> None:
    regions = [{"country": "at", "postcode_prefix": "8"}, {"country": "XK"}]
    answer = client_as(staff.admin).post("/p/dms/partners", json=body(regions=regions))
    assert answer.status_code == 201, answer.text
    assert [r["country"] for r in answer.json()["regions"]] == ["AT", "XK"]


@pytest.mark.parametrize(
    "hours",
    [{"mon": []}, {day: [] for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}],
)
def test_opening_hours_that_never_open_are_refused(
    crm: Crm, client_as: Any, staff: Staff, hours: dict[str, Any]
) -> None:
    answer = client_as(staff.admin).post("/p/dms/partners", json=body(opening_hours=hours))
    assert (answer.status_code, answer.json()["field"]) == (422, "opening_hours")
    assert "always open" in answer.json()["detail"]
    assert counts(crm) == (0, 0)


def test_a_day_given_empty_is_closed_beside_the_open_ones(client_as: Any, staff: Staff) -> None:
    hours = {"mon": [], "tue": [["09:00", "17:00"]]}
    answer = client_as(staff.admin).post("/p/dms/partners", json=body(opening_hours=hours))
    assert answer.status_code == 201, answer.text
    assert answer.json()["partner"]["opening_hours"] == {"tue": [["09:00", "17:00"]]}
    assert (
        client_as(staff.admin)
        .post("/p/dms/partners", json=body(code="always", opening_hours={}))
        .json()["partner"]["opening_hours"]
        == {}
    )
