"""Assets and service contracts: validation (serial numbers, VINs), visibility, versions, entitlement."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from crmkit_service.assets.entitlement import entitlement_of
from crmkit_service.assets.service import create_asset, create_contract, use_visit

from crmkit import Crm, ValidationError, read_vin, utcnow, vin_check_digit

TODAY = utcnow().date()
VALID_VIN = "1M8GDM9AXKP042788"
"""The worked example of 49 CFR 565 (check digit X)."""


def test_a_north_american_vin_is_checked_by_its_check_digit() -> None:
    assert vin_check_digit(VALID_VIN) == "X"
    assert read_vin("vin", "1m8gdm9a xkp042788").text == VALID_VIN
    with pytest.raises(ValidationError, match="check digit") as refused:
        read_vin("vin", "1M8GDM9A1KP042788")
    assert refused.value.field == "vin"


@pytest.mark.parametrize(
    ("vin", "reason"),
    [
        ("WVWZZZ1JZXW00000", "17 characters"),
        ("WVWZZZ1JZXW0000001", "17 characters"),
        ("WVWZZZ1JZOW000001", "I, O, Q are never used"),
        ("WVWZZZ1JZQW000001", "I, O, Q are never used"),
    ],
)
def test_a_vin_has_17_characters_without_i_o_q(vin: str, reason: str) -> None:
    with pytest.raises(ValidationError, match=reason):
        read_vin("vin", vin)


def test_a_european_vin_has_no_check_digit_to_hold() -> None:
    assert read_vin("vin", "WVWZZZ1JZXW000001").text == "WVWZZZ1JZXW000001"


def _asset(crm: Crm, party_id: int, **data: Any) -> int:
    with crm.transaction() as tx:
        return create_asset(tx, {"party_id": party_id, "product": "Boiler X200", **data}).id


def _contract(crm: Crm, party_id: int, **data: Any) -> int:
    values = {
        "party_id": party_id,
        "reference": "SC-1",
        "starts_on": (TODAY - timedelta(days=30)).isoformat(),
        "ends_on": (TODAY + timedelta(days=335)).isoformat(),
        "visits_included": 2,
        **data,
    }
    with crm.transaction() as tx:
        return create_contract(tx, values).id


def test_an_asset_needs_a_serial_number_or_a_vin(crm: Crm, new_party: Any) -> None:
    party = new_party()
    with pytest.raises(ValidationError) as refused, crm.transaction() as tx:
        create_asset(tx, {"party_id": party, "product": "Boiler"})
    assert refused.value.field == "serial_number"


def test_a_serial_number_is_unique_within_its_product(crm: Crm, new_party: Any) -> None:
    party = new_party()
    _asset(crm, party, serial_number="sn-1")
    with pytest.raises(ValidationError) as refused:
        _asset(crm, party, serial_number="SN-1")
    assert refused.value.field == "serial_number"
    assert _asset(crm, party, serial_number="SN-1", product="Pump")


def test_a_prospect_owns_no_asset_nor_contract(crm: Crm, new_party: Any) -> None:
    prospect = new_party("prospect")
    with pytest.raises(ValidationError) as refused:
        _asset(crm, prospect, serial_number="SN-1")
    assert refused.value.field == "party_id"
    with pytest.raises(ValidationError) as refused, crm.transaction() as tx:
        create_contract(
            tx,
            {
                "party_id": prospect,
                "reference": "SC-1",
                "starts_on": "2020-01-01",
                "ends_on": "2099-12-31",
                "visits_included": 1,
            },
        )
    assert refused.value.field == "party_id"


def test_entitlement_in_warranty_is_not_billable(crm: Crm, new_party: Any) -> None:
    party = new_party()
    asset = _asset(
        crm, party, serial_number="A1", warranty_end=(TODAY + timedelta(days=1)).isoformat()
    )
    with crm.read() as conn:
        found = entitlement_of(conn, party, asset)
    assert (found.state, found.billable) == ("in_warranty", False)
    assert "In warranty until" in found.summary


def test_entitlement_out_of_warranty_is_billable(crm: Crm, new_party: Any) -> None:
    party = new_party()
    asset = _asset(crm, party, serial_number="A1", warranty_end="2020-01-31")
    with crm.read() as conn:
        found = entitlement_of(conn, party, asset)
    assert (found.state, found.billable) == ("out_of_warranty", True)
    assert found.summary == "Warranty ended 2020-01-31: billable"


def test_a_contract_covers_its_visits_and_then_the_work_is_billable(
    crm: Crm, new_party: Any
) -> None:
    party = new_party()
    asset = _asset(crm, party, serial_number="A1", warranty_end="2020-01-31")
    contract = _contract(crm, party, asset_id=asset, visits_included=1)
    with crm.read() as conn:
        before = entitlement_of(conn, party, asset)
    assert (before.state, before.contract_visits, before.visits_used, before.billable) == (
        "contract",
        1,
        0,
        False,
    )
    with crm.transaction() as tx:
        use_visit(tx, contract, None, utcnow())
    with crm.read() as conn:
        after = entitlement_of(conn, party, asset)
    assert (after.state, after.visits_used, after.billable) == ("contract", 1, True)
    assert "billable" in after.summary


def test_a_contract_counts_only_within_its_period(crm: Crm, new_party: Any) -> None:
    party = new_party()
    _contract(crm, party, starts_on="2020-01-01", ends_on="2020-12-31")
    with crm.read() as conn:
        assert entitlement_of(conn, party, None).state == "none"
        assert entitlement_of(conn, party, None, on=date(2020, 6, 1)).state == "contract"


def test_the_asset_of_another_party_is_refused(crm: Crm, new_party: Any) -> None:
    mine, theirs = new_party(), new_party(last_name="Other")
    asset = _asset(crm, theirs, serial_number="A1")
    with pytest.raises(ValidationError) as refused, crm.read() as conn:
        entitlement_of(conn, mine, asset)
    assert refused.value.field == "asset_id"
