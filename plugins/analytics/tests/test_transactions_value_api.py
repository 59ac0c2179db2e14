"""The nightly lifetime value job over the stored purchases, and a party's value through
``GET /p/analytics/parties/{id}/value`` under the record rules."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
from crmkit_analytics import Purchase
from crmkit_analytics.transactions import service
from crmkit_analytics.transactions.clv import simulate
from crmkit_analytics.transactions.feed import add_purchases
from crmkit_analytics.transactions.tables import clv
from sqlalchemy import select

from crmkit import Crm
from crmkit.testing import invoke

from .conftest import PartyMaker, Staff

NOW = datetime(2026, 6, 1, 3, 0, tzinfo=UTC)


def shop(crm: Crm, new_party: PartyMaker, customers: int = 60) -> list[int]:
    """``customers`` parties with two years of purchases drawn from BG/NBD."""
    parties = [
        new_party(first_name=f"Kunde{i}", emails=[f"k{i}@example.org"]) for i in range(customers)
    ]
    ids, t, amount = simulate(
        np.random.default_rng(9),
        customers,
        r=2.0,
        alpha=20.0,
        a=1.5,
        b=6.0,
        p=5.0,
        q=4.0,
        v=80.0,
        observe_days=720.0,
    )
    start = NOW - timedelta(days=730)
    lines = [
        Purchase(
            party_id=parties[who - 1],
            occurred_at=start + timedelta(days=day),
            amount=round(paid, 2),
            order_ref=f"shop:{who}:{index}",
        )
        for index, (who, day, paid) in enumerate(
            zip(ids.tolist(), t.tolist(), amount.tolist(), strict=True)
        )
    ]
    with crm.transaction() as tx:
        add_purchases(tx.conn, "shop", lines)
    return parties


def stored(crm: Crm) -> list[tuple[Any, ...]]:
    with crm.read() as conn:
        rows = conn.execute(
            select(clv.c.party_id, clv.c.frequency, clv.c.p_alive, clv.c.clv).order_by(
                clv.c.party_id
            )
        )
        return [tuple(row) for row in rows]


def test_the_job_values_every_buyer_once_and_the_api_shows_what_the_actor_may_see(
    crm: Crm, staff: Staff, new_party: PartyMaker, client_as: Callable[..., Any]
) -> None:
    parties = shop(crm, new_party)
    done = service.refresh(crm, now=NOW)
    assert done.customers == 60 and done.parameters is not None
    first = stored(crm)
    assert [row[0] for row in first] == sorted(parties)
    assert all(0.0 <= row[2] <= 1.0 and row[3] >= 0.0 for row in first)
    assert service.refresh(crm, now=NOW).customers == 60  # again: the same rows, not twice
    assert stored(crm) == first

    anna = parties[0]
    seen = client_as(staff.manager).get(f"/p/analytics/parties/{anna}/value")
    assert seen.status_code == 200, seen.text
    body = seen.json()
    assert body["party_id"] == anna and body["horizon_days"] == 365
    assert {"expected_purchases_90d", "p_alive", "expected_spend", "clv", "fitted_at"} <= set(body)
    # A party the sales rep of another territory does not see is not there for them.
    hidden = client_as(staff.outsider).get(f"/p/analytics/parties/{anna}/value")
    assert hidden.status_code == 404
    assert client_as(staff.admin).get("/p/analytics/parties/999999/value").status_code == 404
    unvalued = new_party(first_name="Neu", emails=["neu@example.org"])
    missing = client_as(staff.admin).get(f"/p/analytics/parties/{unvalued}/value")
    assert missing.status_code == 404 and "no predicted value" in missing.text
    refused = client_as(staff.admin).get(f"/p/analytics/parties/{anna}/value?x=1")
    assert refused.status_code == 422
    spec = client_as(staff.admin).get("/api/openapi.json").json()
    assert any(path.endswith("/parties/{party_id}/value") for path in spec["paths"])


def test_too_few_customers_fit_nothing_and_keep_the_last_values(
    crm: Crm, new_party: PartyMaker, buy: Callable[..., int]
) -> None:
    anna = new_party()
    buy(anna, "2026-01-05", 10.0)
    buy(anna, "2026-02-05", 10.0)
    done = service.refresh(crm, now=NOW)
    assert done.customers == 0 and "fewer than the 20" in done.reason
    assert stored(crm) == []


def test_the_job_runs_from_the_command_line(crm: Crm, new_party: PartyMaker) -> None:
    shop(crm, new_party, customers=30)
    result = invoke(crm, "jobs", "run", "analytics.clv")
    assert result.exit_code == 0, result.output
    assert len(stored(crm)) == 30
