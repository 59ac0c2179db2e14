"""Partners over HTTP: created with their organisation party, brands and regions, read,
changed naming the version last read (409 otherwise), deleted or refused; partner users
added and removed; bad input refused naming the field, nothing stored; who may do what."""

from __future__ import annotations

from typing import Any

import pytest
from crmkit_dms.partners.tables import partner, partner_region
from sqlalchemy import func, select

from crmkit import Crm, get_party
from crmkit.testing import add_user, check_plugin, unbounded_inputs

from .conftest import Dealers, OfferMaker, PartyMaker, Staff

BODY = {
    "code": "hh-1",
    "name": "Autohaus Hamburg",
    "kind": "dealer",
    "brands": ["VW", "vw ", "Škoda"],
    "regions": [{"country": "de", "postcode_prefix": "20 1"}, {"country": "DE"}],
    "capacity_per_day": 15,
    "opening_hours": {"mon": [["08:00", "12:00"], ["13:00", "18:00"]], "sat": [["09:00", "13:00"]]},
    "time_zone": "Europe/Berlin",
}


def counts(crm: Crm) -> tuple[int, int]:
    with crm.read() as conn:
        return (
            conn.execute(select(func.count()).select_from(partner)).scalar_one(),
            conn.execute(select(func.count()).select_from(partner_region)).scalar_one(),
        )


def test_the_plugin_passes_the_contract() -> None:
    check_plugin("dms")


def test_create_read_change_delete(crm: Crm, client_as: Any, staff: Staff) -> None:
    admin = client_as(staff.admin)
    created = admin.post("/p/dms/partners", json=BODY)
    assert created.status_code == 201, created.text
    body = created.json()
    p = body["partner"]
    assert p["brands"] == ["vw", "škoda"]  # case-folded, duplicates dropped
    assert body["regions"] == [
        {"country": "DE", "postcode_prefix": ""},
        {"country": "DE", "postcode_prefix": "201"},
    ]
    assert p["opening_hours"]["mon"] == [["08:00", "12:00"], ["13:00", "18:00"]]
    with crm.read() as conn:
        organisation = get_party(conn, p["party_id"])
    assert organisation.kind == "organisation" and organisation.display_name == "Autohaus Hamburg"

    listed = admin.get("/p/dms/partners").json()
    assert [item["code"] for item in listed] == ["hh-1"]
    url = f"/p/dms/partners/{p['id']}"
    changed = admin.patch(url, json={"capacity_per_day": None, "brands": ["Audi"], "version": 1})
    assert changed.status_code == 200, changed.text
    assert changed.json()["partner"]["capacity_per_day"] is None
    assert changed.json()["partner"]["brands"] == ["audi"]
    stale = admin.patch(url, json={"name": "Other", "version": 1})
    assert stale.status_code == 409
    assert admin.get(url).json()["partner"]["name"] == "Autohaus Hamburg"
    assert admin.delete(url, params={"version": 1}).status_code == 409
    assert admin.delete(url, params={"version": 2}).status_code == 204
    assert admin.get(url).status_code == 404
    assert counts(crm) == (0, 0)
    audit = admin.get(f"/api/v1/parties/{p['party_id']}")
    assert audit.status_code == 200  # the organisation party stays


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"code": "no spaces"}, "code"),
        ({"kind": "garage"}, "kind"),
        ({"name": " "}, "name"),
        ({"capacity_per_day": -1}, "capacity_per_day"),
        ({"time_zone": "Mars/Olympus"}, "time_zone"),
        ({"regions": [{"country": "Germany"}]}, "regions[0].country"),
        (
            {"regions": [{"country": "DE", "postcode_prefix": "1234567890123"}]},
            "regions[0].postcode_prefix",
        ),
        ({"regions": [{"country": "DE", "city": "Kiel"}]}, "regions[0].city"),
        ({"brands": "VW"}, "brands"),
        ({"opening_hours": {"mon": [["18:00", "08:00"]]}}, "opening_hours.mon"),
        ({"opening_hours": {"monday": []}}, "opening_hours.monday"),
        ({"party_id": 999999}, "party_id"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_bad_input_is_refused_naming_the_field(
    crm: Crm, client_as: Any, staff: Staff, change: dict[str, Any], field: str
) -> None:
    answer = client_as(staff.admin).post("/p/dms/partners", json={**BODY, **change})
    assert answer.status_code == 422, answer.text
    assert answer.json()["field"] == field
    assert counts(crm) == (0, 0)


def test_codes_are_unique(client_as: Any, staff: Staff) -> None:
    admin = client_as(staff.admin)
    assert admin.post("/p/dms/partners", json=BODY).status_code == 201
    again = admin.post("/p/dms/partners", json={**BODY, "name": "Another"})
    assert again.status_code == 422 and again.json()["field"] == "code"


def test_who_may_read_and_write(client_as: Any, staff: Staff, dealers: Dealers) -> None:
    assert client_as(staff.agent).get("/p/dms/partners").status_code == 200
    assert client_as(staff.agent).post("/p/dms/partners", json=BODY).status_code == 403
    assert client_as(staff.manager).post("/p/dms/partners", json=BODY).status_code == 201
    assert client_as(dealers.nora).get(f"/p/dms/partners/{dealers.north}").status_code == 403


def test_partner_users_are_added_and_removed(
    crm: Crm, client_as: Any, dealers: Dealers, staff: Staff
) -> None:
    admin = client_as(dealers.admin)
    users = f"/p/dms/partners/{dealers.south}/users"
    newcomer = add_user(crm, "paula", "partner")
    added = admin.post(users, json={"user_id": newcomer.user_id})
    assert added.status_code == 201 and added.json()["username"] == "paula"
    # A staff user is never made a partner user: they would keep their role's view.
    refused = admin.post(users, json={"user_id": staff.outsider.user_id})
    assert refused.status_code == 422 and refused.json()["field"] == "user_id"
    # One partner per user.
    twice = admin.post(f"/p/dms/partners/{dealers.north}/users", json={"user_id": newcomer.user_id})
    assert twice.status_code == 422 and twice.json()["field"] == "user_id"
    detail = admin.get(f"/p/dms/partners/{dealers.south}").json()
    assert [u["username"] for u in detail["users"]] == ["paula", "sven"]
    assert admin.delete(f"{users}/{newcomer.user_id}").status_code == 204
    assert admin.delete(f"{users}/{newcomer.user_id}").status_code == 404


def test_a_partner_offered_leads_is_deactivated_not_deleted(
    client_as: Any, dealers: Dealers, new_party: PartyMaker, offer: OfferMaker
) -> None:
    offer(new_party("prospect"), dealers.south)
    admin = client_as(dealers.admin)
    answer = admin.delete(f"/p/dms/partners/{dealers.south}", params={"version": 1})
    assert answer.status_code == 409
    assert admin.get(f"/p/dms/partners/{dealers.south}").status_code == 200


def test_every_input_is_bounded(client_as: Any, staff: Staff) -> None:
    spec = client_as(staff.admin).get("/api/openapi.json").json()
    assert unbounded_inputs(spec, "/p/dms/partners") == []
    assert "/p/dms/partners/{partner_id}/performance" in spec["paths"]
