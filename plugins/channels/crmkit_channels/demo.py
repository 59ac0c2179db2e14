"""The plugin's part of ``crmkit demo``: stored templates, and two months of email and text messages.

Written in bulk by ``seed_demo`` for the customers the kernel seeded: a newsletter
and order confirmations to customers with an email address, in every delivery
state (mostly sent, some opened and clicked, a few bounced, failed, suppressed or
of unknown fate), the bounced addresses on the suppression list, and text
messages to customers with a mobile number. The log, the template library and a
party's *Messages* page then have something to show.
"""

from __future__ import annotations

import random
import uuid
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime
from typing import Any

import phonenumbers
from phonenumbers import PhoneNumberType
from sqlalchemy import Connection, insert, select

from crmkit import Crm, contact_point_table, party_table
from crmkit_channels.segments import count_segments
from crmkit_channels.suppression import address_hash
from crmkit_channels.tables import email, sms
from crmkit_channels.template_tables import template
from crmkit_channels.tracking_tables import email_event, suppression

EMAIL_SHARE = 0.4
"""Customers with an email address who got the newsletter."""
ORDER_SHARE = 0.25
"""Customers with an email address who got an order confirmation."""
SMS_SHARE = 0.3
"""Customers with a mobile number who got a text message."""
DAYS = 60
SENDER = "crm@demo.example"

TEMPLATES = (
    {
        "name": "newsletter-spring",
        "channel": "email",
        "subject": "Spring news for {{ party.first_name or party.name }}",
        "text": (
            "Dear {{ party.name }},\n\nour new high-efficiency pumps save up to 40 % of the"
            " power.\n\nUnsubscribe: {{ unsubscribe_url }}"
        ),
        "html": (
            "<p>Dear {{ party.name }},</p><p>our new <b>high-efficiency pumps</b> save up to"
            ' 40 % of the power.</p><p><a href="{{ unsubscribe_url }}">Unsubscribe</a></p>'
        ),
    },
    {
        "name": "order-confirmation",
        "channel": "email",
        "subject": "Your order {{ order }}",
        "text": "Dear {{ party.name }},\n\nthank you for order {{ order }}; it ships this week.",
    },
    {
        "name": "visit-reminder",
        "channel": "sms",
        "body": "Reminder: our technician visits you on {{ day }}. Reply STOP to opt out.",
    },
)
# Final states of the sent messages and how often each comes up.
EMAIL_STATES = (("sent", 0.86), ("bounced", 0.05), ("failed", 0.03), ("suppressed", 0.04))
SMS_STATES = (("delivered", 0.88), ("undelivered", 0.06), ("failed", 0.04), ("unknown", 0.02))
ERRORS = {
    "bounced": "550 5.1.1 The email account that you tried to reach does not exist",
    "failed": "given up after 5 attempts; last: 451 4.7.1 Try again later",
    "suppressed": "the party withdrew consent to newsletter by email",
    "undelivered": "30003: unreachable destination handset",
    "unknown": "the worker stopped while the gateway had the message",
}


def seed_demo(app: Crm, conn: Connection, rng: random.Random, now: datetime) -> None:
    """Fill the plugin's tables for the demo (the ``seed_demo`` hook)."""
    conn.execute(insert(template), [_template(t, now) for t in TEMPLATES])
    addresses = _contact_points(conn, "email")
    emails = [
        _email(rng, now, party_id, address, name, "newsletter-spring")
        for party_id, (address, name) in addresses.items()
        if rng.random() < EMAIL_SHARE
    ] + [
        _email(rng, now, party_id, address, name, "order-confirmation")
        for party_id, (address, name) in addresses.items()
        if rng.random() < ORDER_SHARE
    ]
    if emails:
        ids = conn.scalars(
            insert(email).returning(email.c.id, sort_by_parameter_order=True), emails
        ).all()
        _store_tracking(conn, rng, list(zip(ids, emails, strict=True)))
    mobiles = {
        party_id: point
        for party_id, point in _contact_points(conn, "phone").items()
        if _is_mobile(point[0])
    }
    texts = [
        _sms(rng, now, party_id, number)
        for party_id, (number, _name) in mobiles.items()
        if rng.random() < SMS_SHARE
    ]
    if texts:
        conn.execute(insert(sms), texts)


def _template(given: dict[str, str], now: datetime) -> dict[str, Any]:
    values = {"subject": None, "text": None, "html": None, "body": None, **given}
    stamps = {"created_at": now - timedelta(days=DAYS), "updated_at": now - timedelta(days=DAYS)}
    return {
        **values,
        **stamps,
        "version": 1,
        "archived": False,
        "created_by": "admin",
        "updated_by": "admin",
    }


def _contact_points(conn: Connection, kind: str) -> dict[int, tuple[str, str]]:
    """Each customer's first email address or phone number (E.164), and its name."""
    rows = conn.execute(
        select(party_table.c.id, party_table.c.display_name, contact_point_table.c.key)
        .join(contact_point_table, contact_point_table.c.party_id == party_table.c.id)
        .where(
            party_table.c.role == "customer",
            contact_point_table.c.kind == kind,
            contact_point_table.c.position == 0,
        )
        .order_by(party_table.c.id)
    )
    return {r.id: (r.key, r.display_name) for r in rows if r.key}


