"""Updating parties in bulk (update_parties): each as update_party would, written set-based."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from crmkit import (
    ConflictError,
    Crm,
    PartyUpdate,
    ValidationError,
    audit_history,
    contact_point_table,
    get_party,
    update_parties,
)
from crmkit.testing import add_party


def update(crm: Crm, *updates: PartyUpdate) -> list[Any]:
    with crm.transaction() as tx:
        found = update_parties(tx, updates, region="DE")
        events = [(e.type, e.entity_id, e.payload) for e in tx.events]
    return [found, events]


def test_each_update_is_versioned_audited_and_announced_like_one_update(crm: Crm) -> None:
    jana = add_party(crm, "customer", last_name="Novak", emails=["jana@example.com"])
    otto = add_party(crm, "customer", last_name="Keller")

    [stored, events] = update(
        crm,
        PartyUpdate(jana, {"emails": ["jana.novak@example.com"], "phones": ["030 1234567"]}, 1),
        PartyUpdate(otto, {"last_name": "Keller-Braun"}, 1),
    )

    assert [p.version for p in stored] == [2, 2]
    with crm.engine.connect() as conn:
        first, second = get_party(conn, jana), get_party(conn, otto)
        keys = set(
            conn.execute(
                select(contact_point_table.c.key).where(contact_point_table.c.party_id == jana)
            ).scalars()
        )
        trail = audit_history(conn, "party", jana)
    assert [str(e) for e in first.emails] == ["jana.novak@example.com"]
    assert (first.version, second.version, second.last_name) == (2, 2, "Keller-Braun")
    assert "jana@example.com" not in keys and "jana.novak@example.com" in keys
    assert trail[0].action == "updated"
    assert trail[0].changes["emails"] == [["jana@example.com"], ["jana.novak@example.com"]]
    assert [(t, i, p["fields"]) for t, i, p in events] == [
        ("customer.updated", str(jana), ["emails", "phones"]),
        ("customer.updated", str(otto), ["display_name", "last_name"]),
    ]


def test_a_refused_update_leaves_that_party_alone_and_the_others_go_on(crm: Crm) -> None:
    jana = add_party(crm, "customer", last_name="Novak")
    otto = add_party(crm, "customer", last_name="Keller")
    same = add_party(crm, "customer", last_name="Berg")

    [stored, events] = update(
        crm,
        PartyUpdate(jana, {"emails": ["not an address"]}, 1),
        PartyUpdate(otto, {"last_name": "Keller-Braun"}, 7),
        PartyUpdate(999999, {"last_name": "Nobody"}, 1),
        PartyUpdate(same, {"last_name": "Berg"}, 1),
        PartyUpdate(same, {"last_name": "Berger"}, 1),
    )

    assert isinstance(stored[0], ValidationError) and stored[0].field.startswith("emails")
    assert isinstance(stored[1], ConflictError) and isinstance(stored[2], ConflictError)
    assert stored[3].version == 1  # nothing to change: as it was, no event
    assert isinstance(stored[4], ValidationError) and stored[4].field == "party_id"
    assert events == []
    with crm.engine.connect() as conn:
        assert [get_party(conn, i).version for i in (jana, otto, same)] == [1, 1, 1]
