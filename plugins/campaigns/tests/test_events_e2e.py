"""The public registration page in headless Chromium: register with a session and consent,
confirm by the link from the real SMTP server, see the ticket's QR code."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from crmkit_campaigns.events.tables import registration
from sqlalchemy import select

from crmkit import Crm, utcnow
from crmkit.testing import chromium, require_browser, served

require_browser()
sync_api = pytest.importorskip("playwright.sync_api")


@pytest.fixture
def crm(relayed: Any) -> Crm:
    return relayed()


@pytest.fixture
def served_at(crm: Crm) -> Iterator[str]:
    with served(crm) as url:
        yield url


@pytest.fixture
def page() -> Iterator[Any]:
    with chromium() as browser:
        yield browser.new_page()


def test_a_visitor_registers_confirms_and_sees_the_ticket(
    crm: Crm, desk: Any, served_at: str, page: Any, smtp_relay: Any, client_as: Any, staff: Any
) -> None:
    made = desk.create(capacity=20)
    start = utcnow() + timedelta(days=3)
    with client_as(staff.marketer) as client:
        client.post(
            f"/p/campaigns/events/{made['id']}/sessions",
            json={
                "title": "Hands-on lab",
                "starts_at": start.isoformat(),
                "ends_at": (start + timedelta(hours=1)).isoformat(),
            },
        )
    refused: list[str] = []
    page.on("console", lambda m: refused.append(m.text) if m.type == "error" else None)
    expect = sync_api.expect

    page.goto(f"{served_at}/p/campaigns/public/events/{made['slug']}/register")
    expect(page.get_by_role("heading", name="Heat pumps explained")).to_be_visible()
    page.get_by_label("First name").fill("Ada")
    page.get_by_label("Last name").fill("Lovelace")
    # The browser lets this through (type="email" asks only for an @); the server refuses it.
    page.get_by_label("Email", exact=True).fill("ada@lovelace")
    page.get_by_role("button", name="Register").click()
    expect(page.get_by_role("alert").first).to_contain_text("not a valid email")
    expect(page.get_by_label("Last name")).to_have_value("Lovelace")
    refused.clear()  # the browser reports the refused form's 422 as a console error
    page.get_by_label("Email", exact=True).fill("ada@lovelace.eu")
    page.get_by_label("Hands-on lab").check()
    page.get_by_label("Send me news and offers by email.").check()
    page.get_by_role("button", name="Register").click()
    expect(page.get_by_role("status")).to_contain_text("Please check your email")

    (mail,) = desk.mails_to(smtp_relay, "ada@lovelace.eu")
    page.goto(served_at + desk.link(mail, "confirm"))
    page.get_by_role("button", name="Confirm my registration").click()
    expect(page.get_by_role("status")).to_contain_text("Your registration is confirmed")
    ticket = page.get_by_role("img", name="Your check-in code")
    expect(ticket).to_be_visible()
    # Visible is not loaded: on a busy machine the PNG may still be on its way.
    loaded = "img => img.complete ? img.naturalWidth : new Promise(r => img.onload = () => r(img.naturalWidth))"
    assert ticket.evaluate(loaded) > 100
    assert not refused, refused
    with crm.read() as conn:
        row = conn.execute(select(registration)).one()
    assert row.status == "confirmed" and row.marketing_consent == 1
