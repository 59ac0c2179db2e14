"""The campaigns part of ``crmkit demo``: three campaigns on the demo customers.

- *Autumn newsletter*, completed six weeks ago: members in every step from delivered to
  converted, some bounced, suppressed or unsubscribed, with their milestones.
- *Winter sale*, scheduled for next week: its members targeted, nothing sent yet.
- *Spring launch A/B*, paused after its test: two email variants, the test members sent and
  partly opened, the rest waiting for the winner.

Members are written as the send job and the results would have left them, but no email is
queued: the demo sends nothing, even with a worker running.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, exists, insert, select

from crmkit import contact_point_table, party_table, user_table
from crmkit_campaigns.campaigns.tables import campaign, member, variant

NEWSLETTER_MEMBERS = 900
SALE_MEMBERS = 600
LAUNCH_MEMBERS = 500
STEPS = (
    ("delivered", 0.40),
    ("opened", 0.25),
    ("clicked", 0.12),
    ("responded", 0.04),
    ("converted", 0.02),
    ("bounced", 0.05),
    ("suppressed", 0.04),
    ("unsubscribed", 0.03),
    ("failed", 0.05),
)
MILESTONES = {
    "delivered": ("sent_at", "delivered_at"),
    "opened": ("sent_at", "delivered_at", "opened_at"),
    "clicked": ("sent_at", "delivered_at", "opened_at", "clicked_at"),
    "responded": ("sent_at", "delivered_at", "opened_at", "clicked_at", "responded_at"),
    "converted": (
        "sent_at",
        "delivered_at",
        "opened_at",
        "clicked_at",
        "responded_at",
        "converted_at",
    ),
    "bounced": ("sent_at", "bounced_at"),
    "unsubscribed": ("sent_at", "delivered_at", "opened_at", "unsubscribed_at"),
}


def seed(app: Any, conn: Connection, rng: random.Random, now: datetime) -> None:
    """Realistic demo rows of the part, for `crmkit demo`."""
    customers = _emailable_customers(conn, NEWSLETTER_MEMBERS + SALE_MEMBERS + LAUNCH_MEMBERS)
    if not customers:
        return
    owner_id = conn.execute(
        select(user_table.c.id).where(user_table.c.role.in_(("marketing", "admin"))).limit(1)
    ).scalar_one_or_none()
    rng.shuffle(customers)
    # Shares of what there is, for a demo database smaller than the usual one.
    total = NEWSLETTER_MEMBERS + SALE_MEMBERS + LAUNCH_MEMBERS
    first = len(customers) * NEWSLETTER_MEMBERS // total
    second = first + len(customers) * SALE_MEMBERS // total
    newsletter, sale, launch = customers[:first], customers[first:second], customers[second:]
    _newsletter(conn, rng, now, owner_id, newsletter)
    _sale(conn, now, owner_id, sale)
    _launch(conn, rng, now, owner_id, launch)


def _emailable_customers(conn: Connection, limit: int) -> list[int]:
    has_email = exists().where(
        contact_point_table.c.party_id == party_table.c.id, contact_point_table.c.kind == "email"
    )
    return list(
        conn.execute(
            select(party_table.c.id)
            .where(party_table.c.role == "customer", has_email)
            .order_by(party_table.c.id)
            .limit(limit)
        ).scalars()
    )


def _campaign(conn: Connection, now: datetime, **values: Any) -> int:
    defaults: dict[str, Any] = {
        "kind": "one_off",
        "purpose": "marketing",
        "time_zone": "Europe/Berlin",
        "test_share": 100,
        "currency": "EUR",
        "created_at": now - timedelta(days=60),
        "updated_at": now,
        "version": 1,
    }
    return int(
        conn.execute(
            insert(campaign).values({**defaults, **values}).returning(campaign.c.id)
        ).scalar_one()
    )


def _variant(
    conn: Connection,
    campaign_id: int,
    label: str,
    split: int,
    subject: str,
    text: str,
    created: datetime,
) -> int:
    return int(
        conn.execute(
            insert(variant)
            .values(
                campaign_id=campaign_id,
                channel="email",
                label=label,
                split=split,
                subject=subject,
                text=text,
                html=None,
                created_at=created,
            )
            .returning(variant.c.id)
        ).scalar_one()
    )


def _newsletter(
    conn: Connection, rng: random.Random, now: datetime, owner_id: int | None, parties: list[int]
) -> None:
    sent = now - timedelta(days=42)
    campaign_id = _campaign(
        conn,
        now,
        name="Autumn newsletter",
        status="completed",
        product_group="Heat pumps",
        region="DE",
        starts_at=sent,
        throttle_per_hour=5000,
        quiet_start="21:00",
        quiet_end="08:00",
        budget=2500,
        owner_id=owner_id,
        created_by=owner_id,
        targeted_at=sent - timedelta(hours=2),
        completed_at=sent + timedelta(hours=1),
    )
    variant_id = _variant(
        conn,
        campaign_id,
        "A",
        100,
        "Autumn news for {{ party.first_name or party.name }}",
        "Hello {{ party.name }}, our autumn offers are here.",
        sent - timedelta(days=3),
    )
    statuses, weights = zip(*STEPS, strict=True)
    rows = []
    for party_id in parties:
        status = rng.choices(statuses, weights)[0]
        rows.append(_member(campaign_id, party_id, variant_id, status, sent, rng, in_test=0))
    if rows:
        conn.execute(insert(member), rows)


def _sale(conn: Connection, now: datetime, owner_id: int | None, parties: list[int]) -> None:
    starts = (now + timedelta(days=7)).replace(hour=9, minute=0, second=0, microsecond=0)
    campaign_id = _campaign(
        conn,
        now,
        name="Winter sale",
        status="scheduled",
        product_group="Boilers",
        region="DE",
        starts_at=starts,
        ends_at=starts + timedelta(days=14),
        throttle_per_hour=2000,
        budget=4000,
        owner_id=owner_id,
        created_by=owner_id,
        targeted_at=now - timedelta(days=1),
        created_at=now - timedelta(days=5),
    )
    variant_id = _variant(
        conn,
        campaign_id,
        "A",
        100,
        "Winter sale: 15% off boilers",
        "Hello {{ party.name }}, our winter sale starts today.",
        now - timedelta(days=5),
    )
    targeted = now - timedelta(days=1)
    rows = [
        _row(campaign_id, party_id, variant_id, "targeted", targeted, in_test=0)
        for party_id in parties
    ]
    if rows:
        conn.execute(insert(member), rows)


def _launch(
    conn: Connection, rng: random.Random, now: datetime, owner_id: int | None, parties: list[int]
) -> None:
    sent = now - timedelta(hours=20)
    campaign_id = _campaign(
        conn,
        now,
        name="Spring launch A/B",
        status="paused",
        product_group="Solar",
        region="DE",
        starts_at=sent,
        test_share=20,
        winner_metric="opened",
        decide_after_hours=24,
        budget=1500,
        owner_id=owner_id,
        created_by=owner_id,
        targeted_at=sent - timedelta(hours=1),
        created_at=now - timedelta(days=3),
    )
    first = _variant(
        conn, campaign_id, "A", 50, "Meet our new solar roof", "Hello {{ party.name }}, ...", sent
    )
    second = _variant(
        conn,
        campaign_id,
        "B",
        50,
        "Your roof could pay for itself",
        "Hello {{ party.name }}, ...",
        sent,
    )
    rows = []
    for party_id in parties:
        bucket = (party_id * 37) % 100  # the targeting rule's test share and split
        if bucket < 20:
            chosen = first if bucket < 10 else second
            opened_rate = 0.22 if chosen == first else 0.31
            status = "opened" if rng.random() < opened_rate else "delivered"
            rows.append(_member(campaign_id, party_id, chosen, status, sent, rng, in_test=1))
        else:
            rows.append(_row(campaign_id, party_id, None, "targeted", sent, in_test=0))
    if rows:
        conn.execute(insert(member), rows)


def _row(
    campaign_id: int,
    party_id: int,
    variant_id: int | None,
    status: str,
    targeted: datetime,
    *,
    in_test: int,
) -> dict[str, Any]:
    row: dict[str, Any] = {
        "campaign_id": campaign_id,
        "party_id": party_id,
        "occurrence": "",
        "channel": "email",
        "variant_id": variant_id,
        "in_test": in_test,
        "status": status,
        "email_id": None,
        "sms_id": None,
        "targeted_at": targeted,
        "detail": None,
    }
    for name in ("queued_at", *{m for steps in MILESTONES.values() for m in steps}):
        row[name] = None
    return row


def _member(
    campaign_id: int,
    party_id: int,
    variant_id: int,
    status: str,
    sent: datetime,
    rng: random.Random,
    *,
    in_test: int,
) -> dict[str, Any]:
    row = _row(
        campaign_id, party_id, variant_id, status, sent - timedelta(hours=2), in_test=in_test
    )
    row["queued_at"] = sent
    moment = sent
    for name in MILESTONES.get(status, ()):
        moment = moment + timedelta(minutes=rng.randint(1, 600))
        row[name] = moment
    if status in ("suppressed", "failed"):
        row["detail"] = "no consent at send" if status == "suppressed" else "mailbox does not exist"
        row["queued_at"] = None  # the message never left: not a touch
    return row
