"""The conversations part of ``crmkit demo``: a few threads on the demo page.

Four customers wrote to the demo page (two by Messenger, two in comments); one of the
messages reads like a complaint (the demo opens no case for it). The page is a demo page, so
replies typed in the demo fail with the reason visible rather than reach Meta.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from sqlalchemy import Connection, insert, select

from crmkit import Crm, interaction_table, party_table
from crmkit_social.accounts.demo import DEMO_PAGE_ID
from crmkit_social.accounts.tables import account_table
from crmkit_social.conversations.inbound import CHANNEL, REF_KIND, SOURCE
from crmkit_social.conversations.tables import conversation_table, message_table

THREADS: tuple[tuple[str, tuple[tuple[str, str, float], ...]], ...] = (
    (
        "message",
        (
            ("inbound", "Hallo, ist mein Golf schon fertig? Ich wollte ihn heute abholen.", 3.0),
            ("inbound", "Ab wann kann ich vorbeikommen?", 2.5),
        ),
    ),
    (
        "message",
        (("inbound", "Die Klimaanlage ist schon wieder kaputt, das ist eine Zumutung!", 20.0),),
    ),
    ("comment", (("inbound", "Gibt es die Winterreifen-Aktion auch für den Tiguan?", 30.0),)),
    ("comment", (("inbound", "Super Service beim letzten Mal, danke!", 50.0),)),
)


def seed(app: Crm, conn: Connection, rng: random.Random, now: datetime) -> None:
    account = conn.execute(
        select(account_table.c.id).where(account_table.c.page_id == DEMO_PAGE_ID)
    ).first()
    if account is None or conn.execute(select(conversation_table.c.id).limit(1)).first():
        return
    people = list(
        conn.execute(
            select(party_table.c.id, party_table.c.display_name)
            .where(party_table.c.kind == "person", party_table.c.role == "customer")
            .order_by(party_table.c.id)
            .limit(len(THREADS))
        )
    )
    for n, ((kind, messages), person) in enumerate(zip(THREADS, people, strict=False)):
        sender = f"{rng.randrange(10**15, 10**16)}"
        times = [now - timedelta(hours=hours) for _, _, hours in messages]
        private = kind == "message"
        thread = conn.execute(
            insert(conversation_table)
            .values(
                account_id=account.id,
                platform="facebook",
                page_id=DEMO_PAGE_ID,
                sender_id=sender,
                sender_name=person.display_name,
                party_id=person.id,
                last_inbound_at=max(times) if private else None,
                last_message_at=max(times),
                created_at=min(times),
                version=1,
            )
            .returning(conversation_table.c.id)
        ).scalar_one()
        for i, ((direction, text, _), at) in enumerate(zip(messages, times, strict=True)):
            message = conn.execute(
                insert(message_table)
                .values(
                    conversation_id=thread,
                    party_id=person.id,
                    page_id=DEMO_PAGE_ID,
                    direction=direction,
                    kind=kind,
                    external_id=f"demo.{n}.{i}",
                    parent_id=f"{DEMO_PAGE_ID}_5001" if kind == "comment" else None,
                    text=text,
                    occurred_at=at,
                    complaint_ref=None,
                    created_by="system",
                )
                .returning(message_table.c.id)
            ).scalar_one()
            conn.execute(
                insert(interaction_table).values(
                    party_id=person.id,
                    channel=CHANNEL,
                    direction=direction,
                    occurred_at=at,
                    subject=f"Facebook {kind} to the demo page",
                    summary=text,
                    source=SOURCE,
                    refs=[{"kind": REF_KIND, "id": str(message)}],
                    custom={},
                    created_at=now,
                )
            )
