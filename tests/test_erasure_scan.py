"""After an erasure, no table of the kernel or of any installed plugin holds the person.

A person with distinctive identifiers is touched through as many paths as
there are (the lead form, intake over the API with an Idempotency-Key, a
review and a merge, an interaction, consent, the sales plugin's records, tasks,
notifications, events and their webhook deliveries, the audit trail), then
erased. Every table of the database is then reflected, not listed here, so a
table added tomorrow is scanned too, and every text and JSON value is searched
for each identifier. A second person who is not erased must still be found:
the scan proves nothing if it cannot see.
"""

from __future__ import annotations

import json
import types
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import attrs
import pytest
from sqlalchemy import MetaData, insert, select

from crmkit import CustomField, hookimpl
from crmkit.app import Crm
from crmkit.core.actors import Actor
from crmkit.core.entities import User
from crmkit.core.perishability import escalate_missed_deadlines
from crmkit.core.tables import external_id, utcnow
from crmkit.core.tasks import create_task
from crmkit.core.users import create_user
from crmkit.core.webhook_delivery import fan_out
from crmkit.core.webhooks import add_subscription
from crmkit.hooks.host import discover
from crmkit.testing import http_client, register_plugin


@attrs.frozen
class Person:
    first_name: str
    last_name: str
    emails: tuple[str, str]
    phones: tuple[str, str]
    """As typed, in German national format."""
    e164: tuple[str, str]
    street: str
    national_id: str
    external_id: str

    def identifiers(self) -> dict[str, str]:
        """Each identifier and its normalised forms (lower case; E.164 with and without +)."""
        found = {
            "first name": self.first_name,
            "last name": self.last_name,
            "street": self.street,
            "national id": self.national_id,
            "external id": self.external_id,
        }
        for i, (email, typed, e164) in enumerate(
            zip(self.emails, self.phones, self.e164, strict=True)
        ):
            found[f"email {i}"] = email
            found[f"phone {i} as typed"] = typed
            found[f"phone {i} (E.164)"] = e164
            found[f"phone {i} digits"] = e164.removeprefix("+")
        return {what: value.lower() for what, value in found.items()}


ERASED = Person(
    first_name="Zebulonia",
    last_name="Quirrelwhistle",
    emails=("Zebulonia.Quirrelwhistle@Example.org", "zq-private@mailbox.example"),
    phones=("0152 27318946", "030 98761234"),
    e164=("+4915227318946", "+493098761234"),
    street="Zinnoberallee",
    national_id="QX7731942",
    external_id="ERP-ZQ-55120",
)
KEPT = Person(
    first_name="Barnabette",
    last_name="Oxenbridge",
    emails=("barnabette.oxenbridge@example.net", "b-ox@mailbox.example"),
    phones=("0171 44280613", "040 55529087"),
    e164=("+4917144280613", "+494055529087"),
    street="Kobaltkehre",
    national_id="KB1188204",
    external_id="ERP-BO-77031",
)
PLUGIN = "privacyscan"
NATIONAL_ID = f"{PLUGIN}_national_id"


def installed() -> list[str]:
    """Every plugin installed in this environment: each one's tables are scanned."""
    return sorted(c.name for c in discover() if c.info is not None)


def text_values(crm: Crm) -> Iterator[tuple[str, str, str]]:
    """(table, column, lower-case text) of every text or JSON value of every table."""
    with crm.read() as conn:
        tables = MetaData()
        tables.reflect(conn)
        for table in tables.sorted_tables:
            for row in conn.execute(select(table)).mappings():
                for column, value in row.items():
                    if isinstance(value, str):
                        yield table.name, column, value.lower()
                    elif isinstance(value, dict | list):
                        yield table.name, column, json.dumps(value, ensure_ascii=False).lower()


def places_of(crm: Crm, person: Person) -> dict[str, set[str]]:
    """Identifier -> the ``table.column`` places that hold it."""
    needles = person.identifiers()
    places: dict[str, set[str]] = {}
    for table, column, text in text_values(crm):
        for what, needle in needles.items():
            if needle in text:
                places.setdefault(what, set()).add(f"{table}.{column}")
    return places


