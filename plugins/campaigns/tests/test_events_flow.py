"""Events end to end over HTTP with a real SMTP relay: register, confirm by the emailed link,
the ticket's QR code, check-in by staff, attendance on the timeline."""

from __future__ import annotations

import re
from typing import Any

import pytest
from crmkit_campaigns.events.links import checkin_path
from crmkit_campaigns.events.tables import event, registration
from crmkit_campaigns.events.tickets import qr_png
from sqlalchemy import select

from crmkit import Crm, consents_of, timeline

PUBLIC = "/p/campaigns/public/events"


@pytest.fixture
def crm(relayed: Any) -> Crm:
    return relayed()


def _registration(crm: Crm, email: str) -> Any:
    with crm.read() as conn:
        return conn.execute(select(registration).where(registration.c.email == email)).one()


def test_register_confirm_by_email_then_check_in_logs_attendance(
    crm: Crm, desk: Any, anonymous: Any, smtp_relay: Any, client_as: Any, staff: Any
) -> None:
    made = desk.create(name="Heat pumps explained", capacity=10, venue="Hall 3")
    form = anonymous.get(f"{PUBLIC}/{made['slug']}/register")
    assert form.status_code == 200 and "Heat pumps explained" in form.text
    assert "10 seats left" in form.text
    sent = desk.register(
        anonymous, made["slug"], company="Analytical Engines", marketing_consent="on"
    )
    assert sent.status_code == 200 and "check your email" in sent.text, re.findall(
        r"Please check the form[^<]*", sent.text
    )
    pending = _registration(crm, "ada@lovelace.eu")
    assert pending.status == "pending" and pending.party_id is not None

    (request,) = desk.mails_to(smtp_relay, "ada@lovelace.eu")
    assert "Please confirm" in request["Subject"]
    confirm = desk.link(request, "confirm")
    # Opening the link (a mail scanner does) confirms nothing: the button does.
    opened = anonymous.get(confirm)
    assert opened.status_code == 200 and "Confirm my registration" in opened.text
    assert _registration(crm, "ada@lovelace.eu").status == "pending"
    with crm.read() as conn:
        assert not [c for c in consents_of(conn, pending.party_id) if c.purpose == "marketing"]

    token = confirm.partition("t=")[2]
    answer = anonymous.post(f"{PUBLIC}/confirm", data={"t": token})
    assert answer.status_code == 200 and "Your registration is confirmed" in answer.text
    confirmed = _registration(crm, "ada@lovelace.eu")
    assert confirmed.status == "confirmed" and confirmed.holds_seat == 1
    with crm.read() as conn:
        assert conn.execute(select(event.c.seats_taken)).scalar_one() == 1
        (consent,) = [c for c in consents_of(conn, pending.party_id) if c.purpose == "marketing"]
    assert consent.status == "granted" and "confirmed by the link" in (consent.evidence or "")

    _, ticket_mail = desk.mails_to(smtp_relay, "ada@lovelace.eu")
    assert ticket_mail["Subject"] == "Your seat: Heat pumps explained"
    qr = desk.link(ticket_mail, "qr")
    html = ticket_mail.get_body(preferencelist=("html",)).get_content()
    assert f'<img src="https://crm.acme.example{qr.replace("&", "&amp;")}"' in html
    assert f"{PUBLIC}/{made['slug']}/event.ics" in html
    image = anonymous.get(qr)
    assert image.status_code == 200 and image.headers["content-type"] == "image/png"
    checkin_token = qr.partition("t=")[2]
    at_door = checkin_path(made["id"], checkin_token)
    assert image.content == qr_png(f"https://crm.acme.example{at_door}")
    ics = anonymous.get(f"{PUBLIC}/{made['slug']}/event.ics")
    assert ics.status_code == 200 and "SUMMARY:Heat pumps explained" in ics.text

    with client_as(staff.marketer) as door:
        page = door.get(at_door)
        assert page.status_code == 200 and "Ada Lovelace" in page.text
        checked = door.post(
            f"/p/campaigns/events/{made['id']}/check-in-form", data={"token": checkin_token}
        )
        assert checked.status_code == 200 and "Ada Lovelace is checked in" in checked.text, (
            checked.text[-1500:]
        )
        again = door.post(
            f"/p/campaigns/events/{made['id']}/check-in-form", data={"token": checkin_token}
        )
        assert again.status_code == 200 and "already checked in" in again.text
    attended = _registration(crm, "ada@lovelace.eu")
    assert attended.status == "attended" and attended.checked_in_by == staff.marketer.user_id
    with crm.read() as conn:
        entries = [i for i in timeline(conn, pending.party_id).items if i.channel == "event"]
    assert len(entries) == 1
    assert entries[0].outcome == "attended" and entries[0].source == "campaigns"


