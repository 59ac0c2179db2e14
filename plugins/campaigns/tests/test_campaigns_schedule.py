"""When the send job sends: schedule, quiet hours, throttle, end, and the A/B winner."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from crmkit_campaigns.campaigns import definition, lifecycle, sending
from crmkit_campaigns.campaigns.tables import campaign, member
from crmkit_campaigns.campaigns.targeting import assign
from sqlalchemy import func, select, update

from crmkit import Crm, party_table

EMAIL = {"channel": "email", "subject": "Hi {{ party.first_name }}", "text": "Spring"}
MONDAY_NOON = datetime(2030, 12, 2, 12, 0, tzinfo=UTC)
"""A Monday in winter (Berlin at UTC+1) after any day the tests run on: starting a campaign
compares its ``starts_at`` with the real clock, the send job with the ``now`` it is given."""


def ready(crm: Crm, actor: Any, parties: list[int], **data: Any) -> int:
    """A started campaign to ``parties``."""
    with crm.transaction(actor) as tx:
        made = definition.create_campaign(
            tx, {"name": "Spring", "purpose": "marketing", "variants": [EMAIL], **data}
        )
        assign(
            tx,
            made.id,
            select(party_table.c.id.label("party_id")).where(party_table.c.id.in_(parties)),
        )
        lifecycle.start(tx, made.id)
    return made.id


def by_status(crm: Crm, campaign_id: int) -> dict[str, int]:
    with crm.read() as conn:
        rows = conn.execute(
            select(member.c.status, func.count())
            .where(member.c.campaign_id == campaign_id)
            .group_by(member.c.status)
        )
        return {status: count for status, count in rows}


def campaign_row(crm: Crm, campaign_id: int) -> Any:
    with crm.read() as conn:
        return conn.execute(select(campaign).where(campaign.c.id == campaign_id)).one()


def test_a_scheduled_campaign_waits_for_its_start(crm: Crm, staff: Any, new_party: Any) -> None:
    campaign_id = ready(
        crm, staff.marketer, [new_party()], starts_at=(MONDAY_NOON + timedelta(hours=1)).isoformat()
    )
    assert campaign_row(crm, campaign_id).status == "scheduled"

    assert sending.send_due(crm, now=MONDAY_NOON) == 0
    assert sending.send_due(crm, now=MONDAY_NOON + timedelta(hours=1)) == 1
    assert campaign_row(crm, campaign_id).status == "completed"


def test_nothing_is_sent_in_quiet_hours_of_the_campaigns_time_zone(
    crm: Crm, staff: Any, new_party: Any
) -> None:
    # 12:00 UTC is 13:00 in Berlin, inside 12:30 to 14:00 there.
    campaign_id = ready(
        crm,
        staff.marketer,
        [new_party()],
        quiet_start="12:30",
        quiet_end="14:00",
        time_zone="Europe/Berlin",
    )

    assert sending.send_due(crm, now=MONDAY_NOON) == 0
    assert sending.send_due(crm, now=MONDAY_NOON + timedelta(hours=1)) == 1
    assert by_status(crm, campaign_id) == {"queued": 1}


def test_quiet_hours_over_midnight(crm: Crm, staff: Any, new_party: Any) -> None:
    campaign_id = ready(crm, staff.marketer, [new_party()], quiet_start="21:00", quiet_end="08:00")

    assert sending.send_due(crm, now=MONDAY_NOON.replace(hour=23)) == 0
    assert sending.send_due(crm, now=MONDAY_NOON.replace(hour=7, minute=59)) == 0
    assert sending.send_due(crm, now=MONDAY_NOON.replace(hour=8)) == 1
    assert by_status(crm, campaign_id) == {"queued": 1}


def test_the_throttle_holds_the_members_per_hour(crm: Crm, staff: Any, new_party: Any) -> None:
    campaign_id = ready(crm, staff.marketer, [new_party() for _ in range(5)], throttle_per_hour=2)

    assert sending.send_due(crm, now=MONDAY_NOON) == 2
    assert sending.send_due(crm, now=MONDAY_NOON + timedelta(minutes=30)) == 0
    assert sending.send_due(crm, now=MONDAY_NOON + timedelta(minutes=61)) == 2
    assert by_status(crm, campaign_id) == {"queued": 4, "targeted": 1}


def test_a_paused_campaign_sends_nothing_until_resumed(
    crm: Crm, staff: Any, new_party: Any
) -> None:
    campaign_id = ready(crm, staff.marketer, [new_party() for _ in range(3)])
    with crm.transaction(staff.marketer) as tx:
        lifecycle.pause(tx, campaign_id)

    assert sending.send_due(crm, now=MONDAY_NOON) == 0
    with crm.transaction(staff.marketer) as tx:
        lifecycle.resume(tx, campaign_id)
    assert sending.send_due(crm, now=MONDAY_NOON) == 3


def test_past_its_end_the_waiting_members_are_cancelled(
    crm: Crm, staff: Any, new_party: Any
) -> None:
    campaign_id = ready(
        crm, staff.marketer, [new_party()], ends_at=(MONDAY_NOON - timedelta(hours=1)).isoformat()
    )

    assert sending.send_due(crm, now=MONDAY_NOON) == 0

    assert by_status(crm, campaign_id) == {"cancelled": 1}
    assert campaign_row(crm, campaign_id).status == "completed"


def test_a_withdrawn_consent_at_send_makes_the_member_suppressed(
    crm: Crm, staff: Any, new_party: Any
) -> None:
    from crmkit import record_consent

    party = new_party()
    campaign_id = ready(crm, staff.marketer, [party, new_party(emails=["b@example.org"])])
    with crm.transaction() as tx:
        record_consent(tx, party, "marketing", "email", "withdrawn", source="test")

    sending.send_due(crm, now=MONDAY_NOON)

    assert by_status(crm, campaign_id) == {"queued": 1, "suppressed": 1}


def test_the_ab_test_sends_the_variants_first_and_the_winner_to_the_rest(
    crm: Crm, staff: Any, new_party: Any
) -> None:
    parties = [new_party(emails=[f"p{i}@example.org"]) for i in range(100)]
    variants = [
        {**EMAIL, "split": 50},
        {"channel": "email", "subject": "Hey", "text": "B", "split": 50},
    ]
    campaign_id = ready(
        crm,
        staff.marketer,
        parties,
        variants=variants,
        test_share=20,
        winner_metric="opened",
        decide_after_hours=2,
    )
    first = sending.send_due(crm, now=MONDAY_NOON)
    with crm.read() as conn:
        tested = conn.execute(
            select(member.c.variant_id, func.count())
            .where(member.c.campaign_id == campaign_id, member.c.in_test == 1)
            .group_by(member.c.variant_id)
        ).all()
    _variant_a, variant_b = sorted(v for v, _ in tested)
    with crm.transaction() as tx:
        # Half of B's test members opened, none of A's.
        opened = (
            select(member.c.id).where(member.c.variant_id == variant_b).limit(5).scalar_subquery()
        )
        tx.conn.execute(
            update(member)
            .where(member.c.id.in_(opened))
            .values(opened_at=MONDAY_NOON, status="opened")
        )

    too_early = sending.send_due(crm, now=MONDAY_NOON + timedelta(hours=1))
    rest = sending.send_due(crm, now=MONDAY_NOON + timedelta(hours=2))

    assert first == 20 and sorted(n for _, n in tested) == [10, 10]
    assert too_early == 0
    assert rest == 80
    assert campaign_row(crm, campaign_id).winner_variant_id == variant_b
    with crm.read() as conn:
        rest_variants = (
            conn.execute(
                select(member.c.variant_id)
                .where(member.c.campaign_id == campaign_id, member.c.in_test == 0)
                .distinct()
            )
            .scalars()
            .all()
        )
    assert rest_variants == [variant_b]
    assert campaign_row(crm, campaign_id).status == "completed"
