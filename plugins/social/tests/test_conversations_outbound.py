"""Replies and posts through the channels plugin's transports, to the loopback Graph server:
inside and outside the 24-hour window, comment replies, page posts, rate limits retried
and sent once, record rules on every thread."""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

import pytest
from crmkit_channels.delivery import deliver_due
from crmkit_channels.transport_tables import transport_message
from crmkit_channels.transports import TRANSPORT
from crmkit_social.conversations import service
from crmkit_social.conversations.tables import conversation_table, message_table
from sqlalchemy import select, update

from crmkit import ConflictError, Crm, NotFound, PermissionDenied, ValidationError, utcnow
from crmkit.testing import add_user

from .conftest import Convo, ConvoMaker, feed_comment, messaging_event, take_social


@pytest.fixture
def crm(convo: Convo) -> Crm:
    """The tests' CRM (and so ``client_as``) is the one talking to the loopback Graph server."""
    return convo.crm


def _wrote(convo: Convo, psid: str = "psid-1", hours_ago: float = 0.0, mid: str = "mid.1") -> int:
    """``psid`` wrote to the page ``hours_ago``; the thread's id."""
    convo.graph.respond(
        "GET", f"/{psid}", 200, {"id": psid, "first_name": "Jonas", "last_name": "Becker"}
    )
    at_ms = int((time.time() - hours_ago * 3600) * 1000)
    take_social(convo, "messages", messaging_event(psid, mid, "Is my car ready?", at_ms=at_ms))
    with convo.crm.read() as conn:
        return int(
            conn.execute(
                select(conversation_table.c.id).where(conversation_table.c.sender_id == psid)
            ).scalar_one()
        )


def _sent_ok(convo: Convo, path: str, answer: dict[str, Any]) -> None:
    convo.graph.respond("POST", path, 200, answer)


def _state(crm: Crm, outbound_id: int) -> Any:
    with crm.read() as conn:
        return conn.execute(
            select(transport_message).where(transport_message.c.id == outbound_id)
        ).one()


def _outbound_id(crm: Crm, message_id: int) -> int:
    with crm.read() as conn:
        return int(
            conn.execute(
                select(message_table.c.outbound_id).where(message_table.c.id == message_id)
            ).scalar_one()
        )


def test_a_reply_inside_the_window_is_sent_once_after_commit(convo: Convo) -> None:
    thread = _wrote(convo, hours_ago=2)
    _sent_ok(convo, "/1001/messages", {"recipient_id": "psid-1", "message_id": "m_reply_1"})
    with convo.crm.transaction(convo.admin) as tx:
        reply = service.reply(tx, thread, {"text": "Yes, pick it up at 5."})
    assert reply.status == "queued"
    assert convo.graph.requests_to("POST", "/1001/messages") == []  # nothing before delivery
    deliver_due(convo.crm, TRANSPORT)
    deliver_due(convo.crm, TRANSPORT)
    [sent] = convo.graph.requests_to("POST", "/1001/messages")
    assert sent.body == {
        "recipient": {"id": "psid-1"},
        "messaging_type": "RESPONSE",
        "message": {"text": "Yes, pick it up at 5."},
    }
    assert sent.headers["authorization"] == "Bearer page-token-1001"
    with convo.crm.transaction(convo.admin) as tx:
        detail = service.thread_detail(tx, thread)
    assert [(m.direction, m.status) for m in detail.messages] == [
        ("inbound", None),
        ("outbound", "sent"),
    ]
    assert detail.messages[1].external_id == "m_reply_1"


def test_a_reply_outside_the_window_is_refused_clearly(convo: Convo) -> None:
    thread = _wrote(convo, hours_ago=30)
    with pytest.raises(ConflictError) as refused, convo.crm.transaction(convo.admin) as tx:
        service.reply(tx, thread, {"text": "Sorry for the wait"})
    assert "24-hour messaging window" in refused.value.message
    with convo.crm.read() as conn:
        assert conn.execute(select(transport_message)).all() == []


def test_the_human_agent_tag_allows_seven_days_when_the_setting_permits(
    make_convo: ConvoMaker,
) -> None:
    convo = make_convo(human_agent_tag=True)
    thread = _wrote(convo, hours_ago=30)
    _sent_ok(convo, "/1001/messages", {"recipient_id": "psid-1", "message_id": "m_2"})
    with convo.crm.transaction(convo.admin) as tx:
        service.reply(tx, thread, {"text": "Sorry for the wait"})
    deliver_due(convo.crm, TRANSPORT)
    [sent] = convo.graph.requests_to("POST", "/1001/messages")
    assert (sent.body["messaging_type"], sent.body["tag"]) == ("MESSAGE_TAG", "HUMAN_AGENT")
    old = _wrote(convo, psid="psid-8", hours_ago=24 * 8, mid="mid.8")
    with pytest.raises(ConflictError), convo.crm.transaction(convo.admin) as tx:
        service.reply(tx, old, {"text": "Too late"})


def test_a_comment_reply_goes_to_the_comment(convo: Convo) -> None:
    take_social(convo, "feed", feed_comment("5001_9001", "Do you have winter tyres?"))
    with convo.crm.read() as conn:
        comment = conn.execute(select(message_table)).one()
    _sent_ok(convo, "/5001_9001/comments", {"id": "5001_9100"})
    with convo.crm.transaction(convo.admin) as tx:
        answer = service.reply_to_comment(tx, comment.id, {"text": "Yes, from 79 EUR."})
        with pytest.raises(ConflictError):  # a commenter never wrote privately
            service.reply(tx, comment.conversation_id, {"text": "Hi"})
    deliver_due(convo.crm, TRANSPORT)
    [sent] = convo.graph.requests_to("POST", "/5001_9001/comments")
    assert sent.body == {"message": "Yes, from 79 EUR."}
    assert _state(convo.crm, _outbound_id(convo.crm, answer.id)).receipt == "5001_9100"


