"""A manager's change of a member's tier: any tier of the programme, up or down, recorded as
manual with who did it, starting a new qualification period; refused for a stale version,
a tier of another programme, a member whose party the actor does not see, a role without
the permission."""

from __future__ import annotations

from typing import Any

from crmkit_loyalty.ledger.service import enrol
from crmkit_loyalty.ledger.tables import member, tier_change
from crmkit_loyalty.programmes.months import add_months
from sqlalchemy import select

from crmkit import Crm

PARIS = [{"street": "1 Rue de Rivoli", "postcode": "75001", "city": "Paris", "country": "FR"}]


def setup(crm: Crm, client: Any, party_id: int) -> tuple[dict[str, int], int]:
    made = client.post("/p/loyalty/programmes", json={"name": "Acme", "currency": "EUR"}).json()
    url = f"/p/loyalty/programmes/{made['id']}/tiers"
    client.post(url, json={"name": "Silver", "rank": 1, "threshold": 1000})
    client.post(url, json={"name": "Gold", "rank": 2, "threshold": 5000})
    tiers = {t["name"]: t["id"] for t in client.get(url).json()}
    with crm.transaction() as tx:
        member_id = enrol(tx, made["id"], party_id).id
    return tiers, member_id


def changes(crm: Crm, member_id: int) -> list[tuple[int | None, int, str, int | None]]:
    with crm.read() as conn:
        rows = conn.execute(
            select(
                tier_change.c.from_tier_id,
                tier_change.c.to_tier_id,
                tier_change.c.reason,
                tier_change.c.changed_by,
            )
            .where(tier_change.c.member_id == member_id)
            .order_by(tier_change.c.id)
        )
        return [tuple(r) for r in rows]


def test_a_manager_moves_a_member_up_and_down_by_hand(
    crm: Crm, staff: Any, client_as: Any, new_party: Any
) -> None:
    client = client_as(staff.manager)
    tiers, member_id = setup(crm, client, new_party())
    url = f"/p/loyalty/members/{member_id}/tier"
    up = client.post(url, json={"tier_id": tiers["Gold"], "version": 1})
    assert up.status_code == 200, up.text
    moved = up.json()
    assert moved["tier_id"] == tiers["Gold"] and moved["version"] == 2
    with crm.read() as conn:
        row = conn.execute(select(member).where(member.c.id == member_id)).one()
    assert row.tier_review_on == add_months(row.tier_since, 12)

    down = client.post(url, json={"tier_id": tiers["Member"], "version": 2})
    assert down.status_code == 200 and down.json()["tier_review_on"] is None
    assert changes(crm, member_id)[1:] == [
        (tiers["Member"], tiers["Gold"], "manual", staff.manager.user_id),
        (tiers["Gold"], tiers["Member"], "manual", staff.manager.user_id),
    ]
    same = client.post(url, json={"tier_id": tiers["Member"], "version": 3})
    assert same.status_code == 200 and len(changes(crm, member_id)) == 3


def test_a_manual_change_is_refused_and_changes_nothing(
    crm: Crm, staff: Any, client_as: Any, new_party: Any
) -> None:
    client = client_as(staff.marketer)
    tiers, member_id = setup(crm, client, new_party())
    other = client.post("/p/loyalty/programmes", json={"name": "Other", "currency": "EUR"}).json()
    other_tier = client.get(f"/p/loyalty/programmes/{other['id']}/tiers").json()[0]["id"]
    url = f"/p/loyalty/members/{member_id}/tier"

    stale = client.post(url, json={"tier_id": tiers["Gold"], "version": 7})
    assert stale.status_code == 409
    foreign = client.post(url, json={"tier_id": other_tier, "version": 1})
    assert foreign.status_code == 422 and foreign.json()["field"] == "tier_id"
    missing = client.post(url, json={"tier_id": tiers["Gold"]})
    assert missing.status_code == 422 and missing.json()["field"] == "version"
    unknown = client.post(url, json={"tier_id": tiers["Gold"], "version": 1, "why": "vip"})
    assert unknown.status_code == 422 and unknown.json()["field"] == "why"
    agent = client_as(staff.agent).post(url, json={"tier_id": tiers["Gold"], "version": 1})
    assert agent.status_code == 403
    assert (
        client.post("/p/loyalty/members/999999/tier", json={"tier_id": 1, "version": 1}).status_code
        == 404
    )
    assert [reason for *_, reason, _ in changes(crm, member_id)] == ["enrolled"]


def test_a_member_whose_party_the_manager_does_not_see_is_not_found(
    crm: Crm, staff: Any, client_as: Any, new_party: Any
) -> None:
    hidden = new_party(owner_id=staff.outsider.user_id, addresses=PARIS)
    tiers, member_id = setup(crm, client_as(staff.marketer), hidden)
    refused = client_as(staff.manager).post(
        f"/p/loyalty/members/{member_id}/tier", json={"tier_id": tiers["Gold"], "version": 1}
    )
    assert refused.status_code == 404
    assert refused.json()["detail"] == f"member {member_id} does not exist"
    assert len(changes(crm, member_id)) == 1
