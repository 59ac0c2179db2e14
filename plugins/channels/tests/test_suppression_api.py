"""The suppression list over the JSON API: list, add and remove, for whoever administers it."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pytest
from crmkit_channels import EmailMessage, send
from crmkit_channels.suppression import add_suppression, suppress
from crmkit_channels.tracking_tables import suppression
from sqlalchemy import select

from crmkit import SYSTEM, Actor, ConflictError, Crm, audit_history, erase_party

if TYPE_CHECKING:
    from conftest import PersonMaker

URL = "/p/channels/suppressions"
ADMIN = Actor(user_id=None, username="ada", role="admin")
SELLER = Actor(user_id=None, username="sam", role="sales")


def entries(crm: Crm) -> list[tuple[str | None, str, str | None]]:
    with crm.read() as conn:
        query = select(suppression.c.address, suppression.c.reason, suppression.c.detail)
        return [tuple(r) for r in conn.execute(query.order_by(suppression.c.id))]


def transactional_to(crm: Crm, party_id: int) -> str:
    """The state of a transactional email to the party: consent does not hold it back."""
    with crm.transaction(SYSTEM) as tx:
        message = EmailMessage(party_id, "orders", subject="Order", text="7", transactional=True)
        return send(tx, message).status


def test_an_address_added_by_hand_is_listed_sent_nothing_and_sent_again_once_removed(
    crm: Crm, client_as: Callable[[Actor], Any], new_person: PersonMaker
) -> None:
    ada = new_person("Ada.Lovelace@example.org")
    with client_as(ADMIN) as client:
        empty = client.get(URL).json()
        added = client.post(URL, json={"address": " ada.lovelace@EXAMPLE.org ", "detail": "asked"})
        listed = client.get(URL).json()
        held = transactional_to(crm, ada)
        removed = client.delete(f"{URL}/{added.json()['id']}")
        again = client.delete(f"{URL}/{added.json()['id']}")
        after = client.get(URL).json()

    assert empty == {"items": [], "next_cursor": None}
    assert added.status_code == 201, added.text
    entry = added.json()
    assert (entry["address"], entry["reason"], entry["detail"], entry["email_id"]) == (
        "ada.lovelace@EXAMPLE.org",
        "manual",
        "asked",
        None,
    )
    assert listed["items"] == [entry]
    assert held == "suppressed"
    assert removed.status_code == 204 and removed.content == b""
    assert again.status_code == 404
    assert after["items"] == []
    assert transactional_to(crm, ada) == "queued"
    with crm.read() as conn:
        trail = [
            (e.actor_name, e.action)
            for e in audit_history(conn, "channels.suppression", entry["id"])
        ]
    assert trail == [("ada", "deleted"), ("ada", "created")]


def test_the_list_comes_in_pages_newest_first(crm: Crm, client_as: Callable[[Actor], Any]) -> None:
    with client_as(ADMIN) as client:
        ids = [
            client.post(URL, json={"address": f"{name}@example.org"}).json()["id"]
            for name in ("one", "two", "three")
        ]
        first = client.get(URL, params={"limit": 2}).json()
        rest = client.get(URL, params={"limit": 2, "cursor": first["next_cursor"]}).json()
        bad_limit = client.get(URL, params={"limit": 0})
        bad_cursor = client.get(URL, params={"cursor": "nonsense"})

    assert [e["id"] for e in first["items"] + rest["items"]] == ids[::-1]
    assert rest["next_cursor"] is None
    assert (bad_limit.status_code, bad_limit.json()["field"]) == (422, "limit")
    assert (bad_cursor.status_code, bad_cursor.json()["field"]) == (422, "cursor")


def test_an_address_on_the_list_already_is_a_conflict_and_keeps_its_reason(
    crm: Crm, client_as: Callable[[Actor], Any]
) -> None:
    with crm.transaction(SYSTEM) as tx:
        suppress(tx, "ada@example.org", "bounce", "5.1.1 no such user", None)

    with client_as(ADMIN) as client:
        twice = client.post(URL, json={"address": "ADA@example.org", "detail": "again"})

    assert twice.status_code == 409, twice.text
    assert "already" in twice.json()["detail"]
    assert entries(crm) == [("ada@example.org", "bounce", "5.1.1 no such user")]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "address"),
        ({"address": None}, "address"),
        ({"address": 42}, "address"),
        ({"address": "not an address"}, "address"),
        ({"address": "ada@example.org", "detail": 7}, "detail"),
        ({"address": "ada@example.org", "detail": "x" * 1001}, "detail"),
        ({"address": "ada@example.org", "detail": "nul\x00"}, "detail"),
        ({"address": "ada@example.org", "reason": "bounce"}, "reason"),
    ],
)
def test_bad_input_is_refused_naming_the_field_and_adds_nothing(
    crm: Crm, client_as: Callable[[Actor], Any], body: dict[str, Any], field: str
) -> None:
    with client_as(ADMIN) as client:
        refused = client.post(URL, json=body)

    assert refused.status_code == 422, refused.text
    assert refused.headers["content-type"] == "application/problem+json"
    assert refused.json()["field"] == field
    assert entries(crm) == []


def test_only_who_administers_the_list_reads_or_changes_it(
    crm: Crm, client_as: Callable[[Actor], Any]
) -> None:
    with crm.transaction(SYSTEM) as tx:
        suppress(tx, "ada@example.org", "complaint", None, None)
    [entry_id] = [e["id"] for e in client_as(ADMIN).get(URL).json()["items"]]

    with client_as(SELLER) as client:
        answers = [
            client.get(URL),
            client.post(URL, json={"address": "lin@example.org"}),
            client.delete(f"{URL}/{entry_id}"),
        ]

    assert [a.status_code for a in answers] == [403, 403, 403]
    assert all("channels:suppression.admin" in a.json()["detail"] for a in answers)
    assert entries(crm) == [("ada@example.org", "complaint", None)]


def test_an_erased_partys_entry_is_listed_without_its_address(
    crm: Crm, client_as: Callable[[Actor], Any], new_person: PersonMaker
) -> None:
    ada = new_person("ada@example.org")
    assert transactional_to(crm, ada) == "queued"  # the email that names the address
    with client_as(ADMIN) as client:
        client.post(URL, json={"address": "ada@example.org"})
        with crm.transaction(SYSTEM) as tx:
            erase_party(tx, ada)
        [entry] = client.get(URL).json()["items"]

    assert (entry["address"], entry["reason"], entry["detail"]) == (None, "manual", None)


def test_the_routes_are_in_the_openapi_document(client_as: Callable[[Actor], Any]) -> None:
    with client_as(ADMIN) as client:
        document = client.get("/api/openapi.json").json()

    paths = document["paths"]
    assert set(paths[URL]) == {"get", "post"}
    assert set(paths[URL + "/{entry_id}"]) == {"delete"}
    added = paths[URL]["post"]
    assert set(added["responses"]) >= {"201", "403", "409", "422"}
    assert added["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/SuppressionInput"
    }
    given = document["components"]["schemas"]["SuppressionInput"]
    assert (set(given["properties"]), given["required"]) == ({"address", "detail"}, ["address"])


def test_the_same_address_added_twice_at_once_is_listed_once_and_the_second_told_so(
    crm: Crm,
) -> None:
    start = threading.Barrier(2)
    outcomes: list[str] = []

    def add() -> None:
        start.wait(timeout=10)
        with crm.transaction(ADMIN) as tx:
            try:
                add_suppression(tx, "twice@example.org", "asked by phone")
                # Hold the transaction open so that the other one decides while this one writes.
                time.sleep(0.2)
                outcomes.append("added")
            except ConflictError:
                outcomes.append("conflict")

    writers = [threading.Thread(target=add) for _ in range(2)]
    for writer in writers:
        writer.start()
    for writer in writers:
        writer.join()

    assert sorted(outcomes) == ["added", "conflict"]
    assert entries(crm) == [("twice@example.org", "manual", "asked by phone")]
