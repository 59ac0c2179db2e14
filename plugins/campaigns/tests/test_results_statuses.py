"""Member statuses from real delivery (a real SMTP relay) and real tracking hits over HTTP."""

from __future__ import annotations

import re
from typing import Any

from crmkit_campaigns.campaigns.tables import member
from crmkit_campaigns.results.progress import ORDER, advanced, furthest
from crmkit_campaigns.results.statuses import refresh_statuses
from sqlalchemy import select, update

from crmkit import Crm, record_consent

BASE = "https://crm.acme.example"


def members_of(crm: Crm, campaign_id: int) -> dict[int, Any]:
    with crm.read() as conn:
        rows = conn.execute(select(member).where(member.c.campaign_id == campaign_id)).all()
    return {r.id: r for r in rows}


def refresh(crm: Crm, campaign_id: int) -> dict[int, Any]:
    with crm.transaction() as tx:
        refresh_statuses(tx, campaign_id)
    return members_of(crm, campaign_id)


def tracking_links(message: Any) -> tuple[str, str]:
    """The open pixel's and the offer link's path in a relayed email."""
    html = message.get_body(("html",)).get_content()
    pixel = re.search(r'src="https://crm\.acme\.example(/p/channels/open\?t=[^"]+)"', html)
    click = re.search(r'href="https://crm\.acme\.example(/p/channels/click\?t=[^"]+)"', html)
    assert pixel and click, html
    return pixel.group(1).replace("&amp;", "&"), click.group(1).replace("&amp;", "&")


def test_delivery_opens_and_clicks_move_members_forward(
    relayed: Any, smtp_relay: Any, new_party: Any, results_kit: Any, anonymous: Any
) -> None:
    sender = relayed()
    ada = new_party(emails=["ada@example.org"])
    bob = new_party(first_name="Bob", emails=["bob@example.org"])
    eve = new_party(first_name="Eve", emails=["eve@example.org"])
    campaign_id = results_kit.campaign()
    ada_m, bob_m, eve_m = results_kit.members(campaign_id, [ada, bob, eve])
    results_kit.mail([ada_m, bob_m, eve_m])

    queued = refresh(sender, campaign_id)
    assert {m.status for m in queued.values()} == {"queued"}
    assert all(m.sent_at is None for m in queued.values())

    sender.jobs.run("channels.deliver_email")
    assert len(smtp_relay.handler.messages) == 3
    delivered = refresh(sender, campaign_id)
    assert {m.status for m in delivered.values()} == {"delivered"}
    assert all(m.sent_at is not None and m.delivered_at is not None for m in delivered.values())

    by_to = {m["To"].addresses[0].addr_spec: m for m in smtp_relay.handler.messages}
    pixel, _ = tracking_links(by_to["bob@example.org"])
    _, click = tracking_links(by_to["eve@example.org"])
    assert anonymous.get(pixel).status_code == 200
    redirect = anonymous.get(click, follow_redirects=False)
    assert redirect.headers["location"] == "https://acme.example/spring"

    tracked = refresh(sender, campaign_id)
    assert tracked[ada_m].status == "delivered" and tracked[ada_m].opened_at is None
    assert tracked[bob_m].status == "opened" and tracked[bob_m].opened_at is not None
    assert tracked[bob_m].clicked_at is None
    # A click proves the email was opened, even with its images blocked.
    assert tracked[eve_m].status == "clicked"
    assert tracked[eve_m].opened_at == tracked[eve_m].clicked_at is not None
    # Milestones keep the time they were first seen.
    assert tracked[ada_m].sent_at == delivered[ada_m].sent_at


def test_a_responded_member_stays_responded_when_an_open_arrives_later(
    relayed: Any, smtp_relay: Any, new_party: Any, results_kit: Any, anonymous: Any, crm: Crm
) -> None:
    sender = relayed()
    ada = new_party()
    campaign_id = results_kit.campaign()
    [ada_m] = results_kit.members(campaign_id, [ada])
    results_kit.mail([ada_m])
    sender.jobs.run("channels.deliver_email")
    with crm.transaction() as tx:
        tx.conn.execute(update(member).where(member.c.id == ada_m).values(status="responded"))
    pixel, _ = tracking_links(smtp_relay.handler.messages[0])
    anonymous.get(pixel)
    after = refresh(sender, campaign_id)[ada_m]
    assert after.status == "responded"
    assert after.opened_at is not None and after.delivered_at is not None


