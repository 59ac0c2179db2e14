"""Programmes over HTTP: created with their entry tier, read, changed naming the version last
read (409 otherwise), deleted or refused; bad input refused naming the field, nothing stored;
who may read and who may write."""

from __future__ import annotations

from typing import Any

import pytest
from crmkit_loyalty.ledger.service import enrol
from crmkit_loyalty.programmes.tables import programme, tier
from sqlalchemy import func, select

from crmkit import Crm
from crmkit.testing import unbounded_inputs

BODY = {
    "name": "Acme Rewards",
    "currency": "EUR",
    "description": "Points for every euro",
    "points_expire_months": 24,
    "qualification_months": 12,
    "downgrade": "to_qualified",
    "auto_enrol": True,
}


def counts(crm: Crm) -> tuple[int, int]:
    with crm.read() as conn:
        programmes = conn.execute(select(func.count()).select_from(programme)).scalar_one()
        tiers = conn.execute(select(func.count()).select_from(tier)).scalar_one()
    return int(programmes), int(tiers)


def test_a_programme_is_created_with_its_entry_tier_read_changed_and_deleted(
    crm: Crm, staff: Any, client_as: Any
) -> None:
    client = client_as(staff.marketer)
    created = client.post("/p/loyalty/programmes", json=BODY)
    assert created.status_code == 201, created.text
    made = created.json()
    assert made["status"] == "active" and made["version"] == 1 and made["auto_enrol"] is True
    assert made["created_by"] == staff.marketer.user_id

    read = client.get(f"/p/loyalty/programmes/{made['id']}").json()
    assert read["programme"]["downgrade"] == "to_qualified"
    [entry] = read["tiers"]
    assert (entry["name"], entry["rank"], entry["threshold"], entry["multiplier"]) == (
        "Member",
        0,
        0,
        "1.000",
    )
    assert read["members"] == [{"tier_id": entry["id"], "members": 0}]
    assert read["rules"] == [] and read["rewards"] == []

    changed = client.patch(
        f"/p/loyalty/programmes/{made['id']}",
        json={"version": 1, "points_expire_months": None, "status": "closed"},
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["points_expire_months"] is None and changed.json()["version"] == 2
    stale = client.patch(f"/p/loyalty/programmes/{made['id']}", json={"version": 1, "name": "X"})
    assert stale.status_code == 409
    assert client.get(f"/p/loyalty/programmes/{made['id']}").json()["programme"]["name"] == (
        "Acme Rewards"
    )
    listed = client.get("/p/loyalty/programmes").json()
    assert [p["name"] for p in listed] == ["Acme Rewards"]

    assert client.delete(f"/p/loyalty/programmes/{made['id']}?version=1").status_code == 409
    assert client.delete(f"/p/loyalty/programmes/{made['id']}").status_code == 422
    assert client.delete(f"/p/loyalty/programmes/{made['id']}?version=2").status_code == 204
    assert client.get(f"/p/loyalty/programmes/{made['id']}").status_code == 404
    assert counts(crm) == (0, 0)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"name": " "}, "name"),
        ({"name": "x" * 201}, "name"),
        ({"currency": "EURO"}, "currency"),
        ({"currency": "XYZ"}, "currency"),
        ({"currency": "eur"}, "currency"),
        ({"points_expire_months": 0}, "points_expire_months"),
        ({"points_expire_months": 121}, "points_expire_months"),
        ({"qualification_months": 0}, "qualification_months"),
        ({"qualification_months": 61}, "qualification_months"),
        ({"qualification_months": "12"}, "qualification_months"),
        ({"downgrade": "two_steps"}, "downgrade"),
        ({"auto_enrol": 1}, "auto_enrol"),
        ({"colour": "gold"}, "colour"),
    ],
)
def test_a_bad_programme_is_refused_naming_the_field_and_nothing_is_stored(
    crm: Crm, staff: Any, client_as: Any, change: dict[str, Any], field: str
) -> None:
    refused = client_as(staff.marketer).post("/p/loyalty/programmes", json={**BODY, **change})
    assert refused.status_code == 422, refused.text
    assert refused.json()["field"] == field
    assert counts(crm) == (0, 0)


def test_a_change_is_checked_as_a_new_programme_is(crm: Crm, staff: Any, client_as: Any) -> None:
    client = client_as(staff.marketer)
    made = client.post("/p/loyalty/programmes", json=BODY).json()
    refused = client.patch(
        f"/p/loyalty/programmes/{made['id']}", json={"version": 1, "status": "paused"}
    )
    assert refused.status_code == 422 and refused.json()["field"] == "status"
    missing = client.patch(f"/p/loyalty/programmes/{made['id']}", json={"name": "Other"})
    assert missing.status_code == 422 and missing.json()["field"] == "version"
    assert client.get(f"/p/loyalty/programmes/{made['id']}").json()["programme"]["version"] == 1


