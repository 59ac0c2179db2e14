"""The partners part of ``crmkit demo``: 60 customers are business partners of the SAP
system ``S4P`` (linked by external id, a few blocked), pulled by a full run a week ago and
daily delta runs since, one with two rows SAP sent malformed."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from sqlalchemy import Connection, insert, select

from crmkit import SYSTEM, Crm, Transaction, link_external_id, party_table
from crmkit_erp_sap.partners.record import external_system
from crmkit_erp_sap.partners.tables import partner, sync_failure, sync_run

SYSTEM_ID = "S4P"
PARTNERS = 60


def seed(app: Crm, conn: Connection, rng: random.Random, now: datetime) -> None:
    customers = conn.execute(
        select(party_table.c.id, party_table.c.kind)
        .where(party_table.c.role == "customer")
        .order_by(party_table.c.id)
        .limit(PARTNERS)
    ).all()
    tx = Transaction(conn=conn, hooks=app.host, actor=SYSTEM, app=app)
    synced = now - timedelta(days=7)
    rows = []
    for place, customer in enumerate(customers):
        number = str(1_000_100 + place)
        link_external_id(tx, customer.id, external_system(SYSTEM_ID), number)
        rows.append(
            {
                "system": SYSTEM_ID,
                "business_partner": number,
                "party_id": customer.id,
                "category": customer.kind,
                "blocked": rng.random() < 0.05,
                "content_hash": f"{rng.getrandbits(256):064x}",
                "last_change_at": synced - timedelta(days=rng.randrange(1, 400)),
                "synced_at": synced,
            }
        )
    if rows:
        conn.execute(insert(partner), rows)
    _runs(conn, rng, now, len(rows))


def _runs(conn: Connection, rng: random.Random, now: datetime, created: int) -> None:
    started = now - timedelta(days=7)
    runs = [("full", "cli", started, created, 0, 0)]
    for day in range(1, 7):
        updated = rng.randrange(0, 5)
        runs.append(
            ("delta", "job", started + timedelta(days=day), 0, updated, 2 if day == 3 else 0)
        )
    for kind, trigger, at, made, updated, failed in runs:
        run_id = conn.execute(
            insert(sync_run)
            .values(
                system=SYSTEM_ID,
                kind=kind,
                trigger=trigger,
                status="finished",
                started_at=at,
                finished_at=at + timedelta(seconds=rng.randrange(5, 90)),
                created=made,
                updated=updated,
                unchanged=0,
                failed=failed,
            )
            .returning(sync_run.c.id)
        ).scalar_one()
        if failed:
            conn.execute(
                insert(sync_failure),
                [
                    {
                        "run_id": run_id,
                        "business_partner": "1000931",
                        "position": None,
                        "field": "emails[0]",
                        "reason": "'info(at)nordwind-logistik.de' is not an e-mail address",
                    },
                    {
                        "run_id": run_id,
                        "business_partner": "1000957",
                        "position": None,
                        "field": "addresses[0].country",
                        "reason": "'XY' is not a country code",
                    },
                ],
            )
