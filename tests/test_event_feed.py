"""The event feed: committed events in id order, after a cursor, about what the caller may see."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import ExitStack
from typing import Any

import pytest

from crmkit.app import Crm
from crmkit.core.actors import Actor
from crmkit.core.db import transaction
from crmkit.core.event_feed import PARTY_ENTITIES


def feed(client: Any, **params: Any) -> dict[str, Any]:
    response = client.get("/api/v1/events", params=params)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def read_all(client: Any, limit: int = 3, **params: Any) -> list[dict[str, Any]]:
    events, cursor = [], None
    while True:
        page = feed(client, limit=limit, **params, **({"after": cursor} if cursor else {}))
        events += page["items"]
        if not page["items"]:
            return events
        cursor = page["next_cursor"]


def test_an_admin_reads_every_event_in_order_page_by_page(
    world: Any, client_as: Callable[[Actor], Any]
) -> None:
    with client_as(world.actors["ada"]) as client:
        events = read_all(client)
        everything = feed(client, limit=500)["items"]
    assert events == everything
    ids = [e["id"] for e in events]
    assert ids == sorted(ids) and len(ids) == len(set(ids))
    kinds = {e["type"] for e in events}
    assert {"user.created", "prospect.created", "customer.created", "interaction.logged"} <= kinds


def test_the_cursor_continues_after_the_last_event_read(
    crm: Crm, world: Any, client_as: Callable[[Actor], Any]
) -> None:
    with client_as(world.actors["ada"]) as client:
        end = feed(client, limit=500)["next_cursor"]
        with crm.transaction() as tx:
            tx.emit("party.imported", None, None, {"rows": 3})
        page = feed(client, after=end)
        assert [e["type"] for e in page["items"]] == ["party.imported"]
        assert feed(client, after=page["next_cursor"])["items"] == []


def test_types_filter_the_feed(world: Any, client_as: Callable[[Actor], Any]) -> None:
    with client_as(world.actors["ada"]) as client:
        one = read_all(client, type="customer.created")
        two = read_all(client, type="customer.created,prospect.created")
        repeated = feed(client, type=["customer.created", "prospect.created"], limit=500)
    assert {e["type"] for e in one} == {"customer.created"}
    assert len(one) == sum(role == "customer" for role in world.roles.values())
    assert {e["type"] for e in two} == {"customer.created", "prospect.created"}
    assert repeated["items"] == two


@pytest.mark.parametrize("name", ["sam", "sue", "sid", "mia", "max", "rob"])
def test_a_user_gets_only_the_events_about_parties_and_interactions_they_may_see(
    world: Any, client_as: Callable[[Actor], Any], name: str
) -> None:
    with client_as(world.actors[name]) as client:
        events = read_all(client, limit=5)
    about = {int(e["entity_id"]) for e in events if e["entity"] in PARTY_ENTITIES}
    assert about == world.visible_ids(name)
    items = {int(e["entity_id"]) for e in events if e["entity"] == "interaction"}
    may_read_timelines = world.actors[name].role != "marketing"
    seen = world.sees[name] if may_read_timelines else set()
    assert items == {world.interactions[p] for p in seen}
    others = {e["entity"] for e in events} - {*PARTY_ENTITIES, "interaction"}
    assert others == set(), "users, tasks and notifications are for webhook administrators"


def test_bad_parameters_are_a_422_naming_them(
    world: Any, client_as: Callable[[Actor], Any]
) -> None:
    with client_as(world.actors["ada"]) as client:
        for params, field in (
            ({"after": "not-a-cursor"}, "after"),
            ({"limit": "0"}, "limit"),
            ({"limit": "501"}, "limit"),
            ({"since": "1"}, "since"),
        ):
            response = client.get("/api/v1/events", params=params)
            assert response.status_code == 422, response.text
            assert field in response.json()["detail"]


def test_the_feed_waits_for_an_earlier_event_still_being_committed(
    crm: Crm, world: Any, client_as: Callable[[Actor], Any]
) -> None:
    if crm.engine.dialect.name != "postgresql":
        pytest.skip("SQLite writers take turns: an earlier id cannot commit after a later one")
    with client_as(world.actors["ada"]) as client:
        start = feed(client, limit=500)["next_cursor"]
        with ExitStack() as open_transaction:
            slow = open_transaction.enter_context(transaction(crm.engine, crm.host, app=crm))
            slow.emit("party.imported", None, None, {"rows": 1})
            with crm.transaction() as tx:
                tx.emit("party.imported", None, None, {"rows": 2})
            waiting = feed(client, after=start)
            assert waiting["items"] == [] and waiting["next_cursor"] == start
        done = feed(client, after=start)
    assert [e["payload"]["rows"] for e in done["items"]] == [1, 2]