def test_a_full_event_waitlists_and_a_cancellation_promotes_the_first_waiting(
    crm: Crm, desk: Any, anonymous: Any, smtp_relay: Any
) -> None:
    made = desk.create(capacity=1)
    for first, email in (
        ("Ada", "ada@lovelace.eu"),
        ("Grace", "grace@hopper.eu"),
        ("Alan", "alan@turing.eu"),
    ):
        desk.register(anonymous, made["slug"], first_name=first, email=email)
    for email in ("ada@lovelace.eu", "grace@hopper.eu", "alan@turing.eu"):
        (mail,) = desk.mails_to(smtp_relay, email)
        token = desk.link(mail, "confirm").partition("t=")[2]
        anonymous.post(f"{PUBLIC}/confirm", data={"t": token})
    assert _registration(crm, "ada@lovelace.eu").status == "confirmed"
    assert _registration(crm, "grace@hopper.eu").status == "waitlisted"
    full = anonymous.get(f"{PUBLIC}/{made['slug']}/register")
    assert "This event is full: register to join the waiting list" in full.text
    _, waiting = desk.mails_to(smtp_relay, "alan@turing.eu")
    assert (
        "number 2 on the waiting list" in waiting.get_body(preferencelist=("plain",)).get_content()
    )

    _, ticket = desk.mails_to(smtp_relay, "ada@lovelace.eu")
    cancel = desk.link(ticket, "cancel")
    assert "Cancel my registration" in anonymous.get(cancel).text
    done = anonymous.post(f"{PUBLIC}/cancel", data={"t": cancel.partition("t=")[2]})
    assert done.status_code == 200 and "Your registration is cancelled" in done.text
    assert _registration(crm, "ada@lovelace.eu").status == "cancelled"
    assert _registration(crm, "grace@hopper.eu").status == "confirmed"
    assert _registration(crm, "alan@turing.eu").status == "waitlisted"
    promoted = desk.mails_to(smtp_relay, "grace@hopper.eu")[-1]
    assert (
        "a seat has become free, and it is yours"
        in promoted.get_body(preferencelist=("plain",)).get_content()
    )
    with crm.read() as conn:
        assert conn.execute(select(event.c.seats_taken)).scalar_one() == 1
    # Cancelling twice frees nothing more.
    anonymous.post(f"{PUBLIC}/cancel", data={"t": cancel.partition("t=")[2]})
    assert _registration(crm, "alan@turing.eu").status == "waitlisted"


def test_line_breaks_a_browser_sends_become_escaped_breaks_in_the_calendar_file(
    desk: Any, anonymous: Any
) -> None:
    made = desk.create(
        description="Doors open at 9.\r\nBring your badge;\rcoffee, tea\nand more.",
        venue="Hall 3\r\nMesse Hannover",
    )
    ics = anonymous.get(f"{PUBLIC}/{made['slug']}/event.ics")
    assert ics.status_code == 200
    body = ics.content
    # RFC 5545: every line ends in CRLF; no bare CR or LF anywhere else.
    assert re.search(rb"\r(?!\n)|(?<!\r)\n", body) is None
    unfolded = body.decode().replace("\r\n ", "")
    assert "DESCRIPTION:Doors open at 9.\\nBring your badge\\;\\ncoffee\\, tea\\nand more.\r\n" in (
        unfolded
    )
    assert "LOCATION:Hall 3\\nMesse Hannover\r\n" in unfolded
