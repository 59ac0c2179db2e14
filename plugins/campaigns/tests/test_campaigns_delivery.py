"""A campaign's emails reach a real SMTP relay: each member's own message, once."""

from __future__ import annotations

from typing import Any

from crmkit_campaigns.campaigns import definition, lifecycle
from crmkit_campaigns.campaigns.tables import member
from crmkit_campaigns.campaigns.targeting import assign
from sqlalchemy import select

from crmkit import party_table


def test_the_members_emails_arrive_at_the_relay_rendered_for_each(
    relayed: Any, smtp_relay: Any, new_user: Any, new_party: Any
) -> None:
    crm = relayed()
    marketer = new_user("mia", "marketing")
    ada = new_party(first_name="Ada", emails=["ada@example.org"])
    alan = new_party(first_name="Alan", last_name="Turing", emails=["alan@example.org"])
    with crm.transaction(marketer) as tx:
        made = definition.create_campaign(
            tx,
            {
                "name": "Spring",
                "purpose": "marketing",
                "variants": [
                    {
                        "channel": "email",
                        "subject": "{{ campaign.name }} for {{ party.first_name }}",
                        "text": "Member {{ member_id }}",
                    }
                ],
            },
        )
        assign(tx, made.id, select(party_table.c.id.label("party_id")))
        lifecycle.start(tx, made.id)

    assert crm.jobs.run("campaigns.send").ok
    assert crm.jobs.run("channels.deliver_email").ok
    assert crm.jobs.run("campaigns.send").ok

    received = {str(m["To"]): m for m in smtp_relay.handler.messages}
    with crm.read() as conn:
        ids = {p: m for p, m in conn.execute(select(member.c.party_id, member.c.id))}
    assert set(received) == {"ada@example.org", "alan@example.org"}
    assert str(received["alan@example.org"]["Subject"]) == "Spring for Alan"
    body = received["ada@example.org"].get_body(("plain",)).get_content()
    assert f"Member {ids[ada]}" in body
    assert received["ada@example.org"]["List-Unsubscribe"]
    assert alan in ids
