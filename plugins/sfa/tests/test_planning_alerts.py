"""Reminders and alerts: raised once per condition, as notifications naming the next action."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import pytest
from crmkit_sfa.pipeline.tables import activity
from crmkit_sfa.planning.periods import period_of
from crmkit_sfa.planning.targets import create_target
from sqlalchemy import update

from crmkit import Actor, Crm, Event, Settings, erase_party, hookimpl, utcnow
from crmkit.testing import http_client, register_plugin

if TYPE_CHECKING:
    from conftest import PartyMaker, SalesRows, SalesTeam

NOW = utcnow()
TODAY = NOW.date()


class Inbox:
    """The notifications a channel plugin would deliver, as they are announced."""

    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []

    @hookimpl
    def on_event(self, event: Event) -> None:
        if event.type == "core.notification_created":
            self.received.append(event.payload)

    def of(self, user_id: int | None) -> list[dict[str, Any]]:
        return [n for n in self.received if n["user_id"] == user_id]


@pytest.fixture
def inbox() -> Inbox:
    return Inbox()


@pytest.fixture
def watched(crm: Crm, make_crm: Callable[..., Crm], inbox: Inbox) -> Crm:
    """The test's CRM (same database) with a plugin listening for notifications."""
    return make_crm(plugins=["sfa", register_plugin(inbox, name="inbox")], create_tables=False)


def remind(crm: Crm) -> None:
    assert crm.jobs.run("sfa.raise_reminders").ok


def test_overdue_activity_is_raised_once_to_its_owner(
    rows: SalesRows, team: SalesTeam, watched: Crm, inbox: Inbox
) -> None:
    seller = team.seller.user_id
    rows.activity(seller, NOW - timedelta(hours=2), kind="call", subject="Call Anna back")
    rows.activity(seller, NOW + timedelta(hours=2), subject="Not due yet")
    rows.activity(seller, NOW - timedelta(days=3), subject="Done already", status="done")
    rows.activity(None, NOW - timedelta(days=3), subject="Nobody's")
    remind(watched)
    remind(watched)
    [sent] = inbox.of(seller)
    assert sent["title"] == "Overdue call: Call Anna back"
    assert sent["kind"] == "warning" and sent["source"] == "sfa"
    assert 'Next action: do the call "Call Anna back"' in sent["body"]
    assert len(inbox.received) == 1


def test_rescheduled_activity_overdue_again_is_raised_again(
    crm: Crm, rows: SalesRows, team: SalesTeam, watched: Crm, inbox: Inbox
) -> None:
    call = rows.activity(team.seller.user_id, NOW - timedelta(days=2))
    remind(watched)
    with crm.transaction() as tx:
        tx.conn.execute(
            update(activity).where(activity.c.id == call).values(due_at=NOW - timedelta(hours=1))
        )
    remind(watched)
    assert len(inbox.of(team.seller.user_id)) == 2


def test_overdue_activity_handed_to_someone_else_is_raised_to_them_too(
    crm: Crm, rows: SalesRows, team: SalesTeam, watched: Crm, inbox: Inbox
) -> None:
    call = rows.activity(team.seller.user_id, NOW - timedelta(hours=2))
    remind(watched)
    with crm.transaction() as tx:
        handed_over = update(activity).where(activity.c.id == call)
        tx.conn.execute(handed_over.values(owner_id=team.territory_seller.user_id))
    remind(watched)
    assert len(inbox.of(team.seller.user_id)) == len(inbox.of(team.territory_seller.user_id)) == 1


def test_deal_stuck_longer_than_its_stages_norm_names_the_way_on(
    rows: SalesRows, team: SalesTeam, watched: Crm, inbox: Inbox
) -> None:
    seller = team.seller.user_id
    # The classic pipeline: qualification's norm is 21 days, then "RFP received".
    rows.opportunity(seller, title="Vans", stage_entered_at=NOW - timedelta(days=30))
    planned = rows.opportunity(seller, title="Cars", stage_entered_at=NOW - timedelta(days=25))
    rows.activity(
        seller, NOW + timedelta(days=1), opportunity_id=planned, subject="Demo", kind="visit"
    )
    rows.opportunity(seller, title="Fresh", stage_entered_at=NOW - timedelta(days=20))
    rows.opportunity(None, title="Nobody's", stage_entered_at=NOW - timedelta(days=30))
    remind(watched)
    sent = {n["title"]: n for n in inbox.of(seller)}
    assert set(sent) == {
        "Vans has been in Qualification for 30 days (norm 21)",
        "Cars has been in Qualification for 25 days (norm 21)",
    }
    vans = sent["Vans has been in Qualification for 30 days (norm 21)"]
    assert vans["body"] == (
        "Next action: plan the next step to move it on to RFP received, or close it as lost"
    )
    cars = sent["Cars has been in Qualification for 25 days (norm 21)"]
    assert (
        cars["body"] == 'Next action: do the planned visit "Demo", then move it on to RFP received'
    )
    assert cars["link"] == f"/p/sfa/opportunities/{planned}/page"


