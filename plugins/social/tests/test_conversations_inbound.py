"""Inbound messages, comments and posts: onto the sender's timeline once, the sender found by
page-scoped id, else through intake and its matching (a new prospect); complaints offered."""

from __future__ import annotations

from typing import Any

import pytest
from crmkit_social.conversations.tables import conversation_table, message_table
from crmkit_social.webhooks.process import process_pending
from sqlalchemy import func, select

from crmkit import Crm, external_ids_of, link_external_id, party_table, timeline
from crmkit.testing import add_party

from .conftest import (
    Convo,
    ConvoMaker,
    delivery,
    feed_comment,
    messaging_event,
    take_social,
)


@pytest.fixture
def crm(convo: Convo) -> Crm:
    """The tests' CRM (and so ``client_as``) is the one talking to the loopback Graph server."""
    return convo.crm


def _social_items(crm: Crm, party_id: int) -> list[Any]:
    with crm.read() as conn:
        return [i for i in timeline(conn, party_id).items if i.channel == "social"]


def _messages(crm: Crm) -> list[Any]:
    with crm.read() as conn:
        return list(conn.execute(select(message_table).order_by(message_table.c.id)))


def _profile(convo: Convo, psid: str, first: str, last: str) -> None:
    convo.graph.respond(
        "GET", f"/{psid}", 200,
        {"id": psid, "name": f"{first} {last}", "first_name": first, "last_name": last},
    )  # fmt: skip


def test_a_message_resent_by_meta_lands_on_the_timeline_once(
    convo: Convo, client_as: Any, post_delivery: Any
) -> None:
    _profile(convo, "psid-1", "Jonas", "Becker")
    payload = delivery("1001", messaging=[messaging_event("psid-1", "mid.1", "Is the car ready?")])
    client = client_as(convo.admin)
    for _ in range(2):  # Meta retries a delivery it thinks failed
        assert post_delivery(client, payload).status_code == 200
        process_pending(convo.crm)
    [message] = _messages(convo.crm)
    assert (message.direction, message.kind, message.text) == (
        "inbound",
        "message",
        "Is the car ready?",
    )
    [item] = _social_items(convo.crm, message.party_id)
    assert (item.direction, item.summary) == ("inbound", "Is the car ready?")
    with convo.crm.read() as conn:
        thread = conn.execute(select(conversation_table)).one()
        links = [(e.system, e.external_id) for e in external_ids_of(conn, message.party_id)]
    assert thread.last_inbound_at is not None and thread.sender_name == "Jonas Becker"
    assert ("facebook.page.1001", "psid-1") in links


def test_a_known_page_scoped_id_finds_its_party_without_asking_graph(convo: Convo) -> None:
    _profile(convo, "psid-2", "Mia", "Wagner")
    take_social(convo, "messages", messaging_event("psid-2", "mid.a", "Hello"))
    take_social(convo, "messages", messaging_event("psid-2", "mid.b", "Are you open on Saturday?"))
    first, second = _messages(convo.crm)
    assert first.party_id == second.party_id
    assert first.conversation_id == second.conversation_id
    assert len(convo.graph.requests_to("GET", "/psid-2")) == 1
    assert [i.summary for i in _social_items(convo.crm, first.party_id)] == [
        "Are you open on Saturday?",
        "Hello",
    ]


def test_a_new_sender_becomes_a_prospect_through_intake_and_is_found_by_its_id_next(
    convo: Convo,
) -> None:
    from crmkit import get_party

    _profile(convo, "psid-10", "Nora", "Keller")
    take_social(convo, "messages", messaging_event("psid-10", "mid.n1", "Hallo"))
    take_social(convo, "messages", messaging_event("psid-10", "mid.n2", "Noch da?"))
    first, second = _messages(convo.crm)
    assert first.party_id == second.party_id
    assert len(convo.graph.requests_to("GET", "/psid-10")) == 1  # the second found it by its id
    with convo.crm.read() as conn:
        party = get_party(conn, first.party_id)
        row = conn.execute(select(party_table).where(party_table.c.id == first.party_id)).one()
        links = [(e.system, e.external_id) for e in external_ids_of(conn, first.party_id)]
    assert (party.role, party.source) == ("prospect", "social")
    assert (party.first_name, party.last_name) == ("Nora", "Keller")
    # Its intake record: checked, scored and assessed by the pipeline, not written around it.
    assert row.quality is not None and row.score is not None and row.findings is not None
    assert "no_contact_route" not in {f["code"] for f in row.findings}
    assert links == [("facebook.page.1001", "psid-10")]


