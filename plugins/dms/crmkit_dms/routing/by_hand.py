"""Routing a lead by hand (the API and the fallback page share it): what staff do not name
is the lead's own, so that a dealer receiving a rerouted lead gets its brand, region and
vehicle of interest, and "the best partner" is the best for the lead's own details."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import select

from crmkit import Transaction, require, seen_party
from crmkit_dms.routing.access import LEAD_ROUTE
from crmkit_dms.routing.model import Assignment
from crmkit_dms.routing.service import route_lead
from crmkit_dms.routing.tables import assignment

FACTS = ("brand", "country", "postcode", "vehicle")
"""What a lead is routed on, each taken from the lead when staff leave it out."""


def _latest(tx: Transaction, party_id: int) -> Assignment | None:
    row = tx.conn.execute(
        select(assignment)
        .where(assignment.c.party_id == party_id)
        .order_by(assignment.c.id.desc())
        .limit(1)
    ).one_or_none()
    return None if row is None else Assignment.of(row)


def route_by_hand(
    tx: Transaction,
    party_id: int,
    given: Mapping[str, Any],
    *,
    partner_id: int | None,
    source: str,
) -> Assignment:
    """Route the lead ``party_id`` again (``route_lead`` with ``reroute``): to the partner
    ``partner_id``, or to the best one for its facts.

    Each of ``brand``, ``country``, ``postcode`` and ``vehicle`` left out of ``given`` (null
    given stays null) is that of the lead's latest assignment; when that names no country or
    postcode (a lead queued for want of them, or never routed), those of the party's first
    address. The source stays the latest assignment's (``source`` for a lead never routed).
    Same errors as ``route_lead``.
    """
    require(tx.hooks, tx.actor, LEAD_ROUTE)
    party = seen_party(tx.hooks, tx.conn, tx.actor, party_id)
    latest = _latest(tx, party_id)
    facts: dict[str, Any] = {name: getattr(latest, name, None) for name in FACTS}
    address = next(iter(party.addresses), None)
    if (facts["country"] is None or facts["postcode"] is None) and address is not None:
        facts.update(country=address.country, postcode=address.postcode)
    facts.update({name: given[name] for name in FACTS if name in given})
    return route_lead(
        tx,
        party_id,
        **facts,
        source=source if latest is None else latest.source,
        partner_id=partner_id,
        reroute=True,
    )
