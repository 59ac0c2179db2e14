"""The accounts part of ``crmkit demo``: one connected demo page that never calls Meta."""

from __future__ import annotations

import random
from datetime import datetime

from sqlalchemy import Connection, insert, select

from crmkit import Crm
from crmkit_social.accounts.tables import account_table

DEMO_PAGE_ID = "104857600000001"
DEMO_PAGE_NAME = "Autohaus Nord (demo page)"


def seed(app: Crm, conn: Connection, rng: random.Random, now: datetime) -> None:
    exists = conn.execute(
        select(account_table.c.id).where(account_table.c.page_id == DEMO_PAGE_ID)
    ).first()
    if exists is not None:
        return
    conn.execute(
        insert(account_table),
        {
            "platform": "facebook",
            "page_id": DEMO_PAGE_ID,
            "name": DEMO_PAGE_NAME,
            "active": True,
            # A demo page keeps no token: its state "demo" makes every Graph call refuse at once.
            "token_cipher": "",
            "token_expires_at": None,
            "token_state": "demo",
            "token_problem": None,
            "token_checked_at": now,
            "subscribed_fields": "leadgen,feed,messages",
            "connected_at": now,
            "connected_by": None,
            "updated_at": now,
            "version": 1,
        },
    )