def intake_body(person: Person, which: int, **more: Any) -> dict[str, Any]:
    return {
        "first_name": person.first_name,
        "last_name": person.last_name,
        "emails": [person.emails[which]],
        "phones": [person.phones[which]],
        "addresses": [
            {
                "street": person.street,
                "street_number": "17",
                "postcode": "10115",
                "city": "Berlin",
                "country": "DE",
            }
        ],
        **more,
    }


@pytest.fixture
def scene(make_crm: Any) -> tuple[Crm, Any, int]:
    """A CRM of every installed plugin, its admin's HTTP client, and a sales user's id."""
    crm = make_crm(plugins=installed())
    with crm.transaction() as tx:
        admin = create_user(tx, User(username="ada", display_name="Ada", role="admin"))
        seller = create_user(tx, User(username="olga", display_name="Olga", role="sales"))
        # Subscribed before anything happens: every event below gets a delivery.
        add_subscription(tx, "http://127.0.0.1:9/hook", ["*"], description="all events")
    assert admin.id is not None and seller.id is not None
    actor = Actor(user_id=admin.id, username="ada", role="admin")
    hooks = types.SimpleNamespace(
        actor_from_request=hookimpl(lambda app, request: actor),
        register_custom_fields=hookimpl(
            lambda: [CustomField("prospect", NATIONAL_ID, "text", max_length=20)]
        ),
    )
    crm = make_crm(plugins=[*installed(), register_plugin(hooks, name=PLUGIN)], create_tables=False)
    return crm, http_client(crm), seller.id


def take_in(crm: Crm, client: Any, person: Person, owner: int) -> int:
    """Touch ``person`` through every path; returns the id of the one party left of them."""
    custom = {"custom": {NATIONAL_ID: person.national_id}, "owner_id": owner}
    first = client.post(
        "/api/v1/prospects",
        json=intake_body(person, 0, **custom),
        headers={"Idempotency-Key": f"intake-{person.last_name}"},
    )
    assert first.status_code == 201, first.text
    party_id: int = first.json()["party"]["id"]

    # The lead form: the same person with a new number, which the form may not merge on its
    # own; it waits for a review and the owner is told.
    enquiry = {
        "first_name": person.first_name,
        "last_name": person.last_name,
        "email": person.emails[0],
        "phone": person.phones[1],
        "message": f"Please call {person.first_name} at {person.phones[1]}.",
        "marketing_consent": True,
    }
    assert client.post("/forms/lead", json=enquiry).status_code == 202
    reviews = client.get("/api/v1/match-reviews", params={"limit": 500}).json()["items"]
    (review,) = [r for r in reviews if party_id in (r["candidate_id"], r["existing_id"])]
    decided = client.post(f"/api/v1/match-reviews/{review['id']}", json={"decision": "merge"})
    assert decided.status_code == 200, decided.text

    # A second record of theirs, merged by hand.
    second = client.post("/api/v1/prospects", json=intake_body(person, 1))
    assert second.status_code in (200, 201), second.text
    other = second.json()["party"]["id"]
    if other != party_id:
        merged = client.post(f"/api/v1/parties/{party_id}/merge", json={"merged_id": other})
        assert merged.status_code == 200, merged.text

    logged = client.post(
        "/api/v1/interactions",
        json={
            "party_id": party_id,
            "channel": "email",
            "direction": "inbound",
            "subject": f"Offer for {person.last_name}",
            "summary": f"{person.first_name} wrote from {person.emails[1]}, call {person.phones[0]}.",
        },
    )
    assert logged.status_code == 201, logged.text
    consent = client.post(
        f"/api/v1/parties/{party_id}/consents",
        json={
            "purpose": "newsletter",
            "channel": "email",
            "status": "granted",
            "source": "phone call",
            "evidence": f"{person.first_name} {person.last_name} said yes",
        },
    )
    assert consent.status_code == 201, consent.text
    with crm.transaction() as tx:
        tx.conn.execute(
            insert(external_id).values(
                system="erp", external_id=person.external_id, party_id=party_id, created_at=utcnow()
            )
        )
        create_task(tx, owner, f"Call {person.first_name} {person.last_name}", party_id=party_id)
    if "sfa" in crm.host.loaded:
        sell(client, person, party_id)
    return party_id


