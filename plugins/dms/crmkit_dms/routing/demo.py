"""The routing part of ``crmkit demo``: two months of leads offered to the demo's partners.

Up to 150 demo prospects living in Germany (the demo's dealers are German), and a tenth as
many others, get an assignment history written in bulk, as a restore would,
obeying the routing rules: each lead is offered only to a partner covering the party's
address and the lead's brand (as routing chooses them), with the deadline counted in the
partner's opening hours, and nothing happens after the demo's ``now``. Most offers were
accepted and worked, some declined or let expire and then offered to another covering
partner (or, with none left, the fallback queue), some are waiting for an answer now; a
lead no partner covers (another country, a brand its dealer does not sell) waits in the
fallback queue. Without partners (the partners part seeded none), every lead waits there.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, insert, select

from crmkit import Crm, contact_point_table, party_table
from crmkit_dms.partners.model import Partner, candidates
from crmkit_dms.routing import deadlines
from crmkit_dms.routing.tables import assignment

LEADS = 150
HISTORY_DAYS = 60
MODELS = {
    "VW": ("Golf", "Polo", "ID.3", "Tiguan"),
    "Audi": ("A3", "A4", "Q4 e-tron"),
    "Skoda": ("Octavia", "Fabia", "Enyaq"),
    "SEAT": ("Ibiza", "Leon", "Arona"),
}
ACCEPT_HOURS = 4
LOST_REASONS = ("bought elsewhere", "price", "no longer interested", "could not reach")


def _row(party_id: int, partner: Partner | None, at: datetime, **values: Any) -> dict[str, Any]:
    accept_by = (
        None
        if partner is None
        else deadlines.accept_by(at, ACCEPT_HOURS, partner.opening_hours, partner.time_zone)
    )
    return {
        "party_id": party_id,
        "partner_id": None if partner is None else partner.id,
        "state": "offered" if partner is not None else "unrouted",
        "reason": None,
        "brand": None,
        "country": None,
        "postcode": None,
        "vehicle": None,
        "source": "adf",
        "offered_at": at,
        "accept_by": accept_by,
        "accepted_at": None,
        "accept_seconds": None,
        "first_contact_at": None,
        "closed_at": None,
        "attempt": 1,
        "routed_by": None,
        "updated_at": at,
        "version": 1,
        **values,
    }


def _worked(rng: random.Random, at: datetime, now: datetime) -> dict[str, Any]:
    """An offer made at ``at`` and what came of it by ``now``: nothing happens after now."""
    accepted = at + timedelta(minutes=rng.randint(5, 200))
    if accepted > now:
        return {}  # still waiting for an answer
    contact = accepted + timedelta(hours=rng.randint(1, 30))
    values: dict[str, Any] = {
        "state": "accepted",
        "accepted_at": accepted,
        "accept_seconds": int((accepted - at).total_seconds()),
        "updated_at": accepted,
    }
    if contact > now:
        return values
    outcome = rng.choices(("contacted", "appointment", "sold", "lost"), (3, 2, 2, 3))[0]
    values.update(state=outcome, first_contact_at=contact, updated_at=contact)
    if outcome in ("sold", "lost"):
        closed = min(contact + timedelta(days=rng.randint(0, 10)), now)
        values.update(closed_at=closed, updated_at=closed)
    if outcome == "lost":
        values["reason"] = rng.choice(LOST_REASONS)
    return values


def _addresses(conn: Connection) -> dict[int, dict[str, Any]]:
    """Each prospect's first postal address (as intake routes on it), in one query."""
    rows = conn.execute(
        select(contact_point_table.c.party_id, contact_point_table.c.data)
        .join(party_table, party_table.c.id == contact_point_table.c.party_id)
        .where(
            party_table.c.role == "prospect",
            contact_point_table.c.kind == "address",
            contact_point_table.c.position == 0,
        )
    )
    return {row.party_id: row.data or {} for row in rows}


