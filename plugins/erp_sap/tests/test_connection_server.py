"""The loopback SAP server itself: what it generates, filters and pages (the other parts'
tests and the benchmark rely on it)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from crmkit_erp_sap.connection import values
from crmkit_erp_sap.testing import BusinessPartners, SapServer, partner_number

ROOT = "/sap/opu/odata/sap/API_BUSINESS_PARTNER/"
EXPAND = "to_BusinessPartnerAddress/to_EmailAddress,to_BusinessPartnerAddress/to_PhoneNumber,to_Customer/to_CustomerSalesArea"


def get(sap: SapServer, path: str, **params: str) -> httpx.Response:
    return httpx.get(
        sap.url + ROOT + path, params={"$format": "json", **params}, auth=(sap.user, sap.password)
    )


def stamp(row: dict[str, Any]) -> Any:
    return values.changed_at(
        "LastChangeDate", row["LastChangeDate"], "LastChangeTime", row["LastChangeTime"]
    )


def test_the_same_seed_gives_the_same_partners_and_another_seed_others() -> None:
    first, again, other = (
        BusinessPartners(seed=3),
        BusinessPartners(seed=3),
        BusinessPartners(seed=4),
    )

    assert [first.partner(i, expand=frozenset(EXPAND.split(","))) for i in range(10)] == [
        again.partner(i, expand=frozenset(EXPAND.split(","))) for i in range(10)
    ]
    assert [first.partner(i)["BusinessPartnerName"] for i in range(10)] != [
        other.partner(i)["BusinessPartnerName"] for i in range(10)
    ]


def test_partners_have_every_property_of_the_metadata_and_valid_values(sap: SapServer) -> None:
    rows = get(sap, "A_BusinessPartner", **{"$expand": EXPAND}).json()["d"]["results"]

    categories = {row["BusinessPartnerCategory"] for row in rows}
    assert categories == {"1", "2"}
    for row in rows:
        assert len(row) >= 58 + 9
        address = row["to_BusinessPartnerAddress"]["results"][0]
        assert address["Country"] in {"DE", "AT", "CH", "FR", "NL", "GB"}
        assert address["to_EmailAddress"]["results"][0]["EmailAddress"].endswith(".com")
        customer = row["to_Customer"]
        assert (customer is None) == (row["Customer"] == "")
        if customer is not None:
            assert (
                customer["to_CustomerSalesArea"]["results"][0]["Customer"] == row["BusinessPartner"]
            )
        assert stamp(row) is not None


def test_the_change_order_is_the_order_of_the_change_stamps_with_the_key_breaking_ties(
    sap: SapServer,
) -> None:
    sap.partners.change(20)
    rows = get(
        sap, "A_BusinessPartner", **{"$orderby": "LastChangeDate,LastChangeTime,BusinessPartner"}
    )
    listed = rows.json()["d"]["results"]

    keys = [(stamp(row), row["BusinessPartner"]) for row in listed]
    assert keys == sorted(keys)
    assert len({row["BusinessPartner"] for row in listed}) == 15
    assert len({stamp(row) for row in listed}) < 15  # partners share change seconds


def test_a_change_gives_new_data_and_a_later_stamp_to_that_share_only() -> None:
    partners = BusinessPartners(seed=5, count=200)
    expand = frozenset({"to_BusinessPartnerAddress", "to_BusinessPartnerAddress/to_EmailAddress"})
    before = [partners.partner(i, expand=expand) for i in range(200)]
    latest = max(stamp(row) for row in before)

    changed = partners.change(5)

    after = [partners.partner(i, expand=expand) for i in range(200)]
    assert len(changed) == 10
    differing = [i for i in range(200) if after[i] != before[i]]
    assert differing == changed
    assert all(stamp(after[i]) > latest for i in changed)
    assert [partners.index_at(p) for p in range(190, 200)] == changed


def test_a_million_partners_are_served_without_holding_them() -> None:
    partners = BusinessPartners(seed=1, count=1_000_000, server_page=1000)
    changed = partners.change(1)

    with SapServer(partners) as sap:
        last = get(sap, "A_BusinessPartner('1999999')").json()["d"]
        moment = partners.stamp(changed[0])
        day, clock = (
            f"datetime'{moment:%Y-%m-%dT00:00:00}'",
            f"time'{values.json_time(moment.time())}'",
        )
        delta = get(
            sap,
            "A_BusinessPartner",
            **{
                "$filter": f"LastChangeDate gt {day} or (LastChangeDate eq {day} and LastChangeTime ge {clock})",
                "$orderby": "LastChangeDate,LastChangeTime,BusinessPartner",
                "$select": "BusinessPartner",
                "$top": "5",
            },
        ).json()["d"]["results"]

    assert last["BusinessPartner"] == "1999999"
    assert len(changed) == 10_000
    assert [row["BusinessPartner"] for row in delta] == [partner_number(i) for i in changed[:5]]
    assert len(partners._generation_of) == 10_000  # only the changes are held


@pytest.mark.parametrize(
    ("kind", "check"),
    [
        (
            "email",
            lambda row: row["to_BusinessPartnerAddress"]["results"][0]["to_EmailAddress"][
                "results"
            ][0]["EmailAddress"].startswith("not-an-email"),
        ),
        ("country", lambda row: row["to_BusinessPartnerAddress"]["results"][0]["Country"] == "ZZ"),
        ("date", lambda row: row["LastChangeDate"].startswith("/Date(yesterday")),
        ("key", lambda row: "BusinessPartner" not in row),
    ],
)
def test_malformed_rows_are_served_where_they_belong(sap: SapServer, kind: str, check: Any) -> None:
    sap.partners.malformed[4] = kind

    rows = get(sap, "A_BusinessPartner", **{"$expand": EXPAND}).json()["d"]["results"]

    assert check(rows[4])
    assert not check(rows[3])
    assert len(rows) == 15


def test_skip_top_and_next_links_page_through_filtered_rows(sap: SapServer) -> None:
    answer = get(
        sap,
        "A_BusinessPartner",
        **{
            "$filter": "BusinessPartnerCategory eq '2'",
            "$select": "BusinessPartner,BusinessPartnerCategory",
        },
    )
    organisations = answer.json()["d"]["results"]
    next_link = answer.json()["d"].get("__next")
    while next_link:
        page = httpx.get(next_link, auth=(sap.user, sap.password)).json()["d"]
        organisations += page["results"]
        next_link = page.get("__next")
    skipped = get(
        sap,
        "A_BusinessPartner",
        **{"$filter": "BusinessPartnerCategory eq '2'", "$skip": "2", "$top": "3"},
    )

    expected = [
        partner_number(i)
        for i in range(40)
        if sap.partners.partner(i)["BusinessPartnerCategory"] == "2"
    ]
    assert [row["BusinessPartner"] for row in organisations] == expected
    assert [row["BusinessPartner"] for row in skipped.json()["d"]["results"]] == expected[2:5]
    assert "__next" not in skipped.json()["d"]


def test_customers_and_their_sales_areas_are_entity_sets_too(sap: SapServer) -> None:
    customers = get(sap, "A_Customer", **{"$top": "100"}).json()["d"]["results"]
    areas = get(sap, "A_CustomerSalesArea", **{"$top": "100"}).json()["d"]["results"]

    assert customers and {row["Customer"] for row in areas} == {
        row["Customer"] for row in customers
    }
    assert all(area["SalesOrganization"] in {"1010", "1710"} for area in areas)


@pytest.mark.parametrize(
    "params",
    [
        {"$filter": "LastChangeDate gt datetime'yesterday'"},
        {"$filter": "LastChangeDate gt"},
        {"$filter": "(BusinessPartner eq '1'"},
        {"$orderby": "BusinessPartnerName"},
        {"$top": "-1"},
        {"$skiptoken": "abc"},
    ],
)
def test_a_query_the_server_cannot_answer_is_a_400_with_sap_error_body(
    sap: SapServer, params: dict[str, str]
) -> None:
    answer = get(sap, "A_BusinessPartner", **params)

    assert answer.status_code == 400
    assert answer.json()["error"]["message"]["value"]


def test_calls_without_credentials_or_to_unknown_services_are_refused(sap: SapServer) -> None:
    assert httpx.get(sap.url + ROOT + "A_BusinessPartner").status_code == 401
    assert (
        httpx.get(sap.url + ROOT + "A_BusinessPartner", auth=(sap.user, "wrong")).status_code == 401
    )
    unknown = httpx.get(
        sap.url + "/sap/opu/odata/sap/NOPE_SRV/Things", auth=(sap.user, sap.password)
    )
    assert unknown.status_code == 404
    assert "NOPE_SRV" in unknown.json()["error"]["message"]["value"]


def test_partners_changed_twice_appear_once_at_their_latest_change() -> None:
    partners = BusinessPartners(seed=9, count=120)
    first = partners.change(30)
    second = partners.change(30)

    order = [partners.index_at(position) for position in range(120)]
    stamps = [(partners.stamp(index), partner_number(index)) for index in order]
    assert sorted(order) == list(range(120))
    assert stamps == sorted(stamps)
    assert order[-len(second) :] == second
    assert set(first) & set(second)  # some partners changed in both
    assert all(partners.stamp(index) > partners.stamp(order[0]) for index in first)


def test_select_cuts_expanded_entities_to_the_properties_named_below_them(sap: SapServer) -> None:
    select = "BusinessPartner,to_BusinessPartnerAddress/CityName,to_BusinessPartnerAddress/to_EmailAddress/EmailAddress,to_Customer"
    expand = "to_BusinessPartnerAddress/to_EmailAddress,to_Customer/to_CustomerSalesArea"
    rows = get(sap, "A_BusinessPartner", **{"$select": select, "$expand": expand}).json()["d"][
        "results"
    ]

    assert set(rows[0]) == {
        "__metadata",
        "BusinessPartner",
        "to_BusinessPartnerAddress",
        "to_Customer",
    }
    address = rows[0]["to_BusinessPartnerAddress"]["results"][0]
    assert set(address) == {"__metadata", "CityName", "to_EmailAddress"}
    assert set(address["to_EmailAddress"]["results"][0]) == {"__metadata", "EmailAddress"}
    customers = [row["to_Customer"] for row in rows if row["to_Customer"] is not None]
    assert customers and "to_CustomerSalesArea" in customers[0] and "CustomerName" in customers[0]
