"""No API endpoint shows a party or interaction its actor may not see.

The GET routes under ``/api/v1/`` are discovered from the application itself, so
a new endpoint is covered the day it is added, and one this test cannot classify
fails it until someone says how it must be checked.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import pytest
from starlette.routing import BaseRoute, Mount, Route

from crmkit import link_external_id
from crmkit.app import Crm
from crmkit.web.app import create_asgi

PARTY_LISTS = {"/api/v1/customers": "customer", "/api/v1/prospects": "prospect"}
VCARD_LISTS = {"/api/v1/customers/vcard": "customer", "/api/v1/prospects/vcard": "prospect"}
"""The lists as vCards: a card names its party by ``FN`` (``<party name> Leakcheck``)."""
LOOKUP = "/api/v1/lookup"
BY_EXTERNAL_ID = "/api/v1/parties/by-external-id"
"""Each party of the world is linked to the external id ``leakcheck`` / its name."""
REVIEWS = "/api/v1/match-reviews"
"""The review queue names its parties by ``candidate_id`` and ``existing_id``."""
NOT_PARTY_DATA = {
    "/api/v1/health",
    "/api/v1/users",
    "/api/v1/users/{user_id}",
    "/api/v1/users/{user_id}/audit",
}
"""Routes that answer with no party or interaction (users are staff, not customers)."""
OWN_WORK = {"/api/v1/tasks", "/api/v1/notifications"}
"""The actor's own tasks and notifications; that no one sees another's is tested with them."""
WEBHOOKS = {
    "/api/v1/webhooks",
    "/api/v1/webhooks/{webhook_id}",
    "/api/v1/webhooks/{webhook_id}/deliveries",
    "/api/v1/webhooks/deliveries/{delivery_id}",
}
"""For webhook administrators, who see every record; deliveries name events by id only."""
EVENT_FEED = "/api/v1/events"
"""Events name their record by ``entity`` and ``entity_id``."""
PARTY_ROLES = ("prospect", "customer", "party")
PARAMETER = re.compile(r"{(\w+)(?::\w+)?}")


def get_routes(routes: Sequence[BaseRoute], prefix: str = "") -> Iterator[str]:
    """Path templates (``/api/v1/parties/{party_id}``) of every GET route, mounts included."""
    for route in routes:
        if isinstance(route, Mount):
            yield from get_routes(route.routes, prefix + route.path)
        elif isinstance(route, Route) and route.methods and "GET" in route.methods:
            yield PARAMETER.sub(r"{\1}", prefix + route.path)


def mentioned(body: Any) -> tuple[set[int], set[int]]:
    """Ids of the parties and of the interactions anywhere in a JSON answer."""
    parties: set[int] = set()
    interactions: set[int] = set()

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            if value.get("role") in ("prospect", "customer") and isinstance(value.get("id"), int):
                parties.add(value["id"])
            if isinstance(value.get("party_id"), int):
                parties.add(value["party_id"])
                if "channel" in value and "direction" in value and "id" in value:
                    interactions.add(value["id"])
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    walk(body)
    return parties, interactions


@pytest.fixture
def api_routes(crm: Crm) -> list[str]:
    routes = sorted(set(get_routes(create_asgi(crm).routes)))
    return [r for r in routes if r.startswith("/api/v1/")]


def test_every_api_route_is_classified(api_routes: list[str]) -> None:
    for path in api_routes:
        params = set(PARAMETER.findall(path))
        known = (
            path in PARTY_LISTS
            or path in VCARD_LISTS
            or path in (LOOKUP, REVIEWS, BY_EXTERNAL_ID)
            or path in NOT_PARTY_DATA
            or path in OWN_WORK
            or path in WEBHOOKS
            or path == EVENT_FEED
            or params in ({"party_id"}, {"interaction_id"})
        )
        assert known, f"GET {path}: unknown route; classify it in tests/test_no_leaks.py"


def check_answer(response: Any, world: Any, name: str, what: str) -> None:
    """A 200 answer mentions only parties and interactions ``name`` may see."""
    assert response.status_code < 500, f"{what}: {response.text}"
    if response.status_code != 200 or "json" not in response.headers["content-type"]:
        return
    parties, interactions = mentioned(response.json())
    visible = world.visible_ids(name)
    assert parties <= visible, f"{what} shows parties {sorted(parties - visible)}"
    seen_items = set() if world.actors[name].role == "marketing" else world.sees[name]
    allowed = {world.interactions[p] for p in seen_items}
    assert interactions <= allowed, f"{what} shows interactions {sorted(interactions - allowed)}"


@pytest.mark.parametrize("name", ["ada", "mia", "sam", "sue", "sid", "max", "rob"])
def test_no_endpoint_leaks_a_record_the_actor_may_not_see(
    world: Any, client_as: Callable[..., Any], api_routes: list[str], name: str, crm: Crm
) -> None:
    id_of = {pid: party_name for party_name, pid in world.parties.items()}
    with crm.transaction() as tx:
        for party_name, party_id in world.parties.items():
            link_external_id(tx, party_id, "leakcheck", party_name)
    answered = 0
    with client_as(world.actors[name]) as client:
        for path in api_routes:
            params = set(PARAMETER.findall(path))
            if path in PARTY_LISTS:
                role = PARTY_LISTS[path]
                listed = client.get(path, params={"limit": 500})
                check_answer(listed, world, name, f"GET {path}")
                expected = {i for i in world.visible_ids(name) if world.roles[id_of[i]] == role}
                assert {p["id"] for p in listed.json()["items"]} == expected, path
                for query in ("Leakcheck", "555 0000", "example.org"):
                    found = client.get(path, params={"q": query, "limit": 500})
                    check_answer(found, world, name, f"GET {path}?q={query}")
                answered += 1
            elif path in VCARD_LISTS:
                role = VCARD_LISTS[path]
                for query in ({"limit": 500}, {"q": "Leakcheck", "limit": 500}):
                    cards = client.get(path, params=query)
                    assert cards.status_code == 200, f"GET {path}: {cards.text}"
                    shown = set(re.findall(r"^FN:(\S+) Leakcheck\r$", cards.text, re.MULTILINE))
                    expected_names = {n for n in world.sees[name] if world.roles[n] == role}
                    assert shown == expected_names, f"GET {path}?{query}"
            elif path == LOOKUP:
                found = client.get(path, params={"phone": world.shared_phone})
                check_answer(found, world, name, f"GET {path}")
                for party_name in world.parties:
                    one = client.get(path, params={"email": f"{party_name}@example.org"})
                    check_answer(one, world, name, f"GET {path}?email={party_name}@…")
                answered += 1
            elif path == BY_EXTERNAL_ID:
                for party_name, party_id in world.parties.items():
                    found = client.get(
                        path, params={"system": "leakcheck", "external_id": party_name}
                    )
                    if party_name in world.sees[name]:
                        check_answer(found, world, name, f"GET {path} of {party_name}")
                        assert found.json()["id"] == party_id
                        answered += 1
                    else:
                        assert found.status_code == 404, f"GET {path} of {party_name}"
            elif path == REVIEWS:
                queue = client.get(path, params={"limit": 500})
                assert queue.status_code in (200, 403), f"GET {path}: {queue.text}"
                items = queue.json().get("items", []) if queue.status_code == 200 else []
                named = {r[k] for r in items for k in ("candidate_id", "existing_id")}
                assert named <= world.visible_ids(name), f"GET {path} shows {named}"
            elif path == EVENT_FEED:
                events = client.get(path, params={"limit": 500}).json()["items"]
                about = {int(e["entity_id"]) for e in events if e["entity"] in PARTY_ROLES}
                assert about <= world.visible_ids(name), f"GET {path} shows {about}"
                items = {int(e["entity_id"]) for e in events if e["entity"] == "interaction"}
                reads_timelines = world.actors[name].role != "marketing"
                allowed = {world.interactions[p] for p in world.sees[name] if reads_timelines}
                assert items <= allowed, f"GET {path} shows interactions {items - allowed}"
            elif params == {"party_id"}:
                for party_name, party_id in world.parties.items():
                    url = path.replace("{party_id}", str(party_id))
                    response = client.get(url)
                    if party_name in world.sees[name]:
                        check_answer(response, world, name, f"GET {url}")
                        answered += response.status_code == 200
                    else:
                        # 403 would tell the actor that the record exists.
                        assert response.status_code == 404, f"GET {url}: {response.status_code}"
            elif params == {"interaction_id"}:
                for party_name, item_id in world.interactions.items():
                    url = path.replace("{interaction_id}", str(item_id))
                    response = client.get(url)
                    if party_name in world.sees[name]:
                        check_answer(response, world, name, f"GET {url}")
                    else:
                        assert response.status_code == 404, f"GET {url}: {response.status_code}"
    # The test proves something only if the endpoints answered with data.
    assert answered >= len(PARTY_LISTS) + len(world.sees[name])