def test_a_sender_graph_names_like_a_customer_is_left_to_intakes_matching(convo: Convo) -> None:
    """A name alone is no identity: the sender is not filed on the customer's timeline."""
    known = add_party(convo.crm, "customer", first_name="Ada", last_name="Lovelace")
    _profile(convo, "psid-3", "Ada", "Lovelace")
    take_social(convo, "messages", messaging_event("psid-3", "mid.c", "My invoice please"))
    [message] = _messages(convo.crm)
    assert message.party_id != known
    assert _social_items(convo.crm, known) == []
    with convo.crm.read() as conn:
        assert external_ids_of(conn, known) == []
        assert ("facebook.page.1001", "psid-3") in [
            (e.system, e.external_id) for e in external_ids_of(conn, message.party_id)
        ]


def test_a_sender_already_linked_to_a_customer_lands_on_its_timeline(convo: Convo) -> None:
    known = add_party(convo.crm, "customer", first_name="Ada", last_name="Lovelace")
    with convo.crm.transaction() as tx:
        link_external_id(tx, known, "facebook.page.1001", "psid-11")
    take_social(convo, "messages", messaging_event("psid-11", "mid.k", "My invoice please"))
    [message] = _messages(convo.crm)
    assert message.party_id == known
    assert convo.graph.requests_to("GET", "/psid-11") == []


def test_an_unknown_sender_nobody_matches_becomes_a_new_prospect(convo: Convo) -> None:
    add_party(convo.crm, "customer")  # Ada Lovelace: not the sender
    _profile(convo, "psid-4", "Lukas", "Schneider")
    take_social(convo, "messages", messaging_event("psid-4", "mid.d", "Price of a service?"))
    [message] = _messages(convo.crm)
    with convo.crm.read() as conn:
        from crmkit import get_party

        party = get_party(conn, message.party_id)
    assert party.role == "prospect"
    assert (party.first_name, party.last_name) == ("Lukas", "Schneider")


def test_a_comment_is_a_public_message_of_its_author_and_opens_no_window(convo: Convo) -> None:
    take_social(convo, "feed", feed_comment("5001_9001", "Nice car!"))
    take_social(convo, "feed", feed_comment("5001_9001", "Nice car!"))  # resent
    [message] = _messages(convo.crm)
    assert (message.kind, message.external_id, message.parent_id) == (
        "comment",
        "5001_9001",
        "1001_5001",
    )
    with convo.crm.read() as conn:
        thread = conn.execute(select(conversation_table)).one()
    assert thread.last_inbound_at is None and thread.sender_name == "Erika Brandt"
    assert [i.summary for i in _social_items(convo.crm, message.party_id)] == ["Nice car!"]
    assert convo.graph.requests_to("GET", "/7001") == []  # a commenter has no PSID to ask about


def test_the_pages_own_messages_edits_and_read_receipts_are_left_out(convo: Convo) -> None:
    echo = messaging_event("1001", "mid.e", "Our answer")
    echo["message"]["is_echo"] = True
    take_social(convo, "messages", echo)
    take_social(convo, "messages", {"sender": {"id": "psid-9"}, "read": {"watermark": 1}})
    take_social(convo, "feed", feed_comment("5001_9002", "We reply", author_id="1001"))
    edited = feed_comment("5001_9003", "edited") | {"verb": "edited"}
    take_social(convo, "feed", edited)
    assert _messages(convo.crm) == []


def test_a_transient_graph_failure_leaves_the_change_for_a_retry(
    convo: Convo, client_as: Any, post_delivery: Any
) -> None:
    convo.graph.fail("GET", "/psid-5", 503, times=1)
    _profile(convo, "psid-5", "Lea", "Fischer")
    convo.graph.fail("GET", "/psid-5", 503, times=1)
    payload = delivery("1001", messaging=[messaging_event("psid-5", "mid.f", "Hello?")])
    assert post_delivery(client_as(convo.admin), payload).status_code == 200
    counts = process_pending(convo.crm)
    assert counts["retried"] == 1
    assert _messages(convo.crm) == []