def test_consent_withdrawn_before_delivery_suppresses_the_member(
    relayed: Any, smtp_relay: Any, new_party: Any, results_kit: Any, crm: Crm
) -> None:
    sender = relayed()
    ada = new_party()
    campaign_id = results_kit.campaign()
    [ada_m] = results_kit.members(campaign_id, [ada])
    results_kit.mail([ada_m])
    with crm.transaction() as tx:
        record_consent(tx, ada, "marketing", "email", "withdrawn", source="test")
    sender.jobs.run("channels.deliver_email")
    assert smtp_relay.handler.messages == []
    after = refresh(sender, campaign_id)[ada_m]
    assert after.status == "suppressed" and after.sent_at is None


def test_an_unsubscribe_by_the_emails_link_marks_the_member(
    relayed: Any, smtp_relay: Any, new_party: Any, results_kit: Any, anonymous: Any
) -> None:
    sender = relayed()
    ada = new_party()
    campaign_id = results_kit.campaign()
    [ada_m] = results_kit.members(campaign_id, [ada])
    results_kit.mail([ada_m])
    sender.jobs.run("channels.deliver_email")
    header = str(smtp_relay.handler.messages[0]["List-Unsubscribe"])
    found = re.search(r"<https://crm\.acme\.example(/p/channels/unsubscribe\?token=[^>]+)>", header)
    assert found, header
    assert anonymous.post(found.group(1)).status_code == 200
    after = refresh(sender, campaign_id)[ada_m]
    assert after.status == "unsubscribed" and after.unsubscribed_at is not None


def test_a_refresh_changes_only_the_campaign_asked_for(
    relayed: Any, new_party: Any, results_kit: Any
) -> None:
    sender = relayed()
    ada = new_party()
    first, second = results_kit.campaign(), results_kit.campaign(name="Autumn")
    [first_m] = results_kit.members(first, [ada])
    [second_m] = results_kit.members(second, [ada])
    results_kit.mail([first_m, second_m])
    sender.jobs.run("channels.deliver_email")
    assert refresh(sender, first)[first_m].status == "delivered"
    assert members_of(sender, second)[second_m].status == "queued"


def test_the_order_never_moves_a_member_backwards(
    crm: Crm, new_party: Any, results_kit: Any
) -> None:
    campaign_id = results_kit.campaign()
    [ada_m] = results_kit.members(campaign_id, [new_party()])
    assert furthest("opened", "bounced", "delivered") == "opened"
    assert furthest("clicked", "unsubscribed") == "unsubscribed"
    assert furthest("unsubscribed", "responded", "converted") == "converted"
    assert ORDER["queued"] < ORDER["suppressed"] < ORDER["sent"]
    steps = ["queued", "clicked", "bounced", "responded", "opened"]
    seen = []
    for step in steps:
        with crm.transaction() as tx:
            tx.conn.execute(
                update(member).where(member.c.id == ada_m).values(status=advanced(step))
            )
        seen.append(members_of(crm, campaign_id)[ada_m].status)
    assert seen == ["queued", "clicked", "clicked", "responded", "responded"]


def test_outbox_states_without_a_live_source_map_to_member_steps() -> None:
    """A hard bounce and a perhaps-sent email, as the channels plugin reports them (a bounce
    comes through mail-in, which these tests do not run)."""
    from datetime import UTC, datetime

    from crmkit_campaigns.results.statuses import _reached
    from crmkit_channels import MessageState

    now = datetime(2026, 5, 1, tzinfo=UTC)

    def state(status: str, **seen: Any) -> MessageState:
        values: dict[str, Any] = {
            "opens": 0,
            "first_opened_at": None,
            "clicks": 0,
            "first_clicked_at": None,
            "clicked_urls": (),
            "soft_bounces": 0,
            "complained": False,
            "unsubscribed": False,
            **seen,
        }
        return MessageState(email_id=1, party_id=1, purpose="marketing", status=status, **values)

    bounced, milestones = _reached(state("bounced"), now)
    assert bounced == "bounced" and milestones["bounced_at"] == now
    assert milestones["sent_at"] == now and milestones["delivered_at"] is None
    unknown, milestones = _reached(state("unknown"), now)
    assert unknown == "sent" and milestones["delivered_at"] is None
    opened_then_bounced, _ = _reached(state("bounced", opens=1, first_opened_at=now), now)
    assert opened_then_bounced == "opened"
