"""The deliveries that name a person (by the page-scoped id linked to the party) go with the
party's export and erasure; others stay."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from crmkit import Crm, erase_party, export_party, link_external_id

from .conftest import delivery


def message(psid: str, mid: str, text: str) -> dict[str, Any]:
    return {
        "sender": {"id": psid},
        "recipient": {"id": "1001"},
        "timestamp": 1733500002123,
        "message": {"mid": mid, "text": text},
    }


def test_a_partys_deliveries_are_exported_and_erased_with_it(
    social_crm: Crm, page: Any, new_party: Any
) -> None:
    from crmkit_social.webhooks.inbox import read_delivery, store_changes
    from crmkit_social.webhooks.tables import change_table

    page(social_crm)
    payload = delivery(
        "1001",
        messaging=[
            message("24000001", "m_1", "Ich möchte eine Probefahrt"),
            message("24000002", "m_2", "Someone else"),
        ],
    )
    with social_crm.transaction() as tx:
        store_changes(tx.conn, read_delivery(payload))
    party_id = new_party()
    with social_crm.transaction() as tx:
        link_external_id(tx, party_id, "facebook.page.1001", "24000001")
    with social_crm.read() as conn:
        exported = export_party(conn, social_crm.host, party_id)
    found = _find(exported, "webhook_changes")
    assert [c["value"]["message"]["text"] for c in found] == ["Ich möchte eine Probefahrt"]
    with social_crm.transaction() as tx:
        erase_party(tx, party_id)
    with social_crm.read() as conn:
        left = conn.execute(select(change_table.c.value)).scalars().all()
    assert [v["sender"]["id"] for v in left] == ["24000002"]


def _find(data: Any, key: str) -> Any:
    """The value of ``key`` anywhere in the export."""
    if isinstance(data, dict):
        if key in data:
            return data[key]
        for value in data.values():
            found = _find(value, key)
            if found is not None:
                return found
    return None
