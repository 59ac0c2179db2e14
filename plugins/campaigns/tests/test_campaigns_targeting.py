"""The target action: a campaign's segment or list, less suppressions, consenting members only."""

from __future__ import annotations

from typing import Any

from crmkit_campaigns.campaigns.tables import campaign, member
from crmkit_campaigns.segments import lists
from sqlalchemy import select

from crmkit import Actor, Crm

BASE = "/p/campaigns/campaigns"
EMAIL = {"channel": "email", "subject": "Hi {{ party.first_name }}", "text": "Spring"}


def static_list(crm: Crm, actor: Actor, party_ids: list[int], kind: str = "static") -> int:
    with crm.transaction(actor) as tx:
        made = lists.create_list(tx, kind, {"name": f"{kind} list"})
        lists.add_parties(tx, made.id, party_ids)
        return made.id


def member_parties(crm: Crm, campaign_id: int) -> set[int]:
    with crm.read() as conn:
        return set(
            conn.execute(
                select(member.c.party_id).where(member.c.campaign_id == campaign_id)
            ).scalars()
        )


def test_targeting_enters_the_lists_consenting_parties_less_the_suppressed(
    crm: Crm, client_as: Any, staff: Any, new_party: Any
) -> None:
    consenting = new_party(emails=["a@example.org"])
    suppressed = new_party(emails=["b@example.org"])
    not_consenting = new_party(emails=["c@example.org"], consent=())
    list_id = static_list(crm, staff.marketer, [consenting, suppressed, not_consenting])
    static_list(crm, staff.marketer, [suppressed], kind="suppression")
    client = client_as(staff.marketer)
    made = client.post(
        BASE, json={"name": "S", "purpose": "marketing", "list_id": list_id, "variants": [EMAIL]}
    ).json()

    answer = client.post(f"{BASE}/{made['id']}/target")

    assert answer.status_code == 200, answer.text
    assert answer.json() == {"campaign_id": made["id"], "entered": 1, "members": 1}
    assert member_parties(crm, made["id"]) == {consenting}
    with crm.read() as conn:
        assert conn.execute(
            select(campaign.c.targeted_at).where(campaign.c.id == made["id"])
        ).scalar_one()


def test_a_target_without_a_consenting_member_is_refused_and_nothing_is_stored(
    crm: Crm, client_as: Any, staff: Any, new_party: Any
) -> None:
    list_id = static_list(crm, staff.marketer, [new_party(consent=("newsletter",))])
    client = client_as(staff.marketer)
    made = client.post(
        BASE, json={"name": "S", "purpose": "marketing", "list_id": list_id, "variants": [EMAIL]}
    ).json()

    answer = client.post(f"{BASE}/{made['id']}/target")

    assert answer.status_code == 422 and answer.json()["field"] == "target"
    assert member_parties(crm, made["id"]) == set()
    assert client.get(f"{BASE}/{made['id']}").json()["targeted_at"] is None


def test_a_list_the_user_may_not_read_is_refused_when_the_campaign_is_defined(
    crm: Crm, client_as: Any, staff: Any
) -> None:
    answer = client_as(staff.marketer).post(
        BASE, json={"name": "S", "purpose": "marketing", "list_id": 999, "variants": [EMAIL]}
    )

    assert answer.status_code == 422 and answer.json()["field"] == "list_id"