def test_programme_names_are_unique(crm: Crm, staff: Any, client_as: Any) -> None:
    client = client_as(staff.marketer)
    client.post("/p/loyalty/programmes", json=BODY)
    other = client.post("/p/loyalty/programmes", json={**BODY, "name": "Staff Club"}).json()
    again = client.post("/p/loyalty/programmes", json=BODY)
    assert again.status_code == 422 and again.json()["field"] == "name"
    shouted = client.post("/p/loyalty/programmes", json={**BODY, "name": "ACME REWARDS"})
    assert shouted.status_code == 422 and shouted.json()["field"] == "name"  # case aside
    renamed = client.patch(
        f"/p/loyalty/programmes/{other['id']}", json={"version": 1, "name": "acme rewards"}
    )
    assert renamed.status_code == 422 and renamed.json()["field"] == "name"
    itself = client.patch(
        f"/p/loyalty/programmes/{other['id']}", json={"version": 1, "name": "STAFF CLUB"}
    )
    assert itself.status_code == 200 and itself.json()["name"] == "STAFF CLUB"
    assert counts(crm) == (2, 2)


def test_a_programme_with_members_is_closed_not_deleted(
    crm: Crm, staff: Any, client_as: Any, new_party: Any
) -> None:
    client = client_as(staff.marketer)
    made = client.post("/p/loyalty/programmes", json=BODY).json()
    party_id = new_party()
    with crm.transaction() as tx:
        enrol(tx, made["id"], party_id)
    refused = client.delete(f"/p/loyalty/programmes/{made['id']}?version=1")
    assert refused.status_code == 409
    assert counts(crm) == (1, 1)


def test_everyone_reads_programmes_and_only_marketing_and_managers_change_them(
    crm: Crm, staff: Any, client_as: Any
) -> None:
    made = client_as(staff.manager).post("/p/loyalty/programmes", json=BODY)
    assert made.status_code == 201
    programme_id = made.json()["id"]
    for actor in (staff.outsider, staff.agent):
        client = client_as(actor)
        assert client.get(f"/p/loyalty/programmes/{programme_id}").status_code == 200
        assert (
            client.post("/p/loyalty/programmes", json={**BODY, "name": "Mine"}).status_code == 403
        )
        changed = client.patch(
            f"/p/loyalty/programmes/{programme_id}", json={"version": 1, "name": "Mine"}
        )
        assert changed.status_code == 403
        tiers = client.post(
            f"/p/loyalty/programmes/{programme_id}/tiers",
            json={"name": "Gold", "rank": 1, "threshold": 100},
        )
        assert tiers.status_code == 403
    assert counts(crm) == (1, 1)


def test_an_unknown_query_parameter_is_refused(crm: Crm, staff: Any, client_as: Any) -> None:
    refused = client_as(staff.marketer).get("/p/loyalty/programmes?status=active")
    assert refused.status_code == 422 and refused.json()["field"] == "status"


def test_every_route_is_in_the_openapi_document_with_bounded_inputs(
    crm: Crm, staff: Any, client_as: Any
) -> None:
    spec = client_as(staff.marketer).get("/api/openapi.json").json()
    paths = spec["paths"]
    assert set(paths["/p/loyalty/programmes/{programme_id}"]) >= {"get", "patch", "delete"}
    for part in ("rules", "tiers", "rewards"):
        assert set(paths[f"/p/loyalty/programmes/{{programme_id}}/{part}"]) == {"get", "post"}
        item = f"/p/loyalty/programmes/{{programme_id}}/{part}/{{{part[:-1]}_id}}"
        assert set(paths[item]) == {"patch", "delete"}
    assert "post" in paths["/p/loyalty/members/{member_id}/tier"]
    assert "get" in paths["/p/loyalty/behaviours"]
    assert unbounded_inputs(spec, "/p/loyalty/programmes") == []


def test_members_per_tier_count_only_the_parties_the_reader_sees(
    crm: Crm, staff: Any, client_as: Any, new_party: Any
) -> None:
    made = client_as(staff.marketer).post("/p/loyalty/programmes", json=BODY).json()
    berlin = new_party()
    paris = new_party(
        owner_id=staff.outsider.user_id,
        addresses=[
            {"street": "1 Rue de Rivoli", "postcode": "75001", "city": "Paris", "country": "FR"}
        ],
    )
    with crm.transaction() as tx:
        enrol(tx, made["id"], berlin)
        enrol(tx, made["id"], paris)
    url = f"/p/loyalty/programmes/{made['id']}"
    assert client_as(staff.marketer).get(url).json()["members"][0]["members"] == 2
    assert client_as(staff.manager).get(url).json()["members"][0]["members"] == 1