def test_a_complaint_opens_a_service_case(make_convo: ConvoMaker) -> None:
    convo = make_convo(with_plugins=("service",))
    _profile(convo, "psid-6", "Paul", "Weber")
    take_social(
        convo, "messages", messaging_event("psid-6", "mid.g", "Die Bremse ist schon wieder kaputt!")
    )
    take_social(convo, "messages", messaging_event("psid-6", "mid.h", "Danke, bis morgen"))
    complaint, thanks = _messages(convo.crm)
    assert complaint.complaint_ref is not None and complaint.complaint_ref.startswith("CS-")
    assert thanks.complaint_ref is None
    from crmkit_service.cases.tables import case as case_table

    with convo.crm.read() as conn:
        cases = conn.execute(select(case_table)).all()
    assert len(cases) == 1
    assert cases[0].party_id == complaint.party_id


def test_without_service_a_complaint_is_only_stored(convo: Convo) -> None:
    _profile(convo, "psid-7", "Tom", "Klein")
    take_social(convo, "messages", messaging_event("psid-7", "mid.i", "Terrible service, refund!"))
    [message] = _messages(convo.crm)
    assert message.complaint_ref is None
    with convo.crm.read() as conn:
        assert conn.execute(select(func.count()).select_from(message_table)).scalar() == 1


def test_an_instagram_comment_is_taken_and_answered_under_replies(convo: Convo, page: Any) -> None:
    from crmkit_channels.delivery import deliver_due
    from crmkit_channels.transports import TRANSPORT
    from crmkit_social.conversations import service
    from crmkit_social.conversations.inbound import fetch, take_change
    from crmkit_social.webhooks.model import Change

    insta = page(convo.crm, page_id="17841400000001", platform="instagram", name="autohaus.nord")
    value = {
        "from": {"id": "9911", "username": "lena.sommer"},
        "media": {"id": "17900000000001", "media_product_type": "FEED"},
        "id": "17950000000001",
        "text": "Wie teuer ist die Inspektion?",
    }
    from datetime import UTC, datetime

    change = Change("instagram", insta.page_id, "comments", value, datetime.now(UTC), "ig:1")
    fetched = fetch(convo.crm, insta, change)
    with convo.crm.transaction() as tx:
        take_change(tx, insta, change, fetched)
    [message] = _messages(convo.crm)
    assert (message.kind, message.parent_id) == ("comment", "17900000000001")
    with convo.crm.read() as conn:
        links = [(e.system, e.external_id) for e in external_ids_of(conn, message.party_id)]
    assert ("instagram.account.17841400000001", "9911") in links
    convo.graph.respond("POST", "/17950000000001/replies", 200, {"id": "17950000000002"})
    with convo.crm.transaction(convo.admin) as tx:
        service.reply_to_comment(tx, message.id, {"text": "Ab 149 EUR."})
    deliver_due(convo.crm, TRANSPORT)
    [sent] = convo.graph.requests_to("POST", "/17950000000001/replies")
    assert sent.body == {"message": "Ab 149 EUR."}


def test_a_complaint_told_in_several_messages_opens_one_case(make_convo: ConvoMaker) -> None:
    convo = make_convo(with_plugins=("service",))
    _profile(convo, "psid-12", "Jana", "Roth")
    _profile(convo, "psid-13", "Olaf", "Sand")
    take_social(convo, "messages", messaging_event("psid-12", "mid.p", "Beschwerde: Auto kaputt"))
    take_social(convo, "messages", messaging_event("psid-12", "mid.q", "Eine Reklamation!"))
    take_social(convo, "messages", messaging_event("psid-13", "mid.r", "Mein Auto ist kaputt"))
    first, second, other = _messages(convo.crm)
    from crmkit_service.cases.tables import case as case_table

    with convo.crm.read() as conn:
        cases = conn.execute(select(case_table)).all()
    assert len(cases) == 2  # one per thread
    assert first.complaint_ref is not None and second.complaint_ref == first.complaint_ref
    assert other.complaint_ref not in (None, first.complaint_ref)
