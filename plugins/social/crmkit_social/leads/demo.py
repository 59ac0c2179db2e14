"""The leads part of ``crmkit demo``: two Lead Ads forms of the demo page, a few of the demo's
prospects as the leads they sent (one rejected as test data), and one form's own mapping."""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, insert, select

from crmkit import Crm, get_party, party_table
from crmkit_social.leads.tables import form_mapping, lead

DEMO_PAGE_ID = "104857600000001"
FORMS: tuple[tuple[str, str, dict[str, str]], ...] = (
    ("880000000000001", "Probefahrt anfragen", {"modell": "ignore"}),
    ("880000000000002", "Winterreifen-Aktion", {}),
)
CAMPAIGNS = (
    ("23860000000001", "Probefahrt ID.4 Herbst"),
    ("23860000000002", "Service Winter 2026"),
)
LEADS = 8


def _field_data(party: Any, model: str) -> list[dict[str, Any]]:
    found = [{"name": "full_name", "values": [party.display_name]}]
    if party.emails:
        found.append({"name": "email", "values": [party.emails[0].original]})
    if party.phones:
        found.append({"name": "phone_number", "values": [party.phones[0].e164]})
    if party.addresses and party.addresses[0].postcode:
        found.append({"name": "post_code", "values": [party.addresses[0].postcode]})
    found.append({"name": "modell", "values": [model]})
    return found


def seed(app: Crm, conn: Connection, rng: random.Random, now: datetime) -> None:
    if conn.execute(select(lead.c.id).limit(1)).first() is not None:
        return
    for form_id, name, fields in FORMS:
        conn.execute(
            insert(form_mapping).values(
                form_id=form_id,
                name=name,
                fields=fields,
                version=1,
                created_at=now - timedelta(days=30),
                updated_at=now - timedelta(days=30),
            )
        )
    prospects = conn.execute(
        select(party_table.c.id)
        .where(party_table.c.role == "prospect")
        .order_by(party_table.c.id)
        .limit(LEADS)
    ).scalars()
    rows: list[dict[str, Any]] = []
    for n, party_id in enumerate(prospects):
        party = get_party(conn, party_id)
        form_id, form_name, _ = FORMS[n % 2]
        campaign_id, campaign_name = CAMPAIGNS[n % 2]
        at = now - timedelta(days=rng.randint(1, 20), minutes=rng.randint(0, 600))
        data = _field_data(party, rng.choice(("ID.4", "Golf", "Tiguan", "Polo")))
        rows.append(
            _row(n, form_id, form_name, campaign_id, campaign_name, at, data)
            | {"outcome": "created", "party_id": party_id, "consents": 0}
        )
    test_data = [
        {"name": "full_name", "values": ["Test Test"]},
        {"name": "email", "values": ["test@example.com"]},
    ]
    rows.append(
        _row(LEADS, *FORMS[0][:2], *CAMPAIGNS[0], now - timedelta(days=2), test_data)
        | {
            "outcome": "rejected",
            "party_id": None,
            "consents": 0,
            "findings": [
                {
                    "code": "fake_name",
                    "severity": "hard",
                    "field": "last_name",
                    "message": "'Test Test' looks like test data",
                }
            ],
        }
    )
    conn.execute(insert(lead), rows)


def _row(
    n: int,
    form_id: str,
    form_name: str,
    campaign_id: str,
    campaign_name: str,
    at: datetime,
    field_data: list[dict[str, Any]],
) -> dict[str, Any]:
    return {
        "leadgen_id": f"990000000000{n:03d}",
        "platform": "facebook",
        "page_id": DEMO_PAGE_ID,
        "account_id": None,
        "form_id": form_id,
        "form_name": form_name,
        "ad_id": f"{campaign_id}9",
        "ad_name": f"{campaign_name} - Karussell",
        "adset_id": f"{campaign_id}5",
        "adset_name": "Umkreis 30 km, 25-60",
        "campaign_id": campaign_id,
        "campaign_name": campaign_name,
        "is_organic": False,
        "interaction_id": None,
        "findings": [],
        "raw": {
            "field_data": field_data,
            "custom_disclaimer_responses": [],
            "unmapped": {"modell": field_data[-1]["values"]} if form_id == FORMS[1][0] else {},
            "problems": {},
            "mapped_by": {},
            "vehicle": None,
        },
        "lead_created_at": at,
        "taken_at": at + timedelta(seconds=40),
    }
