"""The invitations part of ``crmkit demo``: "Service follow-up" and "Delivery satisfaction"
sent to about 150 customers each some days ago, their invitations in every status this part
sets (sent, opened, expired, failed, and queued behind a rule's delay); two after-event rules
when the service and sales plugins are loaded; an open link of "Market research 2027".

Invitations are made by the real send, in the demo's transaction, so the customers asked get
consent for the invitations' purpose first (as a feedback opt-in at purchase would give it).
The answering part turns some of them into answers.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, bindparam, insert, select, update

from crmkit import SYSTEM, Crm, Transaction, contact_point_table, party_table, record_consent
from crmkit_surveys.definitions.tables import survey
from crmkit_surveys.invitations.links import new_token, token_hash
from crmkit_surveys.invitations.open_links import make_open_link
from crmkit_surveys.invitations.rules import create_rule
from crmkit_surveys.invitations.sends import create_send
from crmkit_surveys.invitations.survey_state import survey_state
from crmkit_surveys.invitations.tables import invitation

AUDIENCE = 150
SENT = (("Service follow-up", 12), ("Delivery satisfaction", 5))
"""The surveys sent, and how many days before ``now``."""
RULES = (
    ("Service follow-up", "service.case_status_changed", {"status": ["resolved", "closed"]}, 0),
    ("Delivery satisfaction", "sfa.order_erp_status", {"erp_status": ["delivered"]}, 24 * 60),
)
MESSAGES: dict[str, dict[str, dict[str, str]]] = {
    "Service follow-up": {
        "en": {
            "subject": "How did we do, {{ party.first_name or party.name }}?",
            "text": "Your case was closed recently. Tell us how we did: {{ survey_url }}\n"
            "The link works until {{ expires_on }}.",
        },
        "de": {
            "subject": "Wie haben wir es gemacht?",
            "text": "Ihr Anliegen wurde abgeschlossen. Sagen Sie uns Ihre Meinung: {{ survey_url }}",
        },
    },
    "Delivery satisfaction": {
        "en": {
            "subject": "Did your order arrive well?",
            "text": "Two questions about your delivery: {{ survey_url }}",
        }
    },
}
_MARK = (
    update(invitation)
    .where(invitation.c.id == bindparam("invitation_id"))
    .values(
        status=bindparam("new_status"),
        created_at=bindparam("at"),
        sent_at=bindparam("at"),
        opened_at=bindparam("opened"),
        expires_at=bindparam("expires"),
    )
)


def seed(app: Crm, conn: Connection, rng: random.Random, now: datetime) -> None:
    surveys = {r.name: r.id for r in conn.execute(select(survey.c.name, survey.c.id))}
    tx = Transaction(conn=conn, hooks=app.host, actor=SYSTEM, app=app)
    channels = app.settings_of["channels"]
    # Sending needs the channels plugin's From and public address: without them the demo
    # has rules and an open link, and no sends.
    if channels.from_address and channels.public_url:
        for name, days in SENT:
            if name in surveys:
                _send(tx, surveys[name], MESSAGES[name], rng, now, days)
        if "Market research 2027" in surveys:
            make_open_link(tx, surveys["Market research 2027"])
    for name, event_type, conditions, delay in RULES:
        if name in surveys and event_type in app.event_types:
            made = create_rule(
                tx,
                {
                    "survey_id": surveys[name],
                    "event_type": event_type,
                    "conditions": conditions,
                    "channel": "email",
                    "message": MESSAGES[name],
                    "delay_minutes": delay,
                },
            )
            if delay:
                _waiting(tx, made.id, made.survey_id, rng, now, delay)


def _customers(conn: Connection, rng: random.Random, count: int) -> list[int]:
    with_email = select(contact_point_table.c.party_id).where(contact_point_table.c.kind == "email")
    ids = list(
        conn.execute(
            select(party_table.c.id)
            .where(party_table.c.role == "customer", party_table.c.id.in_(with_email))
            .order_by(party_table.c.id)
        ).scalars()
    )
    return sorted(rng.sample(ids, min(count, len(ids))))


def _send(
    tx: Transaction,
    survey_id: int,
    message: dict[str, Any],
    rng: random.Random,
    now: datetime,
    days_ago: int,
) -> None:
    at = now - timedelta(days=days_ago)
    parties = _customers(tx.conn, rng, AUDIENCE)
    purpose = tx.app.settings_of["surveys"].invitations.purpose
    for party_id in parties:
        record_consent(tx, party_id, purpose, "email", "granted", source="demo")
    made = create_send(
        tx, survey_id, {"audience": {"party_ids": parties}, "channel": "email", "message": message}
    )
    rows = tx.conn.execute(
        select(invitation.c.id).where(invitation.c.send_id == made.id).order_by(invitation.c.id)
    ).scalars()
    marks = []
    for invitation_id in rows:
        roll = rng.random()
        status = (
            "opened"
            if roll < 0.3
            else "expired"
            if roll < 0.4
            else "failed"
            if roll < 0.45
            else "sent"
        )
        sent_at = at + timedelta(minutes=rng.randint(0, 90))
        marks.append(
            {
                "invitation_id": invitation_id,
                "new_status": status,
                "at": sent_at,
                "opened": sent_at + timedelta(hours=rng.randint(1, 72))
                if status == "opened"
                else None,
                "expires": now - timedelta(hours=rng.randint(1, 48))
                if status == "expired"
                else sent_at + timedelta(days=14),
            }
        )
    if marks:
        tx.conn.execute(_MARK, marks)


def _waiting(
    tx: Transaction, rule_id: int, survey_id: int, rng: random.Random, now: datetime, delay: int
) -> None:
    """A few invitations of the rule waiting for its delay, as after deliveries this morning."""
    state = survey_state(tx.conn, survey_id)
    if not state.sendable:
        return
    for party_id in _customers(tx.conn, rng, 3):
        due = now + timedelta(minutes=rng.randint(60, delay))
        tx.conn.execute(
            insert(invitation).values(
                survey_id=survey_id,
                version_id=state.version_id,
                party_id=party_id,
                rule_id=rule_id,
                dedupe_key=f"demo:rule:{rule_id}:party:{party_id}",
                token_hash=token_hash(new_token()),
                channel="email",
                language=state.default_language,
                status="queued",
                source={"event_type": "sfa.order_erp_status", "demo": True},
                not_before=due,
                expires_at=due + timedelta(days=14),
                created_at=now,
            )
        )
