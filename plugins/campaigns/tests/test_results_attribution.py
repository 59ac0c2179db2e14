"""Conversions, attributed revenue (first touch, last touch, linear) and ROI, with sfa loaded.

The numbers are worked out by hand in each test's comments.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from crmkit_campaigns.campaigns import sending
from crmkit_campaigns.campaigns.tables import member
from crmkit_campaigns.results.attribution import refresh_conversions
from crmkit_campaigns.results.links import member_token
from crmkit_campaigns.results.report import campaign_results
from crmkit_sfa import opportunity_table, order_table
from sqlalchemy import insert, select, update

from crmkit import Actor, Crm, convert_prospect, metadata, record_consent, utcnow

NOW = utcnow()


def day(n: int) -> datetime:
    return NOW + timedelta(days=n)


def touch(crm: Crm, member_ids: list[int], at: datetime) -> None:
    """The members' emails went out at ``at``."""
    with crm.transaction() as tx:
        tx.conn.execute(
            update(member)
            .where(member.c.id.in_(member_ids))
            .values(status="sent", queued_at=at, sent_at=at)
        )


def won(crm: Crm, party_id: int, amount: str, at: datetime, currency: str = "EUR") -> int:
    """A won opportunity of the party; its id."""
    with crm.transaction() as tx:
        return int(
            tx.conn.execute(
                insert(opportunity_table)
                .values(
                    party_id=party_id,
                    pipeline="default",
                    stage="won",
                    status="won",
                    title="Deal",
                    amount=Decimal(amount),
                    currency=currency,
                    probability=100,
                    products=[],
                    contacts=[],
                    milestones=[],
                    stage_entered_at=at,
                    closed_at=at,
                    custom={},
                    version=1,
                    created_at=at,
                    updated_at=at,
                )
                .returning(opportunity_table.c.id)
            ).scalar_one()
        )


def ordered(crm: Crm, party_id: int, amount: str, at: datetime, currency: str = "EUR") -> None:
    """An order of the party from a won opportunity of the same amount (counted once)."""
    # sfa exports no quotation table (campaigns reads none), but an order needs one.
    quotation = metadata.tables["sfa_quotation"]

    opportunity_id = won(crm, party_id, amount, at, currency)
    money = {"total_net": Decimal(amount), "total_tax": Decimal(0), "total_gross": Decimal(amount)}
    with crm.transaction() as tx:
        quotation_id = tx.conn.execute(
            insert(quotation)
            .values(
                number=f"Q-{opportunity_id}",
                version=1,
                opportunity_id=opportunity_id,
                party_id=party_id,
                status="accepted",
                valid_until=at.date(),
                currency=currency,
                created_at=at,
                updated_at=at,
                **money,
            )
            .returning(quotation.c.id)
        ).scalar_one()
        tx.conn.execute(
            insert(order_table).values(
                number=f"O-{opportunity_id}",
                quotation_id=quotation_id,
                opportunity_id=opportunity_id,
                party_id=party_id,
                currency=currency,
                placed_at=at,
                **money,
            )
        )


@pytest.fixture
def sales_crm(make_campaigns: Any, crm: Crm) -> Crm:
    """The same database with sfa loaded."""
    return make_campaigns(sfa=True)


def results(crm: Crm, campaign_id: int, actor: Actor) -> dict[str, Any]:
    with crm.transaction(actor) as tx:
        return campaign_results(tx, campaign_id)


def by_currency(found: dict[str, Any]) -> dict[str, Any]:
    return {row["currency"]: row for row in found["revenue"]}


@pytest.fixture
def world(sales_crm: Crm, new_party: Any, results_kit: Any, staff: Any) -> dict[str, int]:
    """Campaign A touched Ada, Bob and Cleo 60 days ago; campaign B touched Ada 30 days ago.

    Cleo (Paris) is owned by the FR-75 rep: the manager of DE-10 does not see her.
    """
    ada = new_party(emails=["ada@example.org"])
    bob = new_party(first_name="Bob", emails=["bob@example.org"])
    cleo = new_party(
        first_name="Cleo",
        emails=["cleo@example.org"],
        owner_id=staff.outsider.user_id,
        addresses=[
            {"street": "Rue de Rivoli 1", "postcode": "75001", "city": "Paris", "country": "FR"}
        ],
    )
    spring = results_kit.campaign(name="Spring", budget=Decimal("550.00"))
    autumn = results_kit.campaign(name="Autumn")
    touch(sales_crm, results_kit.members(spring, [ada, bob, cleo]), day(-60))
    touch(sales_crm, results_kit.members(autumn, [ada]), day(-30))
    won(sales_crm, ada, "5000.00", day(-200))  # before any touch: nobody's
    won(sales_crm, ada, "1000.00", day(-10))  # A and B
    ordered(sales_crm, bob, "300.00", day(-20))  # A alone, the order and its opportunity once
    ordered(sales_crm, ada, "200.00", day(-5), currency="USD")  # A and B, in dollars
    won(sales_crm, bob, "700.00", day(35))  # 95 days after A's touch: out of the window
    won(sales_crm, cleo, "400.00", day(-10))  # A alone
    return {"ada": ada, "bob": bob, "cleo": cleo, "spring": spring, "autumn": autumn}