def test_passed_close_date_is_raised_once(
    rows: SalesRows, team: SalesTeam, watched: Crm, inbox: Inbox
) -> None:
    seller = team.seller.user_id
    yesterday = TODAY - timedelta(days=1)
    rows.opportunity(seller, title="Late", expected_close=yesterday)
    rows.opportunity(seller, title="Today", expected_close=TODAY)
    rows.opportunity(seller, title="Won", expected_close=yesterday, status="won", closed_at=NOW)
    rows.opportunity(None, title="Nobody's", expected_close=yesterday)
    remind(watched)
    remind(watched)
    [sent] = inbox.received
    assert sent["title"] == f"Late was expected to close on {yesterday.isoformat()}"
    assert "agree a new close date" in sent["body"]


def test_long_deal_title_is_shortened_to_fit_a_notification(
    rows: SalesRows, team: SalesTeam, watched: Crm, inbox: Inbox
) -> None:
    rows.opportunity(team.seller.user_id, title="x" * 300, expected_close=TODAY - timedelta(days=1))
    remind(watched)
    [sent] = inbox.received
    assert len(sent["title"]) == 300 and sent["title"].endswith("…")


def run_rate_crm(make_crm: Callable[..., Crm], inbox: Inbox) -> Crm:
    settings = Settings(plugin_settings={"sfa": {"planning": {"run_rate_after_percent": 0}}})
    listener = register_plugin(inbox, name="inbox")
    return make_crm(plugins=["sfa", listener], settings=settings, create_tables=False)


def test_run_rate_alert_goes_to_owner_and_manager_with_the_deals_to_close_the_gap(
    crm: Crm, rows: SalesRows, team: SalesTeam, make_crm: Callable[..., Crm], inbox: Inbox
) -> None:
    seller = team.seller.user_id
    year = period_of("year", TODAY)
    rows.order(seller, NOW, {"vans": "100.00"})
    rows.opportunity(seller, "500.00", title="Small sure deal", probability=90)
    rows.opportunity(seller, "100000.00", title="Big long shot", probability=20)
    rows.opportunity(seller, "999.00", title="Next year", probability=99, expected_close=year.end)
    with crm.transaction() as tx:
        create_target(
            tx,
            {
                "scope": "user",
                "scope_key": str(seller),
                "period": year.key,
                "value": "1000000",
                "currency": "EUR",
            },
        )
        create_target(  # met already: no alert
            tx,
            {
                "scope": "team",
                "scope_key": "north",
                "period": year.key,
                "value": "50",
                "currency": "EUR",
                "owner_id": team.manager.user_id,
            },
        )
    watched = run_rate_crm(make_crm, inbox)
    assert watched.jobs.run("sfa.check_run_rates").ok
    assert watched.jobs.run("sfa.check_run_rates").ok
    [to_seller] = inbox.of(seller)
    [to_manager] = inbox.of(team.manager.user_id)
    assert to_seller == {**to_manager, "id": to_seller["id"], "user_id": seller}
    assert (
        to_seller["title"] == f"At this pace the {year.key} target of user {seller} will be missed"
    )
    assert to_seller["body"].startswith("Sold 100.00 EUR of 1,000,000.00 EUR (0.0%)")
    assert to_seller["body"].endswith(
        "Next action: work the deals most likely to close the gap: "
        "Small sure deal (90%, 500.00 EUR); Big long shot (20%, 100,000.00 EUR)"
    )
    assert inbox.of(team.outsider.user_id) == []


def test_erasing_a_party_withdraws_the_reminders_that_name_it(
    crm: Crm,
    crm_as: Callable[[Actor], Crm],
    new_party: PartyMaker,
    rows: SalesRows,
    team: SalesTeam,
) -> None:
    seller = team.seller.user_id
    assert seller is not None
    other = new_party(owner_id=seller)
    rows.activity(seller, NOW - timedelta(hours=2), subject="Call Anna Berg back")
    rows.opportunity(seller, title="Berg kitchen", expected_close=TODAY - timedelta(days=3))
    rows.activity(seller, NOW - timedelta(hours=2), subject="Call Otto Kern", party_id=other)
    remind(crm)
    inbox = http_client(crm_as(team.seller))
    assert len(inbox.get("/api/v1/notifications").json()["items"]) == 3

    with crm.transaction() as tx:
        erase_party(tx, rows.party_id)

    left = inbox.get("/api/v1/notifications").json()["items"]
    assert [n["title"] for n in left] == ["Overdue call: Call Otto Kern"]
    feed = http_client(crm_as(Actor(user_id=None, username="ada", role="admin")))
    events = feed.get("/api/v1/events", params={"limit": 500}).json()["items"]
    announced = [e["payload"] for e in events if e["type"] == "core.notification_created"]
    assert [p.get("title") for p in announced if "title" in p] == [left[0]["title"]]
    assert len(announced) == 3  # the events stay, holding only the notification's id
