"""Assets, contracts and entitlement over HTTP: record rules, refusals naming the field, versions."""

from __future__ import annotations

from typing import Any

from crmkit_service.assets.service import create_asset
from crmkit_service.assets.tables import asset, contract
from sqlalchemy import func, select

from crmkit import Crm

VIN = "1M8GDM9AXKP042788"


def _count(crm: Crm, table: Any) -> int:
    with crm.read() as conn:
        return conn.execute(select(func.count()).select_from(table)).scalar_one()


def test_an_agent_records_an_asset_and_reads_its_entitlement(
    crm: Crm, staff: Any, new_party: Any, client_as: Any
) -> None:
    party = new_party()
    with client_as(staff.agent) as client:
        created = client.post(
            "/p/service/assets",
            json={
                "party_id": party,
                "product": "Van T6",
                "vin": VIN.lower(),
                "purchase_date": "2024-03-01",
                "warranty_end": "2099-03-01",
            },
        )
        assert created.status_code == 201, created.text
        body = created.json()
        assert body["vin"] == VIN and body["version"] == 1
        listed = client.get(f"/p/service/parties/{party}/assets").json()
        entitled = client.get(
            f"/p/service/parties/{party}/entitlement", params={"asset_id": body["id"]}
        ).json()
    assert [a["id"] for a in listed] == [body["id"]]
    assert entitled["state"] == "in_warranty" and entitled["billable"] is False


def test_a_bad_vin_is_refused_naming_the_field_and_nothing_is_stored(
    crm: Crm, staff: Any, new_party: Any, client_as: Any
) -> None:
    party = new_party()
    with client_as(staff.agent) as client:
        refused = client.post(
            "/p/service/assets",
            json={"party_id": party, "product": "Van", "vin": "1M8GDM9A1KP042788"},
        )
    assert refused.status_code == 422
    assert refused.json()["field"] == "vin"
    assert _count(crm, asset) == 0


def test_the_records_of_a_party_the_user_may_not_see_are_not_found(
    crm: Crm, staff: Any, new_party: Any, client_as: Any
) -> None:
    # A manager sees her own parties, her team's and unowned ones: not those of another team.
    hidden = new_party(owner_id=staff.outsider.user_id)
    with crm.transaction() as tx:
        item = create_asset(tx, {"party_id": hidden, "product": "Pump", "serial_number": "P1"})
    with client_as(staff.manager) as client:
        hidden_asset = client.get(f"/p/service/assets/{item.id}")
        assert hidden_asset.status_code == 404 and "party" not in hidden_asset.json()["detail"]
        assert client.get(f"/p/service/parties/{hidden}/assets").status_code == 404
        assert client.get(f"/p/service/parties/{hidden}/entitlement").status_code == 404
        patched = client.patch(f"/p/service/assets/{item.id}", json={"product": "Mine"})
        assert patched.status_code == 404
        created = client.post(
            "/p/service/assets",
            json={"party_id": hidden, "product": "Pump", "serial_number": "P2"},
        )
        assert created.status_code == 422 and created.json()["field"] == "party_id"
    assert _count(crm, asset) == 1


def test_a_stale_version_is_a_conflict(
    crm: Crm, staff: Any, new_party: Any, client_as: Any
) -> None:
    party = new_party()
    with client_as(staff.agent) as client:
        item = client.post(
            "/p/service/assets", json={"party_id": party, "product": "Pump", "serial_number": "P1"}
        ).json()
        changed = client.patch(
            f"/p/service/assets/{item['id']}", json={"warranty_end": "2030-01-01", "version": 1}
        )
        assert changed.status_code == 200 and changed.json()["version"] == 2
        stale = client.patch(
            f"/p/service/assets/{item['id']}", json={"warranty_end": "2031-01-01", "version": 1}
        )
    assert stale.status_code == 409


def test_contracts_are_recorded_by_managers_not_agents(
    crm: Crm, staff: Any, new_party: Any, client_as: Any
) -> None:
    party = new_party()
    body = {
        "party_id": party,
        "reference": "SC-2026-7",
        "starts_on": "2026-01-01",
        "ends_on": "2099-12-31",
        "visits_included": 4,
        "penalty_terms": "5 % of the yearly fee per missed visit",
    }
    with client_as(staff.agent) as client:
        assert client.post("/p/service/contracts", json=body).status_code == 403
    with client_as(staff.manager) as client:
        created = client.post("/p/service/contracts", json=body)
        assert created.status_code == 201, created.text
        assert created.json()["visits_used"] == 0
        shrunk = client.patch(
            f"/p/service/contracts/{created.json()['id']}", json={"ends_on": "2025-12-31"}
        )
        assert shrunk.status_code == 422 and shrunk.json()["field"] == "ends_on"
    with client_as(staff.agent) as client:
        listed = client.get(f"/p/service/parties/{party}/contracts").json()
        entitled = client.get(f"/p/service/parties/{party}/entitlement").json()
    assert [c["reference"] for c in listed] == ["SC-2026-7"]
    assert entitled["state"] == "contract" and entitled["contract_visits"] == 4
    assert _count(crm, contract) == 1


def test_an_unknown_field_is_refused(crm: Crm, staff: Any, new_party: Any, client_as: Any) -> None:
    party = new_party()
    with client_as(staff.agent) as client:
        refused = client.post(
            "/p/service/assets",
            json={"party_id": party, "product": "Pump", "serial_number": "P1", "price": 3},
        )
    assert refused.status_code == 422 and refused.json()["field"] == "price"


def test_the_same_serial_number_or_vin_posted_at_once_is_recorded_once(
    crm: Crm, staff: Any, new_party: Any, client_as: Any, at_once: Any
) -> None:
    party = new_party()
    clients = [client_as(staff.agent) for _ in range(4)]

    def post(client: Any, body: dict[str, Any]) -> Any:
        with client:
            answer = client.post("/p/service/assets", json={"party_id": party, **body})
            return answer.status_code, answer.json().get("field")

    for body, field in (
        ({"product": "Pump", "serial_number": "P-1"}, "serial_number"),
        ({"product": "Van", "vin": "WVWZZZ1JZXW000001"}, "vin"),
    ):
        answers = at_once(*[lambda c=c, b=body: post(c, b) for c in clients])
        assert sorted(answers, key=str) == [(201, None)] + [(422, field)] * 3
    assert _count(crm, asset) == 2


def test_unknown_or_repeated_query_parameters_are_refused_naming_them(
    crm: Crm, staff: Any, new_party: Any, client_as: Any
) -> None:
    party = new_party()
    with client_as(staff.agent) as client:
        for path, name in (
            (f"/p/service/parties/{party}/assets?bogus=1", "bogus"),
            (f"/p/service/parties/{party}/contracts?limit=5", "limit"),
            (f"/p/service/parties/{party}/entitlement?asset=1", "asset"),
            (f"/p/service/parties/{party}/entitlement?on=2030-01-01&on=2020-01-01", "on"),
        ):
            refused = client.get(path)
            assert refused.status_code == 422 and refused.json()["field"] == name, path