def _leads(conn: Connection, addresses: dict[int, dict[str, Any]]) -> list[int]:
    """The demo's dealers are German: mostly prospects living in Germany, and a tenth of
    others (abroad, no address) for the fallback queue."""
    prospects = conn.execute(
        select(party_table.c.id).where(party_table.c.role == "prospect").order_by(party_table.c.id)
    ).scalars()
    german: list[int] = []
    others: list[int] = []
    for party_id in prospects:
        home = addresses.get(party_id, {}).get("country")
        (german if home == "DE" else others).append(party_id)
    german = german[:LEADS]
    return sorted(german + others[: max(3, len(german) // 10)])


def _facts(rng: random.Random, address: dict[str, Any]) -> dict[str, Any]:
    """What the lead is routed on: the party's address, a brand and a car of it."""
    brand = rng.choice(tuple(MODELS))
    return {
        "brand": brand,
        "country": address.get("country"),
        "postcode": address.get("postcode"),
        "vehicle": {"make": brand, "model": rng.choice(MODELS[brand])},
    }


def _covering(conn: Connection, facts: dict[str, Any], memo: dict[str, Any]) -> list[Partner]:
    if facts["country"] is None or facts["postcode"] is None:
        return []
    return candidates(
        conn, country=facts["country"], postcode=facts["postcode"], brand=facts["brand"], memo=memo
    )


def seed(app: Crm, conn: Connection, rng: random.Random, now: datetime) -> None:
    addresses = _addresses(conn)
    leads = _leads(conn, addresses)
    memo: dict[str, Any] = {}  # the partner network, read once
    first_offers: list[dict[str, Any]] = []
    follow_ups: list[tuple[int, dict[str, Any]]] = []
    for party_id in leads:
        # Some leads came in within the last hours: offers still waiting for an answer.
        recent = rng.random() < 0.1
        at = now - (
            timedelta(minutes=rng.randint(5, 180))
            if recent
            else timedelta(days=rng.uniform(0, HISTORY_DAYS))
        )
        facts = _facts(rng, addresses.get(party_id, {}))
        # The partners routing itself would offer the lead to: region, brand, longest prefix.
        covering = _covering(conn, facts, memo)
        if not covering:
            reason = (
                "the lead names no country or postcode"
                if facts["postcode"] is None
                else "no partner covers the lead's region and brand"
            )
            first_offers.append(_row(party_id, None, at, reason=reason, **facts))
            continue
        first = rng.choice(covering)
        offered = _row(party_id, first, at, **facts)
        if offered["accept_by"] > now or rng.random() >= 0.2:
            first_offers.append({**offered, **_worked(rng, at, now)})
            continue
        state = rng.choice(("declined", "expired"))
        closed = (
            offered["accept_by"]
            if state == "expired"
            else min(at + timedelta(hours=rng.randint(1, 4)), offered["accept_by"])
        )
        first_offers.append(
            {
                **offered,
                "state": state,
                "reason": "no capacity this week"
                if state == "declined"
                else "not accepted in time",
                "closed_at": closed,
                "updated_at": closed,
            }
        )
        others = [p for p in covering if p.id != first.id]
        follow_up = (
            _row(party_id, rng.choice(others), closed, attempt=2, **facts)
            if others
            else _row(
                party_id,
                None,
                closed,
                attempt=2,
                reason="every partner covering the lead was tried",
                **facts,
            )
        )
        if others:
            follow_up.update(_worked(rng, closed, now))
        follow_ups.append((len(first_offers) - 1, follow_up))
    if not first_offers:
        return
    made = insert(assignment).returning(assignment.c.id, sort_by_parameter_order=True)
    ids = list(conn.execute(made, first_offers).scalars())
    if follow_ups:
        conn.execute(
            insert(assignment),
            [{**row, "previous_id": ids[index]} for index, row in follow_ups],
        )
