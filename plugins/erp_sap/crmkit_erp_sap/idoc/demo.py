"""The idoc part of ``crmkit demo``: a week of IDoc files from SAP system S4P in the list.

Customer master files came in every day, one with a customer SAP refused to name (a partial
file), and one file someone dropped by mistake was refused whole: what the IDoc files page
shows once the inbox has run a while. Only the list is seeded; the parties are the demo's own.
"""

from __future__ import annotations

import hashlib
import random
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, insert

from crmkit import Crm
from crmkit_erp_sap.idoc.tables import idoc_file

DAYS = 7


def _row(name: str, received: datetime, **values: Any) -> dict[str, Any]:
    row = {
        "name": name,
        "sha256": hashlib.sha256(f"demo:{name}".encode()).hexdigest(),
        "direction": "in",
        "message_type": "DEBMAS",
        "idoc_type": "DEBMAS07",
        "docnum": None,
        "status": "imported",
        "idocs": 0,
        "applied": 0,
        "unchanged": 0,
        "failed": 0,
        "error": None,
        "received_at": received,
        "finished_at": received + timedelta(seconds=2),
    }
    row.update(values)
    return row


def seed(app: Crm, conn: Connection, rng: random.Random, now: datetime) -> None:
    rows = []
    for day in range(DAYS, 0, -1):
        received = (now - timedelta(days=day)).replace(hour=2, minute=15, second=0, microsecond=0)
        idocs = rng.randint(5, 40)
        changed = rng.randint(0, idocs)
        rows.append(
            _row(
                f"DEBMAS_S4P_{received:%Y%m%d}.xml",
                received,
                docnum=f"{9_000_000 + day * 1000:016d}",
                idocs=idocs,
                applied=changed,
                unchanged=idocs - changed,
            )
        )
    partial = now - timedelta(days=3, hours=-9)
    rows.append(
        _row(
            f"DEBMAS_S4P_{partial:%Y%m%d}_manual.xml",
            partial,
            docnum=f"{9_100_000:016d}",
            status="partial",
            idocs=3,
            applied=2,
            failed=1,
            error="1 IDoc(s) refused; first: 0000000009100001: the customer has no number",
        )
    )
    wrong = now - timedelta(days=1, hours=-10)
    rows.append(
        _row(
            "invoice_export.xml",
            wrong,
            message_type=None,
            idoc_type=None,
            status="failed",
            error="file: no <IDOC> in the document (root <Invoice>)",
        )
    )
    conn.execute(insert(idoc_file), rows)
