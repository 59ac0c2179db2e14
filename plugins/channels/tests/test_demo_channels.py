"""The plugin's demo data: templates, emails and text messages in every state, as the log shows them."""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

import phonenumbers
import pytest
from crmkit_channels.stored_templates import list_templates
from crmkit_channels.suppression import address_hash
from crmkit_channels.tables import email, sms
from crmkit_channels.tracking_tables import email_event, suppression
from sqlalchemy import select

from crmkit import Crm, contact_point_table, party_table, utcnow
from crmkit.testing import DEMO_PASSWORD, http_client, seed_demo_data


@pytest.fixture
def demo(make_crm: Any) -> Crm:
    crm: Crm = make_crm(plugins=["channels"])
    seed_demo_data(crm, customers=300, prospects=50, now=utcnow().replace(microsecond=0))
    return crm


def test_demo_messages_go_to_customers_own_addresses_in_every_state(demo: Crm) -> None:
    with demo.read() as conn:
        emails = conn.execute(
            select(email, party_table.c.role, contact_point_table.c.key.label("address"))
            .join(party_table, party_table.c.id == email.c.party_id)
            .join(
                contact_point_table,
                (contact_point_table.c.party_id == email.c.party_id)
                & (contact_point_table.c.kind == "email")
                & (contact_point_table.c.position == 0),
            )
        ).all()
        texts = conn.execute(select(sms)).all()
        events = conn.execute(select(email_event)).all()
        listed = {r.address_hash for r in conn.execute(select(suppression))}
        templates = list_templates(conn, demo.settings_of["channels"])

    assert {e.role for e in emails} == {"customer"}
    assert all(e.recipient == e.address for e in emails)
    assert {"sent", "bounced", "failed", "suppressed"} <= set(Counter(e.status for e in emails))
    assert {e.template for e in emails} == {"newsletter-spring", "order-confirmation"}
    # Every bounced address is suppressed; opens and clicks only of newsletters that arrived.
    assert {address_hash(e.recipient) for e in emails if e.status == "bounced"} <= listed
    status_of = {e.id: e for e in emails}
    for event in events:
        sent = status_of[event.email_id]
        expected = "bounced" if event.kind == "bounce" else "sent"
        assert sent.status == expected and (event.kind == "bounce" or not sent.transactional)
    assert {"open", "click", "bounce"} <= {e.kind for e in events}
    assert texts and {"delivered", "undelivered"} <= {t.status for t in texts}
    assert all(
        phonenumbers.number_type(phonenumbers.parse(t.recipient))
        in (phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE)
        for t in texts
    )
    assert [t.name for t in templates if t.source == "database"] == [
        "newsletter-spring",
        "order-confirmation",
        "visit-reminder",
    ]


def test_the_demo_admin_sees_the_log_and_previews_a_demo_template(demo: Crm) -> None:
    client = http_client(demo)
    form = client.get("/login").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', form)
    assert token is not None
    data = {"username": "admin", "password": DEMO_PASSWORD, "csrf_token": token.group(1)}
    assert client.post("/login", data=data).status_code == 200
    with demo.read() as conn:
        party_id = conn.execute(select(email.c.party_id).limit(1)).scalar_one()
        template_id = next(
            t.id for t in list_templates(conn, demo.settings_of["channels"]) if t.id is not None
        )

    log = client.get("/p/channels/message-log", params={"status": "bounced"})
    page = client.get(f"/p/channels/template-library/{template_id}")
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert csrf is not None
    preview = client.post(
        f"/p/channels/template-library/{template_id}/preview",
        data={
            "csrf_token": csrf.group(1),
            "name": "newsletter-spring",
            "subject": "Spring news for {{ party.first_name or party.name }}",
            "text": "Dear {{ party.name }}: {{ unsubscribe_url }}",
            "party_id": str(party_id),
            "variables": "{}",
        },
    )

    assert log.status_code == 200 and "550 5.1.1" in log.text
    assert preview.status_code == 200, preview.text
    assert "Spring news for" in preview.text and "unsubscribe.invalid" in preview.text
