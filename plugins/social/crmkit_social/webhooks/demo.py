"""The webhooks part of ``crmkit demo``: a few deliveries of the demo page in the inbox,
processed, ignored and refused, so that the inbox page shows each kind."""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, insert, select

from crmkit import Crm
from crmkit_social.accounts.demo import DEMO_PAGE_ID
from crmkit_social.accounts.tables import account_table
from crmkit_social.webhooks.inbox import change_key
from crmkit_social.webhooks.tables import change_table


def _changes(
    rng: random.Random, now: datetime
) -> list[tuple[str, str, dict[str, Any], str, str | None]]:
    base = int((now - timedelta(days=2)).timestamp())
    return [
        (
            "feed",
            DEMO_PAGE_ID,
            {
                "item": "comment",
                "verb": "add",
                "post_id": f"{DEMO_PAGE_ID}_1",
                "comment_id": "1_501",
                "message": "Is the ID.4 still available?",
                "from": {"id": "5550001", "name": "Lena Vogt"},
                "created_time": base,
            },
            "processed",
            None,
        ),
        (
            "feed",
            DEMO_PAGE_ID,
            {
                "item": "reaction",
                "verb": "add",
                "post_id": f"{DEMO_PAGE_ID}_1",
                "reaction_type": "like",
                "from": {"id": "5550002"},
                "created_time": base + 600,
            },
            "processed",
            None,
        ),
        (
            "ratings",
            DEMO_PAGE_ID,
            {"rating": 5, "review_text": "Friendly service", "created_time": base + 3600},
            "ignored",
            "no handler for the field 'ratings'",
        ),
        (
            "leadgen",
            "999000111",
            {
                "leadgen_id": str(rng.randrange(10**14, 10**15)),
                "page_id": "999000111",
                "form_id": "42",
                "created_time": base + 7200,
            },
            "refused",
            "unknown page 999000111: no connected account",
        ),
    ]


def seed(app: Crm, conn: Connection, rng: random.Random, now: datetime) -> None:
    account_id = conn.execute(
        select(account_table.c.id).where(account_table.c.page_id == DEMO_PAGE_ID)
    ).scalar()
    for i, (field, page_id, value, state, reason) in enumerate(_changes(rng, now)):
        at = now - timedelta(days=2) + timedelta(minutes=10 * i)
        key = change_key("page", page_id, field, value)
        if conn.execute(select(change_table.c.id).where(change_table.c.key == key)).first():
            continue
        conn.execute(
            insert(change_table),
            {
                "key": key,
                "object": "page",
                "page_id": page_id,
                "field": field,
                "value": value,
                "time": at,
                "received_at": at,
                "state": state,
                "reason": reason,
                "account_id": account_id if page_id == DEMO_PAGE_ID else None,
                "attempts": 1 if state == "processed" else 0,
                "next_try_at": None,
                "lease_until": None,
                "last_error": None,
                "processed_at": at + timedelta(seconds=2),
            },
        )