def _is_mobile(e164: str) -> bool:
    kind = phonenumbers.number_type(phonenumbers.parse(e164))
    return kind in (PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE)


def _state(rng: random.Random, states: tuple[tuple[str, float], ...]) -> str:
    names, weights = zip(*states, strict=True)
    return str(rng.choices(names, weights)[0])


def _email(
    rng: random.Random, now: datetime, party_id: int, address: str, name: str, kind: str
) -> dict[str, Any]:
    created = now - timedelta(days=rng.uniform(1, DAYS))
    newsletter = kind == "newsletter-spring"
    order = f"SO-{rng.randrange(10_000, 99_999)}"
    subject = f"Spring news for {name}" if newsletter else f"Your order {order}"
    text = (
        f"Dear {name},\n\nour new high-efficiency pumps save up to 40 % of the power."
        if newsletter
        else f"Dear {name},\n\nthank you for order {order}; it ships this week."
    )
    message_id = f"<{uuid.UUID(int=rng.getrandbits(128)).hex}@demo.example>"
    raw = EmailMessage()
    raw["From"], raw["To"], raw["Subject"] = SENDER, address, subject
    raw["Date"], raw["Message-ID"] = format_datetime(created), message_id
    raw.set_content(text)
    status = _state(rng, EMAIL_STATES)
    return {
        "party_id": party_id,
        "purpose": "newsletter" if newsletter else "orders",
        "transactional": not newsletter,
        "template": kind,
        "recipient": address,
        "subject": subject,
        "message_id": message_id,
        "raw": raw.as_string(),
        "variables": {} if newsletter else {"order": order},
        "status": status,
        "attempts": 0 if status == "suppressed" else 5 if status == "failed" else 1,
        "next_attempt_at": None,
        "sending_at": None,
        "last_error": ERRORS.get(status),
        "created_by": "admin" if newsletter else "system",
        "created_at": created,
        "finished_at": created + timedelta(seconds=rng.uniform(5, 600)),
    }


def _store_tracking(
    conn: Connection, rng: random.Random, sent: list[tuple[int, dict[str, Any]]]
) -> None:
    """Opens and clicks of the newsletters that arrived; bounces, and their suppressions."""
    events: list[dict[str, Any]] = []
    listed: dict[str, dict[str, Any]] = {}
    for email_id, row in sent:
        at = row["finished_at"]
        if row["status"] == "bounced":
            events.append(_event(email_id, row, "bounce", "5.1.1", at + timedelta(minutes=2)))
            listed.setdefault(row["recipient"].lower(), _suppressed(email_id, row, at))
        elif row["status"] == "sent" and not row["transactional"] and rng.random() < 0.45:
            opened = at + timedelta(hours=rng.uniform(0.2, 48))
            events.append(_event(email_id, row, "open", None, opened))
            if rng.random() < 0.3:
                target = "https://demo.example/pumps/high-efficiency"
                events.append(_event(email_id, row, "click", target, opened))
    if events:
        conn.execute(insert(email_event), events)
    if listed:
        conn.execute(insert(suppression), list(listed.values()))


def _event(
    email_id: int, row: dict[str, Any], kind: str, detail: str | None, at: datetime
) -> dict[str, Any]:
    return {
        "email_id": email_id,
        "party_id": row["party_id"],
        "kind": kind,
        "detail": detail,
        "occurred_at": at,
    }


def _suppressed(email_id: int, row: dict[str, Any], at: datetime) -> dict[str, Any]:
    return {
        "address": row["recipient"],
        "address_hash": address_hash(row["recipient"]),
        "reason": "bounce",
        "detail": "5.1.1",
        "email_id": email_id,
        "created_at": at,
    }


def _sms(rng: random.Random, now: datetime, party_id: int, number: str) -> dict[str, Any]:
    created = now - timedelta(days=rng.uniform(1, DAYS))
    day = (created + timedelta(days=3)).strftime("%d.%m.")
    body = f"Reminder: our technician visits you on {day}. Reply STOP to opt out."
    segments = count_segments(body)
    status = _state(rng, SMS_STATES)
    return {
        "party_id": party_id,
        "purpose": "service",
        "transactional": True,
        "template": "visit-reminder",
        "recipient": number,
        "body": body,
        "encoding": segments.encoding,
        "segments": segments.count,
        "variables": {"day": day},
        "status": status,
        "sid": None if status == "unknown" else f"SM{rng.getrandbits(128):032x}",
        "gateway_status": {"delivered": "delivered", "undelivered": "undelivered"}.get(status),
        "attempts": 1,
        "next_attempt_at": None,
        "sending_at": None,
        "last_error": ERRORS.get(status),
        "created_by": "system",
        "created_at": created,
        "finished_at": created + timedelta(seconds=rng.uniform(2, 120)),
    }