def sell(client: Any, person: Person, party_id: int) -> None:
    """An opportunity, an activity and a quotation accepted into an order, each naming the person."""
    code = person.last_name[:8].upper()
    steps: list[tuple[str, dict[str, Any] | None]] = [
        ("/p/sfa/products", {"code": code, "name": "Widget", "tax_rate": "19"}),
        (
            "/p/sfa/price-lists",
            {
                "name": f"List {code}",
                "currency": "EUR",
                "prices": [{"product_code": code, "unit_price": "100.00"}],
            },
        ),
        (
            "/p/sfa/opportunities",
            {
                "party_id": party_id,
                "title": f"Deal {person.last_name}",
                "amount": "1000.00",
                "expected_close": "2020-01-31",
            },
        ),
        (
            "/p/sfa/activities",
            {
                "party_id": party_id,
                "kind": "call",
                "subject": f"Call {person.first_name} at {person.phones[1]}",
                "due_at": "2020-01-01T10:00:00Z",
            },
        ),
    ]
    made = [client.post(url, json=body) for url, body in steps]
    for response in made:
        assert response.status_code < 300, response.text
    price_list, opportunity = made[1].json()["id"], made[2].json()["id"]
    quotation = client.post(
        "/p/sfa/quotations",
        json={
            "opportunity_id": opportunity,
            "price_list_id": price_list,
            "lines": [{"product_code": code, "quantity": "2"}],
        },
    )
    assert quotation.status_code < 300, quotation.text
    quote_id = quotation.json()["id"]
    for step in ("send", "accept"):
        answer = client.post(f"/p/sfa/quotations/{quote_id}/{step}")
        assert answer.status_code < 300, answer.text


def test_an_erased_person_is_in_no_column_of_any_table(scene: tuple[Crm, Any, int]) -> None:
    crm, client, seller = scene
    erased = take_in(crm, client, ERASED, seller)
    kept = take_in(crm, client, KEPT, seller)
    # Overdue first contacts: tasks and notifications for the owner; events fanned out.
    escalate_missed_deadlines(crm, now=utcnow() + timedelta(days=30))
    assert fan_out(crm.engine) > 0
    # Every job of every plugin, once: reminders of overdue work, deliveries, housekeeping.
    for name in sorted(crm.jobs.jobs):
        assert crm.jobs.run(name).ok, name
    assert client.get("/api/v1/events", params={"limit": 500}).status_code == 200
    exported = client.get(f"/api/v1/parties/{erased}/export")
    assert exported.status_code == 200, exported.text
    before = places_of(crm, ERASED)
    assert set(before) == set(ERASED.identifiers()), "an identifier was never stored"

    # Accepting a quotation may have made the prospect a customer.
    current = client.get(f"/api/v1/parties/{erased}").json()
    gone = client.delete(
        f"/api/v1/{current['role']}s/{erased}", params={"version": current["version"]}
    )

    assert gone.status_code == 204, gone.text
    leaks = places_of(crm, ERASED)
    assert leaks == {}, f"still held after the erasure: {leaks}"
    # The scan sees: the person kept is found wherever a person is held.
    still = places_of(crm, KEPT)
    assert set(still) == set(KEPT.identifiers())
    reached = {
        "core_party.last_name",
        "core_search_term.term",
        "core_match_key.key",
        "core_audit.changes",
        "core_outbox.payload",
        "core_idempotency_key.body",
        "core_merge_log.details",
        *(["sfa_opportunity.title", "sfa_activity.subject"] if "sfa" in crm.host.loaded else []),
    }
    assert reached <= set().union(*still.values())
    assert client.get(f"/api/v1/parties/{kept}").status_code == 200
