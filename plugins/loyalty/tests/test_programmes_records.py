"""A programme's rules, tiers and rewards over HTTP: each kind of record checked as a whole
(422 naming the field, nothing stored), versions on every change, what cannot be deleted,
and what the other parts read back (active rules of a day, the tier ladder)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from crmkit_loyalty.ledger.service import enrol
from crmkit_loyalty.programmes.service import active_rules, tiers_of
from crmkit_loyalty.programmes.tables import reward, rule, tier
from sqlalchemy import func, select

from crmkit import Actor, Crm, audit_history, hookimpl
from crmkit.testing import http_client, register_plugin


class Answered:
    name = "acme.answered"
    label = "Answered a survey"
    event_type = "acme.answered"

    def party_of(self, payload: dict[str, Any]) -> int | None:
        return payload.get("party_id")


class Acme:
    """A plugin announcing one behaviour, without depending on loyalty."""

    @hookimpl(optionalhook=True)
    def loyalty_behaviours(self) -> list[Any]:
        return [Answered()]


ACME = register_plugin(Acme(), name="acme")


@pytest.fixture
def crm(make_loyalty: Any) -> Crm:
    return make_loyalty(plugins=(ACME,))


@pytest.fixture
def client(crm: Crm, staff: Any, make_crm: Callable[..., Crm]) -> Any:
    """An HTTP client of ``crm`` (with the acme plugin) signed on as the marketer."""

    class SignOn:
        @hookimpl
        def actor_from_request(self, app: Crm, request: Any) -> Actor:
            return staff.marketer

    names = [n for n in crm.host.loaded if n != "acme"]
    app = make_crm(
        plugins=[*names, ACME, register_plugin(SignOn(), name="signon")],
        settings=crm.settings,
        create_tables=False,
    )
    return http_client(app)


@pytest.fixture
def programme_id(client: Any) -> int:
    made = client.post("/p/loyalty/programmes", json={"name": "Acme Rewards", "currency": "EUR"})
    return int(made.json()["id"])


def rows(crm: Crm, table: Any) -> int:
    with crm.read() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


SPEND = {"kind": "spend", "name": "1 point per euro", "points_per_unit": "1"}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"kind": "gift", "name": "x"}, "kind"),
        ({**SPEND, "name": ""}, "name"),
        ({**SPEND, "points_per_unit": "0"}, "points_per_unit"),
        ({**SPEND, "points_per_unit": "-1"}, "points_per_unit"),
        ({**SPEND, "points_per_unit": 1.5}, "points_per_unit"),
        ({**SPEND, "points_per_unit": "0.00001"}, "points_per_unit"),
        ({"kind": "spend", "name": "x"}, "points_per_unit"),
        ({**SPEND, "points": 10}, "points"),
        ({**SPEND, "valid_from": "2027-02-30"}, "valid_from"),
        ({**SPEND, "valid_from": "2027-03-01", "valid_until": "2027-02-28"}, "valid_until"),
        ({**SPEND, "active": "yes"}, "active"),
        ({"kind": "product_group", "name": "Pumps", "points_per_unit": "2"}, "product_group"),
        ({"kind": "product_group", "name": "Pumps", "product_group": "pumps"}, "points_per_unit"),
        ({"kind": "behaviour", "name": "Survey", "behaviour": "acme.answered"}, "points"),
        ({"kind": "behaviour", "name": "Survey", "points": 50}, "behaviour"),
        (
            {"kind": "behaviour", "name": "Survey", "behaviour": "acme.tweeted", "points": 50},
            "behaviour",
        ),
        (
            {"kind": "behaviour", "name": "S", "behaviour": "acme.answered", "points": 0},
            "points",
        ),
        (
            {
                "kind": "behaviour",
                "name": "S",
                "behaviour": "acme.answered",
                "points": 5,
                "max_per_party_per_year": 0,
            },
            "max_per_party_per_year",
        ),
        ({"kind": "referral", "name": "Refer a friend", "points": -500}, "points"),
        (
            {"kind": "referral", "name": "Refer", "points": 500, "points_per_unit": "1"},
            "points_per_unit",
        ),
        ({"kind": "referral", "name": "Refer", "points": 500, "colour": "red"}, "colour"),
    ],
)
def test_a_bad_rule_is_refused_naming_the_field(
    crm: Crm, client: Any, programme_id: int, body: dict[str, Any], field: str
) -> None:
    refused = client.post(f"/p/loyalty/programmes/{programme_id}/rules", json=body)
    assert refused.status_code == 422, refused.text
    assert refused.json()["field"] == field
    assert rows(crm, rule) == 0


def test_each_kind_of_rule_is_stored_with_its_own_fields(
    crm: Crm, client: Any, programme_id: int
) -> None:
    url = f"/p/loyalty/programmes/{programme_id}/rules"
    bodies = [
        SPEND,
        {
            "kind": "product_group",
            "name": "Pumps",
            "product_group": "pumps",
            "points_per_unit": "2.5",
        },
        {
            "kind": "behaviour",
            "name": "Survey answered",
            "behaviour": "acme.answered",
            "points": 50,
            "max_per_party_per_year": 4,
        },
        {"kind": "referral", "name": "Refer a friend", "points": 500, "valid_from": "2027-01-01"},
    ]
    for body in bodies:
        made = client.post(url, json=body)
        assert made.status_code == 201, made.text
    listed = {r["kind"]: r for r in client.get(url).json()}
    assert listed["product_group"]["points_per_unit"] == "2.5000"
    assert listed["behaviour"]["max_per_party_per_year"] == 4
    assert listed["referral"]["valid_from"] == "2027-01-01" and listed["referral"]["active"]
    behaviours = client.get("/p/loyalty/behaviours").json()
    assert behaviours == [
        {"name": "acme.answered", "label": "Answered a survey", "event_type": "acme.answered"}
    ]


def test_one_active_rule_of_a_kind_applies_at_a_time(
    crm: Crm, client: Any, programme_id: int
) -> None:
    url = f"/p/loyalty/programmes/{programme_id}/rules"
    first = client.post(url, json={**SPEND, "valid_until": "2027-06-30"}).json()
    overlapping = client.post(url, json={**SPEND, "name": "Double", "valid_from": "2027-06-30"})
    assert overlapping.status_code == 422 and overlapping.json()["field"] == "valid_from"
    after = client.post(url, json={**SPEND, "name": "Summer", "valid_from": "2027-07-01"})
    assert after.status_code == 201
    inactive = client.post(url, json={**SPEND, "name": "Draft", "active": False})
    assert inactive.status_code == 201
    activated = client.patch(f"{url}/{inactive.json()['id']}", json={"version": 1, "active": True})
    assert activated.status_code == 422

    group = {
        "kind": "product_group",
        "name": "Pumps",
        "product_group": "pumps",
        "points_per_unit": "2",
    }
    assert client.post(url, json=group).status_code == 201
    again = client.post(url, json={**group, "name": "Pumps again"})
    assert again.status_code == 422 and again.json()["field"] == "product_group"
    assert client.post(url, json={**group, "product_group": "valves"}).status_code == 201
    referral = {"kind": "referral", "name": "Refer", "points": 500}
    assert client.post(url, json=referral).status_code == 201
    assert client.post(url, json={**referral, "name": "Refer 2"}).status_code == 422

    with crm.read() as conn:
        spring = active_rules(conn, programme_id, "spend", date(2027, 3, 1))
        summer = active_rules(conn, programme_id, "spend", date(2027, 7, 1))
    assert [r.id for r in spring] == [first["id"]]
    assert [r.name for r in summer] == ["Summer"]
    assert summer[0].points_per_unit == Decimal("1")


def test_a_rule_is_changed_by_version_retired_and_deleted(
    crm: Crm, client: Any, programme_id: int
) -> None:
    url = f"/p/loyalty/programmes/{programme_id}/rules"
    made = client.post(url, json=SPEND).json()
    changed = client.patch(f"{url}/{made['id']}", json={"version": 1, "points_per_unit": "2"})
    assert changed.status_code == 200 and changed.json()["points_per_unit"] == "2.0000"
    stale = client.patch(f"{url}/{made['id']}", json={"version": 1, "points_per_unit": "3"})
    assert stale.status_code == 409
    kind = client.patch(f"{url}/{made['id']}", json={"version": 2, "kind": "referral"})
    assert kind.status_code == 422 and kind.json()["field"] == "kind"
    retired = client.patch(f"{url}/{made['id']}", json={"version": 2, "active": False})
    assert retired.status_code == 200
    with crm.read() as conn:
        assert active_rules(conn, programme_id, "spend", date.today()) == []
    assert client.delete(f"{url}/{made['id']}?version=2").status_code == 409
    assert client.delete(f"{url}/{made['id']}?version=3").status_code == 204
    assert rows(crm, rule) == 0


def test_a_closed_programme_has_no_active_rules(crm: Crm, client: Any, programme_id: int) -> None:
    client.post(f"/p/loyalty/programmes/{programme_id}/rules", json=SPEND)
    client.patch(f"/p/loyalty/programmes/{programme_id}", json={"version": 1, "status": "closed"})
    with crm.read() as conn:
        assert active_rules(conn, programme_id, "spend", date.today()) == []


def test_rules_of_another_programme_are_not_found(crm: Crm, client: Any, programme_id: int) -> None:
    made = client.post(f"/p/loyalty/programmes/{programme_id}/rules", json=SPEND).json()
    other = client.post("/p/loyalty/programmes", json={"name": "Other", "currency": "EUR"}).json()
    moved = client.patch(
        f"/p/loyalty/programmes/{other['id']}/rules/{made['id']}", json={"version": 1, "name": "x"}
    )
    assert moved.status_code == 404
    assert client.get("/p/loyalty/programmes/999999/rules").status_code == 404


def ladder(crm: Crm, programme_id: int) -> list[tuple[str, int, int]]:
    with crm.read() as conn:
        return [(t.name, t.rank, t.threshold) for t in tiers_of(conn, programme_id)]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "Gold", "rank": 0, "threshold": 100}, "rank"),
        ({"name": "Gold", "rank": 1, "threshold": 0}, "threshold"),
        ({"name": "Gold", "rank": 1, "threshold": 1000, "multiplier": "0.9"}, "multiplier"),
        ({"name": "Gold", "rank": 1, "threshold": 1000, "multiplier": "10.5"}, "multiplier"),
        ({"name": "Gold", "rank": 1, "threshold": 1000, "multiplier": "1.2345"}, "multiplier"),
        ({"name": "Member", "rank": 1, "threshold": 1000}, "name"),
        ({"name": "mEMBER", "rank": 1, "threshold": 1000}, "name"),  # unique ignoring case
        ({"name": "Gold", "threshold": 1000}, "rank"),
        ({"name": "Gold", "rank": 1}, "threshold"),
        ({"name": "", "rank": 1, "threshold": 1000}, "name"),
    ],
)
def test_a_bad_tier_is_refused_naming_the_field(
    crm: Crm, client: Any, programme_id: int, body: dict[str, Any], field: str
) -> None:
    refused = client.post(f"/p/loyalty/programmes/{programme_id}/tiers", json=body)
    assert refused.status_code == 422, refused.text
    assert refused.json()["field"] == field
    assert ladder(crm, programme_id) == [("Member", 0, 0)]


def test_thresholds_rise_strictly_with_rank(crm: Crm, client: Any, programme_id: int) -> None:
    url = f"/p/loyalty/programmes/{programme_id}/tiers"
    silver = client.post(url, json={"name": "Silver", "rank": 1, "threshold": 1000}).json()
    gold = client.post(url, json={"name": "Gold", "rank": 3, "threshold": 5000}).json()
    between = client.post(url, json={"name": "Bronze", "rank": 2, "threshold": 5000})
    assert between.status_code == 422 and between.json()["field"] == "threshold"
    below = client.post(url, json={"name": "Bronze", "rank": 2, "threshold": 1000})
    assert below.status_code == 422 and below.json()["field"] == "threshold"
    taken = client.post(url, json={"name": "Bronze", "rank": 3, "threshold": 9000})
    assert taken.status_code == 422 and taken.json()["field"] == "rank"
    assert (
        client.post(url, json={"name": "Platinum", "rank": 4, "threshold": 15000}).status_code
        == 201
    )
    raised = client.patch(f"{url}/{silver['id']}", json={"version": 1, "threshold": 5000})
    assert raised.status_code == 422 and raised.json()["field"] == "threshold"
    moved = client.patch(f"{url}/{gold['id']}", json={"version": 1, "rank": 2, "multiplier": "1.5"})
    assert moved.status_code == 200 and moved.json()["multiplier"] == "1.500"
    stale = client.patch(f"{url}/{gold['id']}", json={"version": 1, "name": "Golden"})
    assert stale.status_code == 409
    assert ladder(crm, programme_id) == [
        ("Member", 0, 0),
        ("Silver", 1, 1000),
        ("Gold", 2, 5000),
        ("Platinum", 4, 15000),
    ]


def test_the_entry_tier_keeps_rank_and_threshold_zero_and_is_never_deleted(
    crm: Crm, client: Any, programme_id: int
) -> None:
    url = f"/p/loyalty/programmes/{programme_id}/tiers"
    [entry] = client.get(url).json()
    for change, field in (({"rank": 1}, "rank"), ({"threshold": 10}, "threshold")):
        refused = client.patch(f"{url}/{entry['id']}", json={"version": 1, **change})
        assert refused.status_code == 422 and refused.json()["field"] == field
    renamed = client.patch(
        f"{url}/{entry['id']}", json={"version": 1, "name": "Blue", "multiplier": "1.1"}
    )
    assert renamed.status_code == 200
    assert client.delete(f"{url}/{entry['id']}?version=2").status_code == 409
    assert ladder(crm, programme_id) == [("Blue", 0, 0)]


def test_a_tier_with_members_or_their_history_is_not_deleted(
    crm: Crm, client: Any, programme_id: int, new_party: Any
) -> None:
    url = f"/p/loyalty/programmes/{programme_id}/tiers"
    gold = client.post(url, json={"name": "Gold", "rank": 1, "threshold": 5000}).json()
    spare = client.post(url, json={"name": "Spare", "rank": 2, "threshold": 9000}).json()
    party_id = new_party()
    with crm.transaction() as tx:
        member = enrol(tx, programme_id, party_id)
    moved = client.post(
        f"/p/loyalty/members/{member.id}/tier", json={"tier_id": gold["id"], "version": 1}
    )
    assert moved.status_code == 200, moved.text
    assert client.delete(f"{url}/{gold['id']}?version=1").status_code == 409
    entry_id = client.get(url).json()[0]["id"]
    back = client.post(
        f"/p/loyalty/members/{member.id}/tier", json={"tier_id": entry_id, "version": 2}
    )
    assert back.status_code == 200
    # Nobody is in Gold now, but the member's history names it.
    assert client.delete(f"{url}/{gold['id']}?version=1").status_code == 409
    assert client.delete(f"{url}/{spare['id']}?version=1").status_code == 204
    assert [name for name, _, _ in ladder(crm, programme_id)] == ["Member", "Gold"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "Voucher", "points": 0}, "points"),
        ({"name": "Voucher"}, "points"),
        ({"name": " ", "points": 100}, "name"),
        ({"name": "Voucher", "points": 100, "stock": -1}, "stock"),
        ({"name": "Voucher", "points": 100, "min_tier_rank": 3}, "min_tier_rank"),
        ({"name": "Voucher", "points": 100, "active": 0}, "active"),
        ({"name": "Voucher", "points": 100, "description": "x" * 5001}, "description"),
    ],
)
def test_a_bad_reward_is_refused_naming_the_field(
    crm: Crm, client: Any, programme_id: int, body: dict[str, Any], field: str
) -> None:
    refused = client.post(f"/p/loyalty/programmes/{programme_id}/rewards", json=body)
    assert refused.status_code == 422, refused.text
    assert refused.json()["field"] == field
    assert rows(crm, reward) == 0


def test_a_reward_is_created_changed_by_version_and_deleted(
    crm: Crm, client: Any, programme_id: int
) -> None:
    client.post(
        f"/p/loyalty/programmes/{programme_id}/tiers",
        json={"name": "Gold", "rank": 1, "threshold": 5000},
    )
    url = f"/p/loyalty/programmes/{programme_id}/rewards"
    made = client.post(
        url, json={"name": "Lounge", "points": 4000, "min_tier_rank": 1, "stock": 20}
    )
    assert made.status_code == 201, made.text
    lounge = made.json()
    assert (lounge["min_tier_rank"], lounge["stock"], lounge["active"]) == (1, 20, True)
    unlimited = client.patch(f"{url}/{lounge['id']}", json={"version": 1, "stock": None})
    assert unlimited.status_code == 200 and unlimited.json()["stock"] is None
    assert client.patch(f"{url}/{lounge['id']}", json={"version": 1, "stock": 5}).status_code == 409
    tiers = client.get(f"/p/loyalty/programmes/{programme_id}/tiers").json()
    gold_id = tiers[1]["id"]
    needed = client.delete(f"/p/loyalty/programmes/{programme_id}/tiers/{gold_id}?version=1")
    assert needed.status_code == 409
    assert client.delete(f"{url}/{lounge['id']}?version=2").status_code == 204
    assert rows(crm, reward) == 0
    assert rows(crm, tier) == 2


def test_changes_to_rules_tiers_and_rewards_are_audited(
    crm: Crm, client: Any, programme_id: int
) -> None:
    base = f"/p/loyalty/programmes/{programme_id}"
    made = {
        "rule": client.post(f"{base}/rules", json=SPEND).json(),
        "tier": client.post(f"{base}/tiers", json={"name": "Gold", "rank": 1, "threshold": 9}),
        "reward": client.post(f"{base}/rewards", json={"name": "Mug", "points": 50}).json(),
    }
    made["tier"] = made["tier"].json()
    client.patch(f"{base}/rules/{made['rule']['id']}", json={"version": 1, "points_per_unit": "2"})
    client.patch(f"{base}/tiers/{made['tier']['id']}", json={"version": 1, "threshold": 10})
    client.delete(f"{base}/rewards/{made['reward']['id']}?version=1")
    with crm.read() as conn:
        trail = {
            what: [(e.action, e.changes) for e in audit_history(conn, f"loyalty.{what}", r["id"])]
            for what, r in made.items()
        }
    assert trail["rule"][0] == ("updated", {"points_per_unit": ["1", "2"]})
    assert trail["rule"][1][0] == "created"
    assert trail["tier"][0] == ("updated", {"threshold": [9, 10]})
    assert trail["reward"][0] == ("deleted", {"name": ["Mug", None]})


def test_a_change_that_changes_nothing_keeps_the_version_and_tells_no_one(
    crm: Crm, client: Any, programme_id: int
) -> None:
    base = f"/p/loyalty/programmes/{programme_id}"
    made = client.post(f"{base}/rewards", json={"name": "Mug", "points": 50}).json()
    for body in ({"version": 1}, {"version": 1, "name": "Mug", "points": 50}):
        same = client.patch(f"{base}/rewards/{made['id']}", json=body)
        assert (same.status_code, same.json()) == (200, made)
    programme = client.get(base).json()["programme"]
    unchanged = client.patch(base, json={"version": programme["version"]})
    assert unchanged.json()["version"] == programme["version"]
    with crm.read() as conn:
        assert [e.action for e in audit_history(conn, "loyalty.reward", made["id"])] == ["created"]
