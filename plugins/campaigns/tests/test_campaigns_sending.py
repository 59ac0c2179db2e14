"""Targeting and the send job: members on their consenting channel, queued once, batch by batch."""

from __future__ import annotations

from typing import Any

import pytest
from crmkit_campaigns.campaigns import definition, lifecycle, sending
from crmkit_campaigns.campaigns.tables import campaign, member
from crmkit_campaigns.campaigns.targeting import assign
from sqlalchemy import select

from crmkit import Crm, ValidationError, party_table, record_consent

EMAIL = {
    "channel": "email",
    "subject": "Spring for {{ party.first_name }}",
    "text": "Hello {{ party.name }}",
}
SMS = {"channel": "sms", "text": "Spring sale, {{ party.first_name }}!"}


def define(crm: Crm, actor: Any, **data: Any) -> int:
    data.setdefault("name", "Spring")
    data.setdefault("purpose", "marketing")
    data.setdefault("variants", [EMAIL])
    with crm.transaction(actor) as tx:
        return definition.create_campaign(tx, data).id


def enter(crm: Crm, actor: Any, campaign_id: int, party_ids: list[int]) -> int:
    with crm.transaction(actor) as tx:
        return assign(
            tx,
            campaign_id,
            select(party_table.c.id.label("party_id")).where(party_table.c.id.in_(party_ids)),
        )


def members(crm: Crm, campaign_id: int) -> dict[int, Any]:
    with crm.read() as conn:
        rows = conn.execute(select(member).where(member.c.campaign_id == campaign_id))
        return {row.party_id: row for row in rows}


def status_of(crm: Crm, campaign_id: int) -> str:
    with crm.read() as conn:
        return str(
            conn.execute(select(campaign.c.status).where(campaign.c.id == campaign_id)).scalar_one()
        )


def test_a_party_becomes_a_member_on_the_first_channel_it_consents_to(
    crm: Crm, staff: Any, new_party: Any
) -> None:
    by_email = new_party(phones=["+49301234567"])
    by_sms_only = new_party(consent=(), phones=["+49301234568"], emails=["b@example.org"])
    with crm.transaction() as tx:
        record_consent(tx, by_sms_only, "marketing", "sms", "granted", source="test")
    no_consent = new_party(consent=("newsletter",))
    withdrawn = new_party()
    with crm.transaction() as tx:
        record_consent(tx, withdrawn, "marketing", "email", "withdrawn", source="test")
    no_address = new_party(emails=[])
    campaign_id = define(crm, staff.marketer, variants=[EMAIL, SMS])

    entered = enter(
        crm, staff.marketer, campaign_id, [by_email, by_sms_only, no_consent, withdrawn, no_address]
    )

    found = members(crm, campaign_id)
    assert entered == 2
    assert {p: m.channel for p, m in found.items()} == {by_email: "email", by_sms_only: "sms"}
    assert all(m.status == "targeted" and m.variant_id is not None for m in found.values())
    assert enter(crm, staff.marketer, campaign_id, [by_email]) == 0  # already a member


def test_targeting_enters_only_parties_the_actor_sees(crm: Crm, staff: Any, new_party: Any) -> None:
    in_berlin = new_party()
    in_paris = new_party(
        addresses=[
            {"street": "Rue de Rivoli 1", "postcode": "75001", "city": "Paris", "country": "FR"}
        ]
    )
    campaign_id = define(crm, staff.outsider)

    enter(crm, staff.outsider, campaign_id, [in_berlin, in_paris])

    assert set(members(crm, campaign_id)) == {in_paris}


def test_the_send_job_queues_every_member_once_and_completes(
    make_campaigns: Any, new_user: Any, new_party: Any, crm: Crm
) -> None:
    small_batches = make_campaigns(campaigns={"campaigns": {"send_batch": 3}})
    marketer = new_user("mia", "marketing")
    parties = [new_party(emails=[f"p{i}@example.org"]) for i in range(7)]
    campaign_id = define(crm, marketer)
    enter(crm, marketer, campaign_id, parties)
    with crm.transaction(marketer) as tx:
        lifecycle.start(tx, campaign_id)

    handled = sending.send_due(small_batches)
    again = sending.send_due(small_batches)

    found = members(crm, campaign_id)
    assert handled == 7 and again == 0
    assert {m.status for m in found.values()} == {"queued"}
    assert len({m.email_id for m in found.values()}) == 7
    assert status_of(crm, campaign_id) == "completed"