def test_a_page_post_by_marketing_is_published_and_sales_may_not(convo: Convo) -> None:
    marketing = add_user(convo.crm, "mara", "marketing", team="marketing")
    seller = add_user(convo.crm, "sven", "sales", team="west", territories=("FR-75",))
    _sent_ok(convo, "/1001/feed", {"id": "1001_7777"})
    data = {
        "account_id": convo.account.id,
        "text": "Winter check: 29 EUR",
        "link": "https://x.example/w",
    }
    with convo.crm.transaction(marketing) as tx:
        post = service.create_post(tx, data)
    with pytest.raises(PermissionDenied), convo.crm.transaction(seller) as tx:
        service.create_post(tx, data)
    deliver_due(convo.crm, TRANSPORT)
    [sent] = convo.graph.requests_to("POST", "/1001/feed")
    assert sent.body == {"message": "Winter check: 29 EUR", "link": "https://x.example/w"}
    with convo.crm.transaction(marketing) as tx:
        assert service.post_of(tx, post.id).receipt == "1001_7777"
    with pytest.raises(ValidationError) as refused, convo.crm.transaction(marketing) as tx:
        service.create_post(tx, {"account_id": convo.account.id, "text": " "})
    assert refused.value.field == "text"


def test_a_rate_limit_is_waited_out_and_the_reply_sent_once(convo: Convo) -> None:
    from crmkit_social.accounts.graph import USAGE

    thread = _wrote(convo)
    _sent_ok(convo, "/1001/messages", {"recipient_id": "psid-1", "message_id": "m_3"})
    limit = {"error": {"message": "Calls to this api have exceeded the rate limit.", "code": 613}}
    convo.graph.respond(
        "POST", "/1001/messages", 400, limit, headers={"Retry-After": "120"}, times=1
    )
    with convo.crm.transaction(convo.admin) as tx:
        reply = service.reply(tx, thread, {"text": "On it"})
    outbound = _outbound_id(convo.crm, reply.id)
    deliver_due(convo.crm, TRANSPORT)
    waiting = _state(convo.crm, outbound)
    assert waiting.status == "queued" and "613" in waiting.last_error
    assert waiting.next_attempt_at > utcnow() + timedelta(seconds=60)
    assert deliver_due(convo.crm, TRANSPORT) == 0  # not due yet
    USAGE.clear()
    with convo.crm.transaction() as tx:
        tx.conn.execute(
            update(transport_message)
            .where(transport_message.c.id == outbound)
            .values(next_attempt_at=utcnow())
        )
    deliver_due(convo.crm, TRANSPORT)
    assert _state(convo.crm, outbound).status == "sent"
    assert len(convo.graph.requests_to("POST", "/1001/messages")) == 2  # refused, then sent
    deliver_due(convo.crm, TRANSPORT)
    assert len(convo.graph.requests_to("POST", "/1001/messages")) == 2


def test_a_dead_token_waits_visibly_and_a_refusal_fails(convo: Convo) -> None:
    thread = _wrote(convo)
    dead = {"error": {"message": "Error validating access token", "code": 190}}
    convo.graph.respond("POST", "/1001/messages", 400, dead)
    with convo.crm.transaction(convo.admin) as tx:
        reply = service.reply(tx, thread, {"text": "Hello"})
    deliver_due(convo.crm, TRANSPORT)
    waiting = _state(convo.crm, _outbound_id(convo.crm, reply.id))
    assert waiting.status == "queued"
    assert "access token" in waiting.last_error
    from crmkit_social.accounts.graph import DEAD_MARKS, USAGE
    from crmkit_social.accounts.tables import account_table

    DEAD_MARKS.wait()  # the dead mark is written by a thread of its own
    with convo.crm.transaction() as tx:  # the page connected again
        tx.conn.execute(update(account_table).values(token_state="valid"))
    USAGE.clear()
    other = _wrote(convo, psid="psid-2", mid="mid.2")
    blocked = {"error": {"message": "This person isn't available right now.", "code": 551}}
    convo.graph.respond("POST", "/1001/messages", 400, blocked)
    with convo.crm.transaction(convo.admin) as tx:
        second = service.reply(tx, other, {"text": "Hello"})
    deliver_due(convo.crm, TRANSPORT)
    failed = _state(convo.crm, _outbound_id(convo.crm, second.id))
    assert failed.status == "failed" and "isn't available" in failed.last_error


def test_a_thread_of_a_party_one_may_not_see_is_not_found(convo: Convo) -> None:
    thread = _wrote(convo)
    outsider = add_user(convo.crm, "otto", "sales", team="west", territories=("FR-75",))
    with pytest.raises(NotFound), convo.crm.transaction(outsider) as tx:
        service.thread_detail(tx, thread)
    with pytest.raises(NotFound), convo.crm.transaction(outsider) as tx:
        service.reply(tx, thread, {"text": "Hi"})
    with convo.crm.transaction(outsider) as tx:
        assert service.list_threads(tx) == []
    with convo.crm.transaction(convo.admin) as tx:
        assert [t.id for t in service.list_threads(tx)] == [thread]
