"""The conversations part of the demo: threads on the demo page that the inbox shows, and a
reply typed there fails visibly instead of reaching Meta."""

from __future__ import annotations

from typing import Any

from crmkit_channels.delivery import deliver_due
from crmkit_channels.transports import TRANSPORT
from crmkit_social.conversations import service
from crmkit_social.conversations.tables import conversation_table
from sqlalchemy import select

from crmkit import Crm, timeline, utcnow
from crmkit.testing import add_user, seed_demo_data


def test_the_demo_inbox_has_threads_and_a_reply_fails_visibly(crm: Crm, client_as: Any) -> None:
    seed_demo_data(crm, customers=10, prospects=5, now=utcnow())
    with crm.read() as conn:
        threads = list(conn.execute(select(conversation_table)))
        assert len(threads) == 4
        assert all(
            any(i.channel == "social" for i in timeline(conn, t.party_id).items) for t in threads
        )
    admin = add_user(crm, "inboxadmin", "admin")
    page = client_as(admin).get("/p/social/page/conversations")
    assert page.status_code == 200 and "Private reply until" in page.text
    private = next(t for t in threads if t.last_inbound_at is not None)
    with crm.transaction(admin) as tx:
        reply = service.reply(tx, private.id, {"text": "Ja, ab 16 Uhr."})
    deliver_due(crm, TRANSPORT)
    with crm.transaction(admin) as tx:
        [sent] = [m for m in service.thread_detail(tx, private.id).messages if m.id == reply.id]
    assert sent.status == "failed" and "demo" in (sent.last_error or "")