def test_sms_members_get_their_text_and_without_gateway_settings_the_start_is_refused(
    make_campaigns: Any, new_user: Any, new_party: Any, crm: Crm
) -> None:
    gateway = {
        "account_sid": "AC00000000000000000000000000000001",
        "auth_token": "secret",
        "from_number": "+4915112345678",
    }
    with_gateway = make_campaigns(channels={"sms": gateway})
    marketer = new_user("mia", "marketing")
    texted = new_party(consent=(), emails=[], phones=["+4915112345679"])
    with crm.transaction() as tx:
        record_consent(tx, texted, "marketing", "sms", "granted", source="test")
    campaign_id = define(crm, marketer, variants=[EMAIL, SMS])
    enter(crm, marketer, campaign_id, [texted])

    with pytest.raises(ValidationError) as refused, crm.transaction(marketer) as tx:
        lifecycle.start(tx, campaign_id)
    with with_gateway.transaction(marketer) as tx:
        lifecycle.start(tx, campaign_id)
    sending.send_due(with_gateway)

    assert refused.value.field == "variants[1].channel"
    found = members(crm, campaign_id)[texted]
    assert (found.channel, found.status, found.email_id) == ("sms", "queued", None)
    assert found.sms_id is not None


def test_two_workers_at_once_queue_each_member_once(
    make_campaigns: Any, new_user: Any, new_party: Any, crm: Crm
) -> None:
    import threading

    workers = [make_campaigns(campaigns={"campaigns": {"send_batch": 5}}) for _ in range(2)]
    marketer = new_user("mia", "marketing")
    parties = [new_party(emails=[f"p{i}@example.org"]) for i in range(40)]
    campaign_id = define(crm, marketer)
    enter(crm, marketer, campaign_id, parties)
    with crm.transaction(marketer) as tx:
        lifecycle.start(tx, campaign_id)
    handled: list[int] = []
    threads = [
        threading.Thread(target=lambda app=app: handled.append(sending.send_due(app)))
        for app in workers
    ]

    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    found = members(crm, campaign_id)
    assert sum(handled) == 40
    assert len({m.email_id for m in found.values()}) == 40
    assert status_of(crm, campaign_id) == "completed"


def test_a_run_with_almost_no_time_still_sends_one_batch(
    make_campaigns: Any, new_user: Any, new_party: Any, crm: Crm
) -> None:
    hurried = make_campaigns(campaigns={"campaigns": {"send_batch": 2, "run_seconds": 1e-9}})
    marketer = new_user("mia", "marketing")
    parties = [new_party(emails=[f"p{i}@example.org"]) for i in range(5)]
    campaign_id = define(crm, marketer)
    enter(crm, marketer, campaign_id, parties)
    with crm.transaction(marketer) as tx:
        lifecycle.start(tx, campaign_id)

    handled = [sending.send_due(hurried) for _ in range(3)]

    assert handled == [2, 2, 1]
    assert {m.status for m in members(crm, campaign_id).values()} == {"queued"}


def test_an_sms_text_that_fails_at_the_start_is_named_as_its_text(
    make_campaigns: Any, new_user: Any, new_party: Any, crm: Crm
) -> None:
    gateway = {
        "account_sid": "AC00000000000000000000000000000001",
        "auth_token": "secret",
        "from_number": "+4915112345678",
    }
    with_gateway = make_campaigns(channels={"sms": gateway})
    marketer = new_user("mia", "marketing")
    texted = new_party(consent=(), emails=[], phones=["+4915112345679"])
    with crm.transaction() as tx:
        record_consent(tx, texted, "marketing", "sms", "granted", source="test")
    # Renders for the made-up party, but this person has no organisation: an empty SMS.
    empty = {"channel": "sms", "text": "{{ party.organisation_name }}"}
    campaign_id = define(crm, marketer, variants=[EMAIL, empty])
    enter(crm, marketer, campaign_id, [texted])

    with pytest.raises(ValidationError) as refused, with_gateway.transaction(marketer) as tx:
        lifecycle.start(tx, campaign_id)

    assert refused.value.field == "variants[1].text"
    assert status_of(crm, campaign_id) == "draft"
