"""Offers not accepted by their deadline are routed on by a job that never offers twice."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import timedelta
from typing import Any

import pytest
from crmkit_dms.routing.expiry import route_on_expired
from crmkit_dms.routing.tables import assignment
from sqlalchemy import select, update

from crmkit import Crm, utcnow


def past_deadline(crm: Crm, *ids: int) -> None:
    with crm.transaction() as tx:
        tx.conn.execute(
            update(assignment)
            .where(assignment.c.id.in_(ids))
            .values(accept_by=utcnow() - timedelta(seconds=1))
        )


def rows(crm: Crm) -> list[Any]:
    with crm.read() as conn:
        return list(conn.execute(select(assignment).order_by(assignment.c.id)))


def test_an_offer_past_its_deadline_goes_to_the_next_partner(
    crm: Crm, network: Any, route: Any
) -> None:
    first = route()
    waiting = route(postcode="80331")
    past_deadline(crm, first.id)
    assert route_on_expired(crm) == 1
    assert route_on_expired(crm) == 0
    found = {row.id: row for row in rows(crm)}
    assert (found[first.id].state, found[first.id].reason) == ("expired", "not accepted in time")
    assert found[waiting.id].state == "offered"  # not due: left alone
    (next_offer,) = [row for row in found.values() if row.previous_id == first.id]
    assert next_offer.partner_id not in (None, first.partner_id)
    assert (next_offer.state, next_offer.attempt) == ("offered", 2)


def test_after_the_last_try_the_lead_waits_in_the_fallback_queue(
    make_dms: Any, new_party: Any, network: Any, route: Any, crm: Crm
) -> None:
    first = route(postcode="80331")  # only bayern covers Munich
    past_deadline(crm, first.id)
    route_on_expired(crm)
    (queued,) = [row for row in rows(crm) if row.previous_id == first.id]
    assert (queued.state, queued.partner_id, queued.attempt) == ("unrouted", None, 2)
    assert queued.reason == "every partner covering the lead was tried"


def test_two_runs_at_once_offer_each_lead_once(crm: Crm, network: Any, route: Any) -> None:
    offers = [route() for _ in range(8)] + [route(postcode="80331") for _ in range(4)]
    past_deadline(crm, *(offer.id for offer in offers))
    expired: list[int] = []
    failures: list[BaseException] = []
    start = threading.Barrier(2)

    def run() -> None:
        try:
            start.wait()
            expired.append(route_on_expired(crm))
        except BaseException as error:  # reported below: a thread's exception is otherwise lost
            failures.append(error)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    assert sum(expired) == len(offers)
    found = rows(crm)
    open_per_lead = Counter(row.party_id for row in found if row.closed_at is None)
    assert set(open_per_lead.values()) == {1}
    assert len(open_per_lead) == len(offers)
    assert Counter(row.state for row in found)["expired"] == len(offers)


def test_a_run_that_crashes_midway_leaves_its_batch_to_the_next_run(
    crm: Crm, network: Any, route: Any, monkeypatch: Any
) -> None:
    offers = [route() for _ in range(3)]
    past_deadline(crm, *(offer.id for offer in offers))
    from crmkit_dms.routing import expiry

    real = expiry.route_on
    calls: list[int] = []

    def crash_on_second(tx: Any, closed: Any, now: Any) -> Any:
        calls.append(closed.id)
        if len(calls) == 2:
            raise RuntimeError("the worker was killed")
        return real(tx, closed, now)

    monkeypatch.setattr(expiry, "route_on", crash_on_second)
    with pytest.raises(RuntimeError):
        route_on_expired(crm)
    # Nothing of the batch stayed: no offer expired without its lead offered on.
    assert [row.state for row in rows(crm)] == ["offered"] * 3
    monkeypatch.setattr(expiry, "route_on", real)
    assert route_on_expired(crm) == 3
    open_per_lead = Counter(row.party_id for row in rows(crm) if row.closed_at is None)
    assert sorted(open_per_lead.values()) == [1, 1, 1]
