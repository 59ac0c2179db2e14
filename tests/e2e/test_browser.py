"""The web UI in a real browser: what a salesperson does on a laptop and on a phone."""

from __future__ import annotations

from typing import Any

import pytest

from crmkit.app import Crm
from crmkit.core.auth import set_password
from crmkit.core.entities import User
from crmkit.core.interactions import build_interaction, log_interaction
from crmkit.core.parties import build_party, create_party
from crmkit.core.users import create_user

PASSWORD = "correct horse battery"
LAPTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}


def seed(crm: Crm) -> int:
    """Sam of sales and a few of Sam's customers; returns the id of Jana Weber (+49 30 1234567)."""
    with crm.transaction() as tx:
        sam = create_user(tx, User(username="sam", display_name="Sam Seller", role="sales"))
        assert sam.id is not None
        set_password(tx, sam.id, PASSWORD)

        def customer(**data: Any) -> int:
            made = create_party(
                tx, build_party("customer", {**data, "owner_id": sam.id}, region="DE")
            )
            assert made.id is not None
            return made.id

        customer(last_name="Schulz", phones=["+49 40 5550001"])
        customer(last_name="Meyer", phones=["+49 89 5550002"])
        jana = customer(first_name="Jana", last_name="Weber", phones=["+49 30 1234567"])
        asked = {
            "party_id": jana,
            "channel": "email",
            "direction": "inbound",
            "subject": "Asked for a quote",
        }
        log_interaction(tx, build_interaction(asked))
    return jana


@pytest.fixture
def site(make_crm: Any, serve: Any) -> tuple[str, int]:
    crm = make_crm()
    jana = seed(crm)
    return serve(crm), jana


def log_in(page: Any, base: str, username: str = "sam") -> None:
    """Through the login form, as a person would."""
    page.goto(f"{base}/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{base}/")


def test_find_caller_by_phone_and_log_the_call(browser, site):
    """Log in, find the caller by the number as they say it, log the call, see it, log out."""
    base, jana = site
    page = browser.new_page(viewport=LAPTOP)

    log_in(page, base)
    page.get_by_role("searchbox", name="Search name, email or phone").fill("030 123 4567")
    page.get_by_role("button", name="Search", exact=True).first.click()
    page.get_by_role("link", name="Jana Weber").click()

    assert page.url == f"{base}/parties/{jana}"
    assert page.get_by_role("heading", name="Jana Weber").is_visible()
    page.get_by_text("Log an interaction").click()
    page.get_by_label("Channel").select_option("phone")
    page.get_by_label("Direction").select_option("inbound")
    page.get_by_label("Subject").fill("Called about the quote")
    page.get_by_label("Outcome").fill("Sends the order")
    page.get_by_role("button", name="Log interaction").click()

    page.wait_for_url(f"{base}/parties/{jana}")
    entries = page.locator("ol.timeline > li")
    assert entries.count() == 2
    assert "Called about the quote" in entries.first.inner_text()
    assert "Asked for a quote" in entries.nth(1).inner_text()

    page.get_by_role("button", name="Log out").click()
    page.goto(f"{base}/parties/{jana}")
    assert page.get_by_role("heading", name="Log in").is_visible()
    page.close()


def test_stale_edit_in_a_second_tab_keeps_the_typed_values(browser, site):
    """Two tabs edit the same customer: the later save gets a conflict, with nothing typed lost."""
    base, jana = site
    context = browser.new_context(viewport=LAPTOP)
    first, second = context.new_page(), context.new_page()
    log_in(first, base)
    for page in (first, second):
        page.goto(f"{base}/parties/{jana}/edit")

    first.get_by_label("Last name").fill("Weber-Hahn")
    first.get_by_role("button", name="Save").click()
    first.wait_for_url(f"{base}/parties/{jana}")
    second.get_by_label("First name").fill("Johanna")
    second.get_by_role("button", name="Save").click()

    assert "Someone else changed this customer" in second.get_by_role("alert").inner_text()
    assert second.get_by_label("First name").input_value() == "Johanna"
    assert second.get_by_label("Last name").input_value() == "Weber"
    second.get_by_role("button", name="Save").click()
    second.wait_for_url(f"{base}/parties/{jana}")
    assert second.get_by_role("heading", name="Johanna Weber").is_visible()
    context.close()


@pytest.mark.parametrize("viewport", [LAPTOP, PHONE], ids=["laptop", "phone"])
def test_pages_fit_the_screen_without_sideways_scrolling(browser, site, viewport):
    base, jana = site
    page = browser.new_page(viewport=viewport)
    log_in(page, base)

    for path in (
        "/",
        "/customers",
        "/prospects",
        f"/parties/{jana}",
        f"/parties/{jana}/edit",
        "/search?q=weber",
    ):
        page.goto(base + path)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= viewport["width"], (path, width)
    page.close()


def test_pages_keep_their_looks_under_the_content_security_policy(browser, site):
    """The browser applies every page's styles and refuses nothing the policy forbids."""
    base, jana = site
    page = browser.new_page(viewport=LAPTOP)
    refused: list[str] = []
    page.on(
        "console",
        lambda message: (
            refused.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    log_in(page, base)

    for path in ("/", "/customers", f"/parties/{jana}", "/work", "/api/docs", "/forms/lead"):
        page.goto(base + path)
        font = page.evaluate("getComputedStyle(document.body).fontFamily")
        assert "system-ui" in font, (path, font)  # the stylesheet applies
    page.close()

    assert refused == []
