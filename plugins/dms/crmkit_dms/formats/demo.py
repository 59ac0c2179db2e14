"""The formats part of ``crmkit demo``: the document log of the demo's routed leads.

The first leads the routing part offered from ADF arrive here in documents of one to three
prospects from three lead providers, one prospect in a few of them refused, as real
providers send.
"""

from __future__ import annotations

import hashlib
import random
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, insert, select

from crmkit import Crm, get_party
from crmkit_dms.formats.adf import AdfLead, to_adf
from crmkit_dms.formats.export import lead_of_party
from crmkit_dms.formats.tables import document, document_lead
from crmkit_dms.routing.tables import assignment

DOCUMENTS = 20
SOURCES = ("autoportal", "mobile-leads", "email")
REFUSED = "the contact has no e-mail address, phone number or postal address"


def _row(body: bytes, at: datetime, **values: Any) -> dict[str, Any]:
    return {
        "format": "adf",
        "direction": "in",
        "document_hash": hashlib.sha256(body).hexdigest(),
        "error": None,
        "body": body.decode(),
        "assignment_id": None,
        "attempts": 0,
        "next_attempt_at": None,
        "received_at": at,
        **values,
    }


def seed(app: Crm, conn: Connection, rng: random.Random, now: datetime) -> None:
    offers = conn.execute(
        select(assignment.c.id, assignment.c.party_id, assignment.c.offered_at, assignment.c.state)
        .where(
            assignment.c.source == "adf",
            assignment.c.attempt == 1,
            assignment.c.party_id.is_not(None),
        )
        .order_by(assignment.c.id)
        .limit(DOCUMENTS * 2)
    ).all()
    links: list[dict[str, Any]] = []
    position = 0
    while offers and position < len(offers):
        group = offers[position : position + rng.randint(1, 3)]
        position += len(group)
        leads = [lead_of_party(conn, get_party(conn, offer.party_id)) for offer in group]
        refused = rng.random() < 0.2
        if refused:
            leads.append(AdfLead(position=len(leads) + 1, first_name="Kim", last_name="Unbekannt"))
        body = to_adf(leads)
        results = [
            {
                "position": n,
                "lead_id": None,
                "outcome": "created",
                "party_id": o.party_id,
                "assignment_id": o.id,
            }
            for n, o in enumerate(group, start=1)
        ]
        if refused:
            results.append({"position": len(results) + 1, "lead_id": None, "refused": REFUSED})
        document_id = conn.execute(
            insert(document)
            .values(
                _row(
                    body,
                    group[0].offered_at - timedelta(seconds=rng.randint(1, 30)),
                    source=rng.choice(SOURCES),
                    status="partial" if refused else "taken",
                    taken=len(group),
                    refused=int(refused),
                    results=results,
                )
            )
            .returning(document.c.id)
        ).scalar_one()
        links += [
            {"document_id": document_id, "party_id": o.party_id, "position": n}
            for n, o in enumerate(group, 1)
        ]
    if links:
        conn.execute(insert(document_lead), links)
