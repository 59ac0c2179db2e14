"""The conversations API and pages: the inbox of the parties one may see, replies, posts,
problems naming the field, CSRF-protected forms, the merge of two parties."""

from __future__ import annotations

import time
from typing import Any

import pytest
from crmkit_channels.delivery import deliver_due
from crmkit_channels.transports import TRANSPORT
from crmkit_social.conversations.tables import conversation_table, message_table
from sqlalchemy import select

from crmkit import SYSTEM, Crm, export_party, merge_parties
from crmkit.testing import add_party, add_user

from .conftest import Convo, feed_comment, messaging_event, take_social


@pytest.fixture
def crm(convo: Convo) -> Crm:
    """The tests' CRM (and so ``client_as``) is the one talking to the loopback Graph server."""
    return convo.crm


def _wrote(convo: Convo, psid: str = "psid-1", text: str = "Hello") -> int:
    convo.graph.respond(
        "GET", f"/{psid}", 200, {"id": psid, "first_name": "Jonas", "last_name": "Becker"}
    )
    take_social(
        convo, "messages", messaging_event(psid, f"mid.{psid}", text, at_ms=int(time.time() * 1000))
    )
    with convo.crm.read() as conn:
        return int(
            conn.execute(
                select(conversation_table.c.id).where(conversation_table.c.sender_id == psid)
            ).scalar_one()
        )


def test_the_inbox_api_lists_threads_and_takes_a_reply(convo: Convo, client_as: Any) -> None:
    thread = _wrote(convo)
    convo.graph.respond(
        "POST", "/1001/messages", 200, {"recipient_id": "psid-1", "message_id": "m_1"}
    )
    client = client_as(convo.admin)
    listed = client.get("/p/social/conversations")
    assert listed.status_code == 200
    assert [t["id"] for t in listed.json()] == [thread]
    answer = client.post(f"/p/social/conversations/{thread}/replies", json={"text": "Hi Jonas"})
    assert answer.status_code == 201, answer.text
    assert answer.json()["status"] == "queued"
    deliver_due(convo.crm, TRANSPORT)
    detail = client.get(f"/p/social/conversations/{thread}").json()
    assert [m["status"] for m in detail["messages"]] == [None, "sent"]
    empty = client.post(f"/p/social/conversations/{thread}/replies", json={"text": ""})
    assert empty.status_code == 422
    assert "text" in empty.text
    assert client.get("/p/social/conversations?bogus=1").status_code == 422


def test_one_who_may_not_see_the_party_gets_404(convo: Convo, client_as: Any) -> None:
    thread = _wrote(convo)
    outsider = add_user(convo.crm, "otto", "sales", team="west", territories=("FR-75",))
    client = client_as(outsider)
    assert client.get(f"/p/social/conversations/{thread}").status_code == 404
    refused = client.post(f"/p/social/conversations/{thread}/replies", json={"text": "Hi"})
    assert refused.status_code == 404
    assert "Becker" not in refused.text
    assert client.get("/p/social/conversations").json() == []


def test_posts_api_for_marketing_only(convo: Convo, client_as: Any) -> None:
    marketing = add_user(convo.crm, "mara", "marketing", team="marketing")
    service_agent = add_user(convo.crm, "sam", "service", team="service")
    body = {"account_id": convo.account.id, "text": "Open on Saturday"}
    assert client_as(service_agent).post("/p/social/posts", json=body).status_code == 403
    created = client_as(marketing).post("/p/social/posts", json=body)
    assert created.status_code == 201
    assert created.json()["status"] == "queued"
    bad = client_as(marketing).post("/p/social/posts", json={"account_id": 999, "text": "x"})
    assert bad.status_code == 422 and "account_id" in bad.text


def test_the_pages_show_the_inbox_and_a_thread_with_its_forms(convo: Convo, client_as: Any) -> None:
    thread = _wrote(convo, text="Wann ist mein Auto fertig?")
    take_social(convo, "feed", feed_comment("5001_9001", "Great offer", author_id="7001"))
    client = client_as(convo.admin)
    inbox = client.get("/p/social/page/conversations")
    assert inbox.status_code == 200 and "Jonas Becker" in inbox.text
    page = client.get(f"/p/social/page/conversations/{thread}")
    assert page.status_code == 200
    assert "Wann ist mein Auto fertig?" in page.text
    assert f'action="/p/social/page/conversations/{thread}/reply"' in page.text
    assert client.get("/p/social/page/posts").status_code == 200


def test_a_merge_moves_threads_and_the_export_lists_them(convo: Convo) -> None:
    _wrote(convo)
    with convo.crm.read() as conn:
        sender = conn.execute(select(message_table.c.party_id)).scalar_one()
    survivor = add_party(
        convo.crm, "customer", first_name="Jonas", last_name="Becker", emails=["jb@example.org"]
    )
    with convo.crm.transaction(SYSTEM) as tx:
        merge_parties(tx, survivor, sender)
    with convo.crm.read() as conn:
        assert conn.execute(select(message_table.c.party_id)).scalar_one() == survivor
        exported = export_party(conn, convo.crm.host, survivor)
    [thread] = exported["social"]["conversations"]
    assert [m["text"] for m in thread["messages"]] == ["Hello"]


def test_the_openapi_document_describes_the_routes_with_bounded_bodies(
    convo: Convo, client_as: Any
) -> None:
    from crmkit.testing import unbounded_inputs

    spec = client_as(convo.admin).get("/api/openapi.json").json()
    for path in (
        "/p/social/conversations",
        "/p/social/conversations/{conversation_id}",
        "/p/social/conversations/{conversation_id}/replies",
        "/p/social/messages/{message_id}/replies",
        "/p/social/posts",
    ):
        assert path in spec["paths"], path
    assert unbounded_inputs(spec, "/p/social/conversations") == []
    assert unbounded_inputs(spec, "/p/social/messages") == []
    assert unbounded_inputs(spec, "/p/social/posts") == []
