"""A party's memberships: in its export, gone when it is erased, moved to the survivor on a merge."""

from __future__ import annotations

from typing import Any

from crmkit_campaigns.campaigns import definition
from crmkit_campaigns.campaigns.tables import member
from crmkit_campaigns.campaigns.targeting import assign
from sqlalchemy import select

from crmkit import Crm, erase_party, export_party, merge_parties, party_table

EMAIL = {"channel": "email", "subject": "Hi", "text": "Spring"}


def campaign_to(crm: Crm, actor: Any, parties: list[int], name: str = "Spring") -> int:
    with crm.transaction(actor) as tx:
        made = definition.create_campaign(
            tx, {"name": name, "purpose": "marketing", "variants": [EMAIL]}
        )
        assign(
            tx,
            made.id,
            select(party_table.c.id.label("party_id")).where(party_table.c.id.in_(parties)),
        )
    return made.id


def memberships(crm: Crm) -> list[tuple[int, int]]:
    with crm.read() as conn:
        return sorted((r.campaign_id, r.party_id) for r in conn.execute(select(member)))


def test_the_export_lists_the_campaigns_and_erasure_removes_them(
    crm: Crm, staff: Any, new_party: Any
) -> None:
    party, other = new_party(), new_party(emails=["b@example.org"])
    campaign_id = campaign_to(crm, staff.marketer, [party, other])

    with crm.read() as conn:
        exported = export_party(conn, crm.host, party)
    rows = _find(exported, "campaign_memberships")
    assert [(r["campaign_id"], r["campaign"], r["status"]) for r in rows] == [
        (campaign_id, "Spring", "targeted")
    ]

    with crm.transaction() as tx:
        erase_party(tx, party)
    assert memberships(crm) == [(campaign_id, other)]


def test_a_merge_gives_the_survivor_the_memberships_once(
    crm: Crm, staff: Any, new_party: Any
) -> None:
    survivor, merged = new_party(), new_party(emails=["b@example.org"])
    both = campaign_to(crm, staff.marketer, [survivor, merged], "Both")
    only_merged = campaign_to(crm, staff.marketer, [merged], "Merged only")

    with crm.transaction() as tx:
        merge_parties(tx, survivor, merged)

    assert memberships(crm) == [(both, survivor), (only_merged, survivor)]


def _find(document: Any, key: str) -> Any:
    """The value of ``key`` wherever the export nests it."""
    if isinstance(document, dict):
        if key in document:
            return document[key]
        for value in document.values():
            found = _find(value, key)
            if found is not None:
                return found
    return None
