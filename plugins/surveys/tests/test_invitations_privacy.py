"""A party's invitations move to the survivor of a merge, are in its export without their
links, and are deleted with it."""

from __future__ import annotations

from typing import Any

from crmkit_surveys.invitations.sends import create_send
from crmkit_surveys.invitations.tables import invitation
from sqlalchemy import select

from crmkit import Crm, erase_party, export_party, merge_parties


def party_ids(crm: Crm) -> list[int | None]:
    with crm.read() as conn:
        return list(conn.execute(select(invitation.c.party_id).order_by(invitation.c.id)).scalars())


def test_invitations_follow_a_merge_are_exported_and_erased(
    crm: Crm, new_party: Any, publish_survey: Any, invitation_message: dict[str, Any]
) -> None:
    survey_id = publish_survey(crm, name="Service follow-up")
    survivor = new_party(consent=("feedback",))
    merged = new_party(consent=("feedback",), emails=["second@example.org"])
    with crm.transaction() as tx:
        create_send(
            tx,
            survey_id,
            {
                "audience": {"party_ids": [survivor, merged]},
                "channel": "email",
                "message": invitation_message,
            },
        )
    with crm.transaction() as tx:
        merge_parties(tx, survivor, merged)
    assert party_ids(crm) == [survivor, survivor]

    with crm.read() as conn:
        exported = export_party(conn, crm.host, survivor)["surveys"]["invitations"]
    assert [(i["survey"], i["status"], i["channel"]) for i in exported] == [
        ("Service follow-up", "sent", "email"),
        ("Service follow-up", "sent", "email"),
    ]
    assert not any("token" in key for item in exported for key in item)

    with crm.transaction() as tx:
        erase_party(tx, survivor)
    assert party_ids(crm) == []
