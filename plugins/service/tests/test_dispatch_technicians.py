"""Technicians and partners over HTTP: region, working windows in their time zone, who may keep them."""

from __future__ import annotations

from typing import Any

import pytest
from crmkit_service.dispatch.tables import technician
from sqlalchemy import func, select

from crmkit import Crm

BERLIN = {
    "name": "Bert Berlin",
    "territories": ["de-10", " DE-14 "],
    "time_zone": "Europe/Berlin",
    "phone": "030 9876543",
    "windows": [{"weekday": 1, "starts": "08:00", "ends": "12:00"}],
}


def test_a_manager_adds_and_changes_a_technician(crm: Crm, staff: Any, client_as: Any) -> None:
    with client_as(staff.manager) as client:
        created = client.post("/p/service/technicians", json=BERLIN)
        assert created.status_code == 201, created.text
        body = created.json()
        assert body["territories"] == ["DE-10", "DE-14"] and body["phone"] == "+49309876543"
        changed = client.patch(
            f"/p/service/technicians/{body['id']}",
            json={"active": False, "windows": [], "version": body["version"]},
        )
        assert changed.status_code == 200, changed.text
        assert changed.json()["active"] is False and changed.json()["windows"] == []
        listed = client.get("/p/service/technicians", params={"active": "true"}).json()
    assert listed == []


def test_a_slot_is_free_only_within_the_local_working_window(
    crm: Crm, staff: Any, client_as: Any
) -> None:
    with client_as(staff.manager) as client:
        client.post("/p/service/technicians", json=BERLIN)
        # Monday 2030-01-07, 08:30 in Berlin is 07:30 UTC; 07:30 in Berlin is before the window.
        inside = client.get(
            "/p/service/technicians/free",
            params={
                "territory": "DE-10117",
                "start": "2030-01-07T07:30:00Z",
                "end": "2030-01-07T09:00:00Z",
            },
        )
        before = client.get(
            "/p/service/technicians/free",
            params={"territory": "DE-10117", "start": "2030-01-07T06:30:00Z"},
        )
        elsewhere = client.get(
            "/p/service/technicians/free",
            params={"territory": "DE-80331", "start": "2030-01-07T07:30:00Z"},
        )
    assert [c["technician"]["name"] for c in inside.json()] == ["Bert Berlin"]
    assert before.json() == [] and elsewhere.json() == []


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"time_zone": "Mars/Olympus"}, "time_zone"),
        ({"kind": "robot"}, "kind"),
        ({"name": " "}, "name"),
        ({"windows": [{"weekday": 8, "starts": "08:00", "ends": "12:00"}]}, "windows[0].weekday"),
        ({"windows": [{"weekday": 1, "starts": "12:00", "ends": "08:00"}]}, "windows[0].ends"),
        (
            {
                "windows": [
                    {"weekday": 1, "starts": "08:00", "ends": "12:00"},
                    {"weekday": 1, "starts": "11:00", "ends": "15:00"},
                ]
            },
            "windows[1]",
        ),
        ({"territories": ["DE", ""]}, "territories[1]"),
        ({"territories": ["DE", "XX-1"]}, "territories[1]"),  # a country no site can be in
        ({"territories": ["de-10", "XX"]}, "territories[1]"),
        ({"user_id": 999}, "user_id"),
    ],
)
def test_a_bad_technician_is_refused_naming_the_field(
    crm: Crm, staff: Any, client_as: Any, change: dict[str, Any], field: str
) -> None:
    with client_as(staff.manager) as client:
        refused = client.post("/p/service/technicians", json={**BERLIN, **change})
    assert refused.status_code == 422, refused.text
    assert refused.json()["field"] == field
    with crm.read() as conn:
        assert conn.execute(select(func.count()).select_from(technician)).scalar_one() == 0


def test_agents_see_technicians_but_do_not_keep_them(crm: Crm, staff: Any, client_as: Any) -> None:
    with client_as(staff.agent) as client:
        assert client.post("/p/service/technicians", json=BERLIN).status_code == 403
        assert client.get("/p/service/technicians").status_code == 200