def test_revenue_is_credited_by_first_touch_last_touch_and_linear_per_currency(
    sales_crm: Crm, world: dict[str, int], staff: Any
) -> None:
    spring = by_currency(results(sales_crm, world["spring"], staff.marketer))
    # EUR: Ada's 1000 (A first, B last, half each), Bob's 300 and Cleo's 400 (A alone).
    assert spring["EUR"]["revenue"] == {
        "first_touch": "1700.00",
        "last_touch": "700.00",
        "linear": "1200.00",
    }
    # USD: Ada's 200 order, kept apart from the euros.
    assert spring["USD"]["revenue"] == {
        "first_touch": "200.00",
        "last_touch": "0.00",
        "linear": "100.00",
    }
    autumn = by_currency(results(sales_crm, world["autumn"], staff.marketer))
    assert autumn["EUR"]["revenue"] == {
        "first_touch": "0.00",
        "last_touch": "1000.00",
        "linear": "500.00",
    }
    assert autumn["USD"]["revenue"] == {
        "first_touch": "0.00",
        "last_touch": "200.00",
        "linear": "100.00",
    }


def test_roi_per_campaign_and_channel_and_the_budget(
    sales_crm: Crm, world: dict[str, int], staff: Any, client_as: Any
) -> None:
    client = client_as(staff.marketer)
    url = f"/p/campaigns/campaigns/{world['spring']}/costs"
    assert client.post(url, json={"amount": "500.00", "channel": "email"}).status_code == 201
    assert client.post(url, json={"amount": "100", "note": "design"}).status_code == 201
    found = results(sales_crm, world["spring"], staff.marketer)
    eur = by_currency(found)["EUR"]
    # Cost 600: (1700 - 600) / 600, (700 - 600) / 600, (1200 - 600) / 600.
    assert eur["cost"] == "600.00"
    assert eur["roi"] == {"first_touch": "1.8333", "last_touch": "0.1667", "linear": "1.0000"}
    assert by_currency(found)["USD"]["roi"] == dict.fromkeys(
        ("first_touch", "last_touch", "linear")
    )
    channels = {
        c["channel"]: {r["currency"]: r for r in c["currencies"]} for c in found["by_channel"]
    }
    # Email: all the revenue against its own 500; the design cost belongs to no channel.
    assert channels["email"]["EUR"]["roi"]["first_touch"] == "2.4000"
    assert channels["none"]["EUR"]["roi"]["first_touch"] == "-1.0000"
    assert (found["budget"], found["spent"], found["over_budget"]) == ("550.00", "600.00", True)


def test_results_count_only_what_the_reader_sees(
    sales_crm: Crm, world: dict[str, int], staff: Any, client_as: Any, new_user: Any
) -> None:
    with sales_crm.transaction() as tx:
        refresh_conversions(tx, world["spring"])
    # Without Cleo's 400 and her membership.
    seen = results(sales_crm, world["spring"], staff.manager)
    assert by_currency(seen)["EUR"]["revenue"]["first_touch"] == "1300.00"
    assert seen["members"]["total"] == 2
    [total] = [r for r in seen["funnel"] if r["channel"] is None]
    assert (total["targeted"], total["sent"], total["converted"]) == (2, 2, 2)
    assert (total["rates"]["sent"], total["rates"]["converted"], total["rates"]["opened"]) == (
        "1.0000",
        "1.0000",
        "0.0000",
    )
    answer = client_as(staff.manager).get(f"/p/campaigns/campaigns/{world['spring']}/results")
    assert answer.status_code == 200 and answer.json()["members"]["total"] == 2
    stranger = new_user("pat", "partner")
    assert (
        client_as(stranger).get(f"/p/campaigns/campaigns/{world['spring']}/results").status_code
        == 403
    )
    everything = results(sales_crm, world["spring"], staff.marketer)
    assert everything["members"]["by_status"] == {"converted": 3}


def test_members_convert_on_the_first_conversion_within_the_window(
    sales_crm: Crm, world: dict[str, int]
) -> None:
    with sales_crm.transaction() as tx:
        refresh_conversions(tx, world["spring"])
        refresh_conversions(tx, world["autumn"])
    with sales_crm.read() as conn:
        rows = {(r.campaign_id, r.party_id): r for r in conn.execute(select(member)).all()}
    ada_spring = rows[(world["spring"], world["ada"])]
    assert ada_spring.status == "converted"
    assert abs(ada_spring.converted_at - day(-10)) < timedelta(seconds=1)
    assert abs(rows[(world["spring"], world["bob"])].converted_at - day(-20)) < timedelta(seconds=1)
    assert rows[(world["autumn"], world["ada"])].status == "converted"


