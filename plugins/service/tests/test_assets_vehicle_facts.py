"""``service_asset_facts``: another plugin's knowledge of a vehicle's VIN joins its entitlement."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date, timedelta
from typing import Any

import pytest
from crmkit_service.assets.service import create_asset
from sqlalchemy import Connection

from crmkit import Actor, Crm, hookimpl, utcnow
from crmkit.testing import http_client, register_plugin

VIN = "1M8GDM9AXKP042788"
TODAY = utcnow().date()


class DealerSystem:
    """A plugin answering for one VIN, with a warranty the asset record does not know."""

    def __init__(self, warranty_until: date) -> None:
        self.warranty_until = warranty_until
        self.asked: list[str] = []

    @hookimpl
    def service_asset_facts(self, conn: Connection, vin: str) -> Mapping[str, Any] | None:
        self.asked.append(vin)
        if vin != VIN:
            return None
        return {"warranty_until": self.warranty_until, "last_service_on": "2026-03-02"}


@pytest.fixture
def dealer() -> DealerSystem:
    return DealerSystem(TODAY + timedelta(days=30))


@pytest.fixture
def crm(make_service: Callable[..., Crm], dealer: DealerSystem) -> Crm:
    return make_service(plugins=(register_plugin(dealer, name="dealer", depends=("service",)),))


def _asset(crm: Crm, party: int, **data: Any) -> int:
    with crm.transaction() as tx:
        return create_asset(
            tx, {"party_id": party, "product": "Van", "warranty_end": "2020-01-31", **data}
        ).id


class SignOn:
    def __init__(self, actor: Actor) -> None:
        self.actor = actor

    @hookimpl
    def actor_from_request(self, app: Crm, request: Any) -> Actor:
        return self.actor


def test_a_later_warranty_known_for_the_vin_covers_the_work(
    crm: Crm, make_service: Callable[..., Crm], new_party: Any, dealer: DealerSystem, staff: Any
) -> None:
    party = new_party()
    asset = _asset(crm, party, vin=VIN)
    served = make_service(
        plugins=(
            register_plugin(dealer, name="dealer", depends=("service",)),
            register_plugin(SignOn(staff.manager), name="signon"),
        ),
        create_tables=False,
    )
    with http_client(served) as client:
        answer = client.get(f"/p/service/parties/{party}/entitlement?asset_id={asset}")
    assert answer.status_code == 200, answer.text
    found = answer.json()
    assert (found["state"], found["billable"]) == ("in_warranty", False)
    assert found["warranty_end"] == dealer.warranty_until.isoformat()
    assert found["vehicle_facts"]["last_service_on"] == "2026-03-02"
    assert dealer.asked == [VIN]


def test_without_facts_for_the_vin_the_asset_record_decides(
    crm: Crm, new_party: Any, dealer: DealerSystem
) -> None:
    party = new_party()
    other = _asset(crm, party, vin="WVWZZZ1JZXW000001")
    serial = _asset(crm, party, serial_number="S-1")
    with crm.transaction() as tx:
        by_vin = entitlement(tx.conn, tx.hooks, party, other)
        by_serial = entitlement(tx.conn, tx.hooks, party, serial)
    assert by_vin.state == by_serial.state == "out_of_warranty"
    assert by_vin.vehicle_facts is None
    assert dealer.asked == ["WVWZZZ1JZXW000001"]  # an asset without a VIN asks nobody


def entitlement(conn: Connection, hooks: Any, party: int, asset: int) -> Any:
    from crmkit_service.assets.entitlement import entitlement_of

    return entitlement_of(conn, party, asset, hooks=hooks)
