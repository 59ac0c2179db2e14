"""The orders part of ``crmkit demo``: the demo's sfa orders as sent to an SAP system ``S4P``.

Most are created in SAP at various stages; the newest one was refused (an unknown sold-to
party), so the page shows a retry. The demo configures no SAP system: the jobs leave these
rows alone (a retry there fails with "no SAP system is configured").
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, insert, select

from crmkit import Crm
from crmkit_erp_sap.orders.status import erp_status
from crmkit_erp_sap.orders.tables import order_push

STAGES = (
    {
        "OverallSDProcessStatus": "A",
        "OverallTotalDeliveryStatus": "",
        "OverallOrdReltdBillgStatus": "",
    },
    {
        "OverallSDProcessStatus": "B",
        "OverallTotalDeliveryStatus": "A",
        "OverallOrdReltdBillgStatus": "",
    },
    {
        "OverallSDProcessStatus": "C",
        "OverallTotalDeliveryStatus": "C",
        "OverallOrdReltdBillgStatus": "A",
    },
    {
        "OverallSDProcessStatus": "C",
        "OverallTotalDeliveryStatus": "C",
        "OverallOrdReltdBillgStatus": "C",
    },
)


def seed(app: Crm, conn: Connection, rng: random.Random, now: datetime) -> None:
    if "sfa" not in app.host.loaded:
        return
    from crmkit_sfa import order_table

    orders = conn.execute(
        select(
            order_table.c.id, order_table.c.party_id, order_table.c.number, order_table.c.placed_at
        )
        .order_by(order_table.c.id)
        .limit(40)
    ).all()
    if not orders:
        return
    rows: list[dict[str, Any]] = []
    for index, placed in enumerate(orders):
        sent = min(placed.placed_at + timedelta(minutes=rng.randint(1, 5)), now)
        row = {
            "order_id": placed.id,
            "party_id": placed.party_id,
            "system": "S4P",
            "reference": placed.number[:35],
            "attempts": 1,
            "created_at": placed.placed_at,
            "updated_at": sent,
            "sent_at": sent,
            "sap_order": None,
            "sap_status": None,
            "erp_status": None,
            "last_error": None,
            "status_checked_at": None,
            "next_attempt_at": None,
        }
        if index == len(orders) - 1:
            row.update(
                state="failed",
                last_error="SAP refused the order: Sold-to party 1000917 not maintained for sales area",
            )
        else:
            statuses = rng.choice(STAGES)
            row.update(
                state="created",
                sap_order=str(1000001 + index),
                sap_status=statuses,
                erp_status=erp_status(statuses),
                status_checked_at=sent,
            )
        rows.append(row)
    conn.execute(insert(order_push), rows)
