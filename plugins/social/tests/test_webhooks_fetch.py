"""A handler's Graph calls (its module's ``fetch``) run with no transaction open: the rest of
the CRM writes while Graph is being asked; a fetch that fails is recorded for its change
alone, as a handler's error would be."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import select, update

from crmkit import Crm, utcnow
from crmkit.testing import http_client

from .conftest import LEAD_FORM, delivery, hub_signature, lead_answer, leadgen, messaging_event


def rows(crm: Crm) -> list[Any]:
    from crmkit_social.webhooks.tables import change_table

    with crm.read() as conn:
        return list(conn.execute(select(change_table).order_by(change_table.c.id)))


def run(crm: Crm) -> None:
    result = crm.jobs.run("social.process_changes")
    assert result.ok, result.error


def write_meanwhile(crm: Crm, seen: list[str]) -> Callable[[], None]:
    """A call for the Graph server to make while it answers: a write of the CRM's own, on
    every change row (on SQLite it needs the write lock, on PostgreSQL the rows' locks the job
    takes in its transaction), which must finish while the job still waits for Graph. A job
    with a transaction open would make it wait until Graph answered, i.e. forever here."""
    from crmkit_social.webhooks.tables import change_table

    def call() -> None:
        done = threading.Event()

        def write() -> None:
            with crm.transaction() as tx:
                tx.conn.execute(update(change_table).values(received_at=change_table.c.received_at))
            done.set()

        writer = threading.Thread(target=write, daemon=True)
        writer.start()
        writer.join(timeout=10)  # a bound, not a speed check: it finishes at once or never
        seen.append("written" if done.is_set() else "waited for the job")

    return call


@pytest.fixture
def received(make_social: Any, social_settings: dict[str, Any], page: Any) -> Any:
    def make(*changes: dict[str, Any], commit_seconds: float = 0.2, **delivered: Any) -> Crm:
        webhooks = {**social_settings["webhooks"], "commit_seconds": commit_seconds}
        crm = make_social(social={**social_settings, "webhooks": webhooks})
        page(crm)
        body = json.dumps(delivery("1001", *changes, **delivered)).encode()
        with http_client(crm) as client:
            answer = client.post(
                "/p/social/webhooks/meta",
                content=body,
                headers={
                    "Content-Type": "application/json",
                    "X-Hub-Signature-256": hub_signature(body),
                },
            )
            assert answer.status_code == 200
        return crm

    return make


@pytest.mark.parametrize("commit_seconds", [0.2, 0], ids=["batched", "one-by-one"])
def test_a_lead_and_its_form_are_fetched_while_the_crm_writes_on(
    received: Any, graph: Any, commit_seconds: float
) -> None:
    from crmkit_social.leads.tables import form_mapping, lead

    crm = received(leadgen("1", form_id=LEAD_FORM), commit_seconds=commit_seconds)
    seen: list[str] = []
    graph.respond("GET", "/1", 200, lead_answer("1"))
    graph.respond("GET", f"/{LEAD_FORM}", 200, {"id": LEAD_FORM, "name": "Probefahrt"})
    graph.while_answering("GET", "/1", write_meanwhile(crm, seen))
    graph.while_answering("GET", f"/{LEAD_FORM}", write_meanwhile(crm, seen))
    run(crm)
    assert seen == ["written", "written"]
    assert [(r.state, r.attempts) for r in rows(crm)] == [("processed", 1)]
    with crm.read() as conn:
        assert conn.execute(select(lead.c.leadgen_id)).scalars().all() == ["1"]
        assert conn.execute(select(form_mapping.c.name)).scalars().all() == ["Probefahrt"]


def test_a_senders_profile_is_fetched_while_the_crm_writes_on(received: Any, graph: Any) -> None:
    from crmkit_social.conversations.tables import conversation_table

    crm = received(messaging=[messaging_event("psid-1", "mid.1", "Is the car ready?")])
    seen: list[str] = []
    profile = {"id": "psid-1", "name": "Jonas Becker", "first_name": "Jonas"}
    graph.respond("GET", "/psid-1", 200, {**profile, "last_name": "Becker"})
    graph.while_answering("GET", "/psid-1", write_meanwhile(crm, seen))
    run(crm)
    assert seen == ["written"]
    assert [r.state for r in rows(crm)] == ["processed"]
    with crm.read() as conn:
        assert conn.execute(select(conversation_table.c.sender_name)).scalar() == "Jonas Becker"


def test_a_fetch_failing_in_a_batch_retries_that_change_alone(received: Any, graph: Any) -> None:
    from crmkit_social.leads.tables import lead
    from crmkit_social.webhooks.process import process_pending

    crm = received(leadgen("1"), leadgen("2"), leadgen("3"), leadgen("4"))
    for leadgen_id in ("1", "2", "3"):
        graph.respond("GET", f"/{leadgen_id}", 200, lead_answer(leadgen_id))
    graph.fail("GET", "/2", 503, times=1)  # then the lead
    gone = {"error": {"message": "Unsupported get request", "type": "GraphMethodException"}}
    graph.respond("GET", "/4", 400, {"error": {**gone["error"], "code": 100}})
    run(crm)
    assert [(r.state, r.attempts) for r in rows(crm)] == [
        ("processed", 1),
        ("pending", 1),
        ("processed", 1),
        ("failed", 1),
    ]
    second = rows(crm)[1]
    assert "Service temporarily unavailable" in second.last_error
    assert second.next_try_at is not None
    assert "cannot be fetched from Meta" in rows(crm)[3].reason

    from crmkit_social.webhooks.tables import change_table

    with crm.transaction() as tx:
        tx.conn.execute(update(change_table).values(next_try_at=utcnow()))
    process_pending(crm)
    assert [(r.state, r.attempts) for r in rows(crm)] == [
        ("processed", 1),
        ("processed", 2),
        ("processed", 1),
        ("failed", 1),
    ]
    assert [len(graph.requests_to("GET", f"/{n}")) for n in ("1", "2", "3", "4")] == [1, 2, 1, 1]
    with crm.read() as conn:
        assert conn.execute(
            select(lead.c.leadgen_id).order_by(lead.c.leadgen_id)
        ).scalars().all() == [
            "1",
            "2",
            "3",
        ]