def test_a_shorter_window_credits_less(
    make_campaigns: Any, world: dict[str, int], staff: Any
) -> None:
    short = make_campaigns(sfa=True, campaigns={"results": {"attribution_days": 45}})
    # B's touch (30 days before) reaches Ada's 1000; A's (60 days old) only Bob's order 40
    # days later, not Ada's or Cleo's 50 days later.
    spring = by_currency(results(short, world["spring"], staff.marketer))
    assert spring["EUR"]["revenue"] == dict.fromkeys(
        ("first_touch", "last_touch", "linear"), "300.00"
    )
    assert spring["EUR"]["cost"] == "0.00"
    autumn = by_currency(results(short, world["autumn"], staff.marketer))
    assert autumn["EUR"]["revenue"]["first_touch"] == "1000.00"


def test_a_responding_prospect_who_becomes_a_customer_converts_the_member(
    sales_crm: Crm, new_party: Any, results_kit: Any, staff: Any, client_as: Any
) -> None:
    lead = new_party(role="prospect")
    campaign_id = results_kit.campaign()
    [lead_m] = results_kit.members(campaign_id, [lead])
    touch(sales_crm, [lead_m], day(-1))
    answer = client_as(staff.marketer).post(
        f"/p/campaigns/campaigns/{campaign_id}/responses",
        json={"token": member_token(sales_crm, lead_m)},
    )
    assert answer.status_code == 201
    with sales_crm.transaction() as tx:
        refresh_conversions(tx, campaign_id)
    with sales_crm.read() as conn:
        assert (
            conn.execute(select(member.c.status).where(member.c.id == lead_m)).scalar()
            == "responded"
        )
    with sales_crm.transaction() as tx:
        convert_prospect(tx, lead)
        refresh_conversions(tx, campaign_id)
    with sales_crm.read() as conn:
        assert (
            conn.execute(select(member.c.status).where(member.c.id == lead_m)).scalar()
            == "converted"
        )
    found = results(sales_crm, campaign_id, staff.marketer)
    assert found["conversions"] == 1 and found["revenue"] == []


def test_a_member_suppressed_at_send_is_no_touch_and_never_converts(
    sales_crm: Crm, new_party: Any, results_kit: Any, staff: Any
) -> None:
    bob = new_party(first_name="Bob", emails=["bob@example.org"])
    campaign_id = results_kit.campaign()
    [bob_m] = results_kit.members(campaign_id, [bob])
    with sales_crm.transaction() as tx:
        # Withdrawn after targeting: the send job suppresses Bob's email.
        record_consent(tx, bob, "marketing", "email", "withdrawn", source="test")
    sending.send_due(sales_crm)
    with sales_crm.read() as conn:
        suppressed = conn.execute(select(member).where(member.c.id == bob_m)).one()
    assert (suppressed.status, suppressed.queued_at) == ("suppressed", None)

    won(sales_crm, bob, "500.00", utcnow())
    assert sales_crm.jobs.run("campaigns.track").ok

    with sales_crm.read() as conn:
        after = conn.execute(select(member).where(member.c.id == bob_m)).one()
    assert (after.status, after.converted_at) == ("suppressed", None)
    found = results(sales_crm, campaign_id, staff.marketer)
    assert found["conversions"] == 0 and found["revenue"] == []


def test_a_suppressed_member_stored_with_a_queued_at_is_still_no_touch(
    sales_crm: Crm, new_party: Any, results_kit: Any, staff: Any
) -> None:
    # As the send job stored suppressed members before: queued_at set.
    bob = new_party(first_name="Bob", emails=["bob@example.org"])
    campaign_id = results_kit.campaign()
    [bob_m] = results_kit.members(campaign_id, [bob])
    with sales_crm.transaction() as tx:
        tx.conn.execute(
            update(member)
            .where(member.c.id == bob_m)
            .values(status="suppressed", queued_at=day(-2))
        )
    won(sales_crm, bob, "500.00", day(-1))

    with sales_crm.transaction() as tx:
        refresh_conversions(tx, campaign_id)
    found = results(sales_crm, campaign_id, staff.marketer)

    assert found["conversions"] == 0 and found["revenue"] == []
    assert found["members"]["by_status"] == {"suppressed": 1}


def test_revenue_is_always_written_with_two_decimals(
    sales_crm: Crm, world: dict[str, int], staff: Any, client_as: Any
) -> None:
    # A cost in a currency without revenue: its revenue is 0.00, never "0".
    url = f"/p/campaigns/campaigns/{world['autumn']}/costs"
    assert (
        client_as(staff.marketer).post(url, json={"amount": "10", "currency": "CHF"}).status_code
        == 201
    )
    chf = by_currency(results(sales_crm, world["autumn"], staff.marketer))["CHF"]
    assert chf["revenue"] == dict.fromkeys(("first_touch", "last_touch", "linear"), "0.00")
