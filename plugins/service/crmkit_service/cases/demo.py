"""The cases part of ``crmkit demo``: a category tree and four months of cases in every status.

About a quarter of the customers have one to three cases, about the assets they own
when they have some. Older cases are mostly resolved or closed with a root cause,
recent ones are new, open or waiting. Each case has its history (opened, a reply, a
note, the customer's answer, status changes) in ``service_case_event`` and on the
party's timeline, as the service writes them.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, insert, select

from crmkit import interaction_table, party_table, user_table
from crmkit_service.assets.entitlement import entitlement_of
from crmkit_service.assets.tables import asset
from crmkit_service.cases.model import case_number
from crmkit_service.cases.service import DIRECTIONS, LABELS, REF_KIND, SOURCE
from crmkit_service.cases.tables import case, case_event, category

CASE_SHARE = 0.25
DAYS = 120
TREE = {
    "Billing": ("Invoices", "Refunds"),
    "Product": ("Defect", "Installation", "Usage"),
    "Delivery": ("Late", "Damaged"),
}
SCRIPTS = (
    (
        "complaint",
        ("Billing", "Invoices"),
        "Invoiced twice for the same month",
        "My bank statement shows the monthly fee twice. Please refund one.",
        "billing run repeated",
    ),
    (
        "incident",
        ("Product", "Defect"),
        "Error E31 after restart",
        "The display shows E31 since this morning and nothing works.",
        "faulty pressure sensor",
    ),
    (
        "question",
        ("Product", "Usage"),
        "How do I set the night mode?",
        "I cannot find the night mode in the menu.",
        "documentation unclear",
    ),
    (
        "request",
        ("Product", "Installation"),
        "Please move the unit to the cellar",
        "We are renovating and need the unit moved next month.",
        "customer request",
    ),
    (
        "complaint",
        ("Delivery", "Late"),
        "Spare part still not delivered",
        "The part was promised for last week.",
        "supplier delay",
    ),
    (
        "complaint",
        ("Delivery", "Damaged"),
        "Parcel arrived damaged",
        "The box was crushed and the cover is cracked.",
        "carrier handling",
    ),
    (
        "question",
        ("Billing", "Refunds"),
        "When will my refund arrive?",
        "You confirmed a refund two weeks ago.",
        "refund batch delayed",
    ),
)
REPLIES = (
    "Thank you for telling us. We are looking into it and will come back to you today.",
    "Could you send us a photo of the display and the serial number of the unit?",
    "We have checked this with our technicians; the details follow in our next message.",
)
ANSWERS = (
    "Here is the photo you asked for.",
    "It happened again this morning.",
    "Thanks, all good.",
)
NOTES = ("Called the customer, no answer.", "Checked the ledger: confirmed.", "Asked the supplier.")


def _categories(conn: Connection, now: datetime) -> dict[tuple[str, str], int]:
    leaves: dict[tuple[str, str], int] = {}
    for root, children in TREE.items():
        root_id = conn.execute(
            insert(category).values(name=root, created_at=now).returning(category.c.id)
        ).scalar_one()
        for child in children:
            leaves[(root, child)] = conn.execute(
                insert(category)
                .values(parent_id=root_id, name=child, created_at=now)
                .returning(category.c.id)
            ).scalar_one()
    return leaves


def _status(rng: random.Random, age_days: int) -> str:
    if age_days > 30:
        return rng.choice(("closed", "closed", "resolved", "resolved", "waiting_on_third_party"))
    return rng.choice(("new", "open", "open", "waiting_on_customer", "resolved", "reopened"))


def _history(
    rng: random.Random, status: str, opened: datetime, now: datetime
) -> list[tuple[str, bool, str | None, dict[str, Any], datetime]]:
    """The events leading to ``status``: (kind, public, body, data, when)."""
    span = max((now - opened).total_seconds(), 3600.0)

    def at(share: float) -> datetime:
        return opened + timedelta(seconds=span * share)

    events: list[tuple[str, bool, str | None, dict[str, Any], datetime]] = []
    if status == "new":
        return events
    events.append(("reply", True, rng.choice(REPLIES), {}, at(0.1)))
    events.append(("status", True, None, {"from": "new", "to": "open"}, at(0.1)))
    if rng.random() < 0.5:
        events.append(("note", False, rng.choice(NOTES), {}, at(0.2)))
    if status in ("open", "waiting_on_customer", "waiting_on_third_party"):
        if status != "open":
            events.append(("status", True, None, {"from": "open", "to": status}, at(0.3)))
        return events
    events.append(("customer_reply", True, rng.choice(ANSWERS), {"channel": "email"}, at(0.4)))
    events.append(("status", True, None, {"from": "open", "to": "resolved"}, at(0.6)))
    if status == "closed":
        events.append(("status", True, None, {"from": "resolved", "to": "closed"}, at(0.9)))
    if status == "reopened":
        events.append(
            ("customer_reply", True, "It is broken again.", {"channel": "email"}, at(0.8))
        )
        events.append(("status", True, None, {"from": "resolved", "to": "reopened"}, at(0.8)))
    return events


def seed_cases(conn: Connection, rng: random.Random, now: datetime) -> None:
    """Write the demo's categories, cases and their histories for the customers the kernel seeded."""
    leaves = _categories(conn, now)
    customers = conn.scalars(
        select(party_table.c.id).where(party_table.c.role == "customer").order_by(party_table.c.id)
    ).all()
    agents = conn.execute(
        select(user_table.c.id, user_table.c.team)
        .where(user_table.c.role.in_(("service", "manager")))
        .order_by(user_table.c.id)
    ).all()
    owned = conn.execute(select(asset.c.id, asset.c.party_id, asset.c.product)).all()
    assets: dict[int, list[Any]] = {}
    for owned_asset in owned:
        assets.setdefault(owned_asset.party_id, []).append(owned_asset)
    rows: list[dict[str, Any]] = []
    stories = []
    for party_id in customers:
        if rng.random() >= CASE_SHARE:
            continue
        for _ in range(rng.choice((1, 1, 2, 3))):
            kind, leaf, subject, description, root_cause = rng.choice(SCRIPTS)
            opened = now - timedelta(days=rng.randrange(DAYS), minutes=rng.randrange(1440))
            status = _status(rng, (now - opened).days)
            thing = rng.choice(assets[party_id]) if party_id in assets else None
            entitled = entitlement_of(conn, party_id, thing.id if thing else None)
            agent = rng.choice(agents) if agents and status != "new" else None
            history = _history(rng, status, opened, now)
            resolved = next((e[4] for e in history if e[3].get("to") == "resolved"), None)
            closed = next((e[4] for e in history if e[3].get("to") == "closed"), None)
            first_reply = next((e[4] for e in history if e[0] == "reply"), None)
            rows.append(
                {
                    "party_id": party_id,
                    "kind": kind,
                    "subject": subject,
                    "description": description,
                    "category_id": leaves[leaf],
                    "product": thing.product if thing else None,
                    "asset_id": thing.id if thing else None,
                    "priority": rng.choice(("low", "normal", "normal", "high", "urgent")),
                    "severity": rng.choice((None, "minor", "moderate", "major")),
                    "channel": rng.choice(("email", "email", "phone", "portal", "web")),
                    "owner_id": agent.id if agent else None,
                    "team": agent.team if agent else None,
                    "status": status,
                    "root_cause": root_cause if status in ("resolved", "closed") else None,
                    "resolution": "Fixed and confirmed with the customer."
                    if status in ("resolved", "closed")
                    else None,
                    "merged_into_id": None,
                    "entitlement_state": entitled.state,
                    "entitlement_summary": entitled.summary[:300],
                    "billable": entitled.billable,
                    "created_at": opened,
                    "updated_at": history[-1][4] if history else opened,
                    "first_response_at": first_reply,
                    "resolved_at": resolved if status in ("resolved", "closed") else None,
                    "closed_at": closed if status == "closed" else None,
                    "version": 1 + len(history),
                }
            )
            stories.append(history)
    if not rows:
        return
    ids = conn.scalars(insert(case).returning(case.c.id, sort_by_parameter_order=True), rows).all()
    events: list[dict[str, Any]] = []
    entries: list[dict[str, Any]] = []
    for case_id, row, history in zip(ids, rows, stories, strict=True):
        created = (
            "created",
            True,
            row["description"],
            {"channel": row["channel"]},
            row["created_at"],
        )
        for kind, public, body, data, when in [created, *history]:
            author = None if kind in ("created", "customer_reply") else row["owner_id"]
            outcome = data.get("to", row["status"] if kind != "created" else "new")
            event, entry = event_rows(
                case_id, row, (kind, public, body, data, when), author_id=author, outcome=outcome
            )
            events.append(event)
            entries.append(entry)
    conn.execute(insert(case_event), events)
    conn.execute(insert(interaction_table), entries)


def event_rows(
    case_id: int,
    about: Mapping[str, Any],
    event: tuple[str, bool, str | None, Mapping[str, Any], datetime],
    *,
    author_id: int | None,
    outcome: str,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The ``service_case_event`` row of ``event`` (kind, public, body, data, when) of the case
    ``about`` (its party_id, subject and owner_id), and its entry on the party's timeline, as
    the service writes them."""
    kind, public, body, data, when = event
    row = {
        "case_id": case_id,
        "kind": kind,
        "public": public,
        "body": body,
        "data": dict(data),
        "author_id": author_id,
        "created_at": when,
    }
    entry = {
        "party_id": about["party_id"],
        "channel": "case",
        "direction": DIRECTIONS.get(kind, "internal"),
        "occurred_at": when,
        "subject": f"{case_number(case_id)} {LABELS[kind]}: {about['subject']}",
        "summary": body,
        "outcome": outcome,
        "owner_id": about["owner_id"],
        "source": SOURCE,
        "refs": [{"kind": REF_KIND, "id": str(case_id)}],
        "custom": {},
        "created_at": when,
    }
    return row, entry
