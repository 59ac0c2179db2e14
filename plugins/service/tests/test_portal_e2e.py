"""The portal in headless Chromium: sign in through the emailed link (read from a real SMTP
server), file a case with an attachment, see it listed, answer it, rate its resolution."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from crmkit_service.cases.service import change_status

from crmkit import Crm
from crmkit.testing import chromium, require_browser, served

require_browser()
sync_api = pytest.importorskip("playwright.sync_api")

PDF = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"


@pytest.fixture
def crm(relayed_service: Callable[..., Crm]) -> Crm:
    return relayed_service()


@pytest.fixture
def served_at(crm: Crm) -> Iterator[str]:
    with served(crm) as url:
        yield url


@pytest.fixture
def page() -> Iterator[Any]:
    with chromium() as browser:
        yield browser.new_page()


def test_a_customer_signs_in_files_answers_and_rates_a_case(
    crm: Crm, served_at: str, page: Any, new_party: Any, portal: Any, tmp_path: Path
) -> None:
    new_party(emails=["ada@example.org"])
    refused: list[str] = []
    page.on("console", lambda m: refused.append(m.text) if m.type == "error" else None)
    expect = sync_api.expect

    page.goto(f"{served_at}/p/service/portal")
    page.get_by_label("Email address").fill("ada@example.org")
    page.get_by_role("button", name="Email me a sign-in link").click()
    expect(page.get_by_role("status")).to_contain_text("Check your inbox")

    page.goto(served_at + portal.link_in_mail(crm, "ada@example.org"))
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="My cases")).to_be_visible()

    page.get_by_role("link", name="New case", exact=True).click()
    page.get_by_label("What is it about?").select_option("incident")
    page.get_by_label("Subject").fill("The boiler makes a noise")
    page.get_by_label("Describe it").fill("Since Monday it knocks at night.")
    invoice = tmp_path / "invoice.pdf"
    invoice.write_bytes(PDF)
    page.get_by_label("Attach files").set_input_files(str(invoice))
    page.get_by_role("button", name="File the case").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("The boiler makes a noise")
    expect(page.get_by_role("link", name="invoice.pdf")).to_be_visible()
    case_id = int(page.url.rsplit("/", 1)[1])

    page.get_by_role("link", name="My cases", exact=True).click()
    expect(page.get_by_role("cell", name="The boiler makes a noise")).to_be_visible()
    page.get_by_role("row", name="The boiler makes a noise").get_by_role("link").click()

    page.get_by_label("Your message").fill("It also smells of gas.")
    page.get_by_role("button", name="Send", exact=True).click()
    expect(page.get_by_text("It also smells of gas.")).to_be_visible()

    with crm.transaction() as tx:
        change_status(tx, case_id, "resolved", root_cause="leak", resolution="Sealed the valve.")
    page.reload()
    expect(page.get_by_text("Sealed the valve.").first).to_be_visible()
    page.get_by_label("4", exact=True).check()
    page.get_by_label("Comment (optional)").fill("Quick and friendly")
    page.get_by_role("button", name="Send rating").click()
    expect(page.get_by_role("status")).to_contain_text("You rated this resolution 4 out of 5")

    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", name="You are signed out")).to_be_visible()
    page.goto(f"{served_at}/p/service/portal/cases/{case_id}")
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    assert refused == []
