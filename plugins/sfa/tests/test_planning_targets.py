"""Targets per user, team, territory and product group; actuals from placed orders; attainment and gap."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import pytest
from crmkit_sfa.pipeline import service
from crmkit_sfa.planning.periods import period_of
from crmkit_sfa.planning.targets import (
    Target,
    attainment,
    create_target,
    get_target,
    update_target,
)

from crmkit import Actor, ConflictError, Crm, ValidationError, utcnow
from crmkit.testing import http_client

if TYPE_CHECKING:
    from conftest import SalesRows, SalesTeam

NOW = utcnow()
TODAY = NOW.date()
QUARTER = period_of("quarter", TODAY)
IN_QUARTER = datetime.combine(QUARTER.start, datetime.min.time(), UTC) + timedelta(hours=1)


def set_target(crm: Crm, **data: Any) -> Target:
    data.setdefault("period", QUARTER.key)
    with crm.transaction() as tx:
        return create_target(tx, data)


def amount_target(crm: Crm, scope: str, key: str, value: str, **data: Any) -> Target:
    return set_target(crm, scope=scope, scope_key=key, value=value, currency="EUR", **data)


def test_actuals_come_from_orders_placed_in_the_period(
    crm: Crm, rows: SalesRows, team: SalesTeam
) -> None:
    seller = team.seller.user_id
    rows.order(seller, IN_QUARTER, {"vans": "6000.00"})
    rows.order(seller, NOW, {"vans": "1500.50"})
    rows.order(seller, IN_QUARTER - timedelta(days=1), {"vans": "9999.00"})  # last quarter
    rows.order(seller, NOW, {"vans": "8888.00"}, currency="CHF")  # another currency
    rows.order(team.outsider.user_id, NOW, {"vans": "7777.00"})  # somebody else
    target = amount_target(crm, "user", str(seller), "10000.00")
    with crm.read() as conn:
        result = attainment(conn, target, TODAY)
    assert (result.actual, result.gap, result.attainment_percent) == (
        Decimal("7500.50"),
        Decimal("2499.50"),
        Decimal("75.0"),
    )


def test_team_territory_and_product_group_targets(
    crm: Crm, rows: SalesRows, team: SalesTeam
) -> None:
    in_berlin = rows.opportunity(team.seller.user_id, territory="DE-10117", status="won")
    in_munich = rows.opportunity(team.territory_seller.user_id, territory="DE-80331", status="won")
    rows.order(
        team.seller.user_id, NOW, {"vans": "100.00", "cars": "10.00"}, opportunity_id=in_berlin
    )
    rows.order(team.territory_seller.user_id, NOW, {"vans": "200.00"}, opportunity_id=in_munich)
    rows.order(team.outsider.user_id, NOW, {"cars": "1000.00"})

    def actual(target: Target) -> Decimal:
        with crm.read() as conn:
            return attainment(conn, target, TODAY).actual

    assert actual(amount_target(crm, "team", "north", "1000.00")) == Decimal("310.00")
    assert actual(amount_target(crm, "territory", "DE-10", "1000.00")) == Decimal("110.00")
    assert actual(amount_target(crm, "territory", "de", "1000.00")) == Decimal("310.00")
    assert actual(amount_target(crm, "product_group", "cars", "1000.00")) == Decimal("1010.00")
    orders = set_target(crm, scope="product_group", scope_key="vans", measure="count", value=5)
    assert actual(orders) == 2


def test_a_territory_typed_into_an_opportunity_counts_alike_on_every_database(
    crm: Crm, rows: SalesRows, team: SalesTeam
) -> None:
    deal = rows.opportunity(team.seller.user_id, territory=None)
    rows.order(team.seller.user_id, NOW, {"vans": "100.00"}, opportunity_id=deal)
    with crm.transaction(team.seller) as tx:
        changed = service.update_opportunity(tx, deal, {"territory": " de-10 117 "}, 1)
    # Stored as the kernel compares territories: PostgreSQL's prefix match is case-sensitive.
    assert changed.territory == "DE-10117"
    with crm.read() as conn:
        target = amount_target(crm, "territory", "de-10", "1000.00")
        assert attainment(conn, target, TODAY).actual == Decimal("100.00")


def test_run_rate_projects_the_pace_to_the_end_of_the_period(
    crm: Crm, rows: SalesRows, team: SalesTeam
) -> None:
    rows.order(team.seller.user_id, IN_QUARTER, {"vans": "1000.00"})
    target = amount_target(crm, "user", str(team.seller.user_id), "5000.00")
    a_tenth_in = QUARTER.start + timedelta(days=QUARTER.days // 10)
    with crm.read() as conn:
        result = attainment(conn, target, a_tenth_in)
    assert result.projected == (Decimal(1000) * QUARTER.days / (QUARTER.days // 10)).quantize(
        Decimal("0.01")
    )
    assert result.on_track


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"scope": "planet", "scope_key": "x"}, "scope"),
        ({"scope": "all"}, "scope"),
        ({"scope": "user", "scope_key": "sam"}, "scope_key"),
        ({"scope": "user", "scope_key": "999999"}, "scope_key"),
        ({"scope": "user", "scope_key": "²"}, "scope_key"),
        ({"scope": "user", "scope_key": "9" * 30}, "scope_key"),
        ({"period": "next quarter"}, "period"),
        ({"measure": "weight"}, "measure"),
        ({"value": "-5"}, "value"),
        ({"value": 12.5}, "value"),
        ({"value": "12.345"}, "value"),
        # More than the column holds (14 digits before the point): PostgreSQL refuses it.
        ({"value": "100000000000000"}, "value"),
        ({"period": "0000"}, "period"),
        ({"period": "9999-Q4"}, "period"),
        ({"currency": "euro"}, "currency"),
        ({"measure": "count", "value": "2.5", "currency": None}, "value"),
        ({"measure": "count", "value": "2"}, "currency"),
        ({"owner_id": 999999, "scope": "team", "scope_key": "north"}, "owner_id"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_bad_target_is_refused_naming_the_field(
    crm: Crm, team: SalesTeam, data: dict[str, Any], field: str
) -> None:
    body = {
        "scope": "user",
        "scope_key": str(team.seller.user_id),
        "period": QUARTER.key,
        "value": "100.00",
        "currency": "EUR",
        **data,
    }
    with pytest.raises(ValidationError) as refused:
        set_target(crm, **body)
    assert refused.value.field == field


def test_the_same_target_twice_is_a_conflict_and_a_stale_version_too(
    crm: Crm, team: SalesTeam
) -> None:
    target = amount_target(crm, "team", "north", "100.00")
    with pytest.raises(ConflictError):
        amount_target(crm, "team", "north", "200.00")
    body = {"scope": "team", "scope_key": "north", "period": QUARTER.key, "currency": "EUR"}
    with crm.transaction() as tx:
        changed = update_target(tx, target.id, {**body, "value": "300.00", "version": 1})
    assert (changed.value, changed.version) == (Decimal("300.00"), 2)
    with pytest.raises(ConflictError), crm.transaction() as tx:
        update_target(tx, target.id, {**body, "value": "400.00", "version": 1})
    # A version that is no whole number is refused naming it, not read as one (True == 1).
    for odd in (True, "2"):
        with pytest.raises(ValidationError) as caught, crm.transaction() as tx:
            update_target(tx, target.id, {**body, "value": "400.00", "version": odd})
        assert caught.value.field == "version"


def test_a_target_set_to_the_values_it_has_keeps_its_version_unless_stale(
    crm: Crm, team: SalesTeam
) -> None:
    target = amount_target(crm, "team", "north", "100.00")
    body = {"scope": "team", "scope_key": "north", "period": QUARTER.key, "currency": "EUR"}
    with crm.transaction() as tx:
        same = update_target(tx, target.id, {**body, "value": "100", "version": 1})
        unversioned = update_target(tx, target.id, {**body, "value": "100.00"})
    assert same == unversioned == target
    with crm.transaction() as tx:
        update_target(tx, target.id, {**body, "value": "200.00", "version": 1})
    with pytest.raises(ConflictError), crm.transaction() as tx:
        update_target(tx, target.id, {**body, "value": "200.00", "version": 1})
    with crm.read() as conn:
        assert get_target(conn, target.id).version == 2


def test_manager_sets_targets_over_http_and_a_salesperson_sees_only_their_own(
    crm: Crm, rows: SalesRows, team: SalesTeam, crm_as: Callable[[Actor], Crm]
) -> None:
    rows.order(team.seller.user_id, NOW, {"vans": "250.00"})
    period = {"period": QUARTER.key}
    with http_client(crm_as(team.manager)) as client:
        mine = client.post(
            "/p/sfa/targets",
            json={
                "scope": "user",
                "scope_key": str(team.seller.user_id),
                "value": "1000.00",
                "currency": "EUR",
                **period,
            },
        )
        teams = client.post(
            "/p/sfa/targets",
            json={
                "scope": "team",
                "scope_key": "north",
                "value": "5000",
                "currency": "EUR",
                **period,
            },
        )
        colleagues = client.post(
            "/p/sfa/targets",
            json={
                "scope": "user",
                "scope_key": str(team.territory_seller.user_id),
                "value": "2000.00",
                "currency": "EUR",
                **period,
            },
        )
        assert mine.status_code == 201, mine.text
        assert teams.status_code == 201, teams.text
        assert colleagues.status_code == 201, colleagues.text
        assert mine.json()["owner_id"] == team.seller.user_id
        assert len(client.get("/p/sfa/targets", params=period).json()) == 3
    with http_client(crm_as(team.seller)) as client:
        [seen] = client.get("/p/sfa/targets", params=period).json()
        refused = client.post("/p/sfa/targets", json={"scope": "team"})
        team_target = client.get(f"/p/sfa/targets/{teams.json()['id']}")
        colleagues_target = client.get(f"/p/sfa/targets/{colleagues.json()['id']}")
        colleague = {"scope": "user", "scope_key": str(team.territory_seller.user_id)}
        asked_for = client.get("/p/sfa/targets", params={**period, **colleague})
    assert (seen["actual"], seen["gap"], seen["attainment_percent"]) == ("250.00", "750.00", "25.0")
    assert refused.status_code == 403
    assert team_target.status_code == colleagues_target.status_code == 403
    assert asked_for.status_code == 403


def test_a_team_named_like_a_salesperson_s_id_is_not_theirs_to_see(
    team: SalesTeam, crm_as: Callable[[Actor], Crm]
) -> None:
    period = {"period": QUARTER.key}
    body = {"scope": "team", "scope_key": str(team.seller.user_id), "measure": "count"}
    with http_client(crm_as(team.manager)) as client:
        namesake = client.post("/p/sfa/targets", json={**body, "value": 10, **period})
    assert namesake.status_code == 201, namesake.text
    with http_client(crm_as(team.seller)) as client:
        assert client.get("/p/sfa/targets", params=period).json() == []
        assert client.get(f"/p/sfa/targets/{namesake.json()['id']}").status_code == 403


@pytest.mark.parametrize("period", ["0000", "0000-Q1", "9999-Q4"])
@pytest.mark.parametrize(
    "url",
    ["/p/sfa/targets", "/p/sfa/forecast", "/p/sfa/planning/targets", "/p/sfa/planning/forecast"],
)
def test_a_period_off_the_calendar_is_a_problem_naming_it_on_every_planning_route(
    team: SalesTeam, crm_as: Callable[[Actor], Crm], url: str, period: str
) -> None:
    with http_client(crm_as(team.manager)) as client:
        response = client.get(url, params={"period": period})
    assert (response.status_code, response.json()["field"]) == (422, "period"), response.text


def test_a_target_for_the_year_0_is_refused_and_one_for_the_first_month_reads_back_as_set(
    crm: Crm, team: SalesTeam, crm_as: Callable[[Actor], Crm]
) -> None:
    body = {"scope": "team", "scope_key": "north", "value": "10.00", "currency": "EUR"}
    with http_client(crm_as(team.manager)) as client:
        year_0 = client.post("/p/sfa/targets", json={**body, "period": "0000"})
        first = client.post("/p/sfa/targets", json={**body, "period": "0001-01"})
        read = client.get(f"/p/sfa/targets/{first.json()['id']}")
        listed = client.get("/p/sfa/targets", params={"period": "0001-01"})
    assert (year_0.status_code, year_0.json()["field"]) == (422, "period")
    assert (first.status_code, first.json()["period"]) == (201, "0001-01"), first.text
    assert (read.status_code, read.json()["target"]) == (200, first.json()), read.text
    assert [t["target"]["id"] for t in listed.json()] == [first.json()["id"]]


def test_target_route_changes_and_deletes(
    crm: Crm, team: SalesTeam, crm_as: Callable[[Actor], Crm]
) -> None:
    target = amount_target(crm, "team", "north", "100.00")
    body = {"scope": "team", "scope_key": "north", "period": QUARTER.key, "currency": "EUR"}
    with http_client(crm_as(team.manager)) as client:
        changed = client.put(f"/p/sfa/targets/{target.id}", json={**body, "value": "150.00"})
        bad = client.put(f"/p/sfa/targets/{target.id}", json={**body, "value": "x"})
        stale = client.put(
            f"/p/sfa/targets/{target.id}", json={**body, "value": "1.00", "version": 1}
        )
        stale_delete = client.delete(f"/p/sfa/targets/{target.id}", params={"version": 1})
        bad_delete = client.delete(f"/p/sfa/targets/{target.id}", params={"version": "v2"})
        kept = client.get(f"/p/sfa/targets/{target.id}")
        deleted = client.delete(f"/p/sfa/targets/{target.id}", params={"version": 2})
        gone = client.get(f"/p/sfa/targets/{target.id}")
    assert (changed.status_code, changed.json()["value"]) == (200, "150.00")
    assert (bad.status_code, bad.json()["field"]) == (422, "value")
    assert stale.status_code == 409
    assert stale_delete.status_code == 409
    assert (bad_delete.status_code, bad_delete.json()["field"]) == (422, "version")
    assert (kept.status_code, kept.json()["target"]["value"]) == (200, "150.00")
    assert deleted.status_code == 204
    assert gone.status_code == 404


def test_count_target_of_a_month_and_a_user_spelt_with_leading_zeros(
    crm: Crm, team: SalesTeam
) -> None:
    target = set_target(
        crm,
        scope="user",
        scope_key=f"00{team.seller.user_id}",
        period="2027-02",
        value=3,
        measure="count",
    )
    assert (target.scope_key, target.period) == (str(team.seller.user_id), "2027-02")
    assert (target.value, target.currency, target.owner_id) == (
        Decimal(3),
        None,
        team.seller.user_id,
    )
