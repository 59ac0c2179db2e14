"""The whole path: a signed webhook delivery -> the processing job -> the lead fetched from
the loopback Graph server -> a prospect with its source, ad and consent; resends, Graph
failures and deleted leads through the webhooks part's retries."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from crmkit_social.leads.tables import lead
from sqlalchemy import select, update

from crmkit import Crm, consents_of, get_party, utcnow
from crmkit.testing import http_client

from .conftest import delivery, lead_answer, leadgen


@pytest.fixture
def crm(social_crm: Crm) -> Crm:
    return social_crm


def _deliver(crm: Crm, post_delivery: Any, *leadgen_ids: str) -> None:
    payload = delivery("1001", *(leadgen(i) for i in leadgen_ids))
    with http_client(crm) as client:
        answer = post_delivery(client, payload)
    assert answer.status_code == 200, answer.text


def _run(crm: Crm) -> dict[str, int]:
    result = crm.jobs.run("social.process_changes")
    assert result.ok, result.error
    from crmkit_social.webhooks.process import process_pending

    return process_pending(crm)  # anything left due: none, unless a test made it due


def _changes(crm: Crm) -> list[Any]:
    from crmkit_social.webhooks.tables import change_table

    with crm.read() as conn:
        return list(conn.execute(select(change_table).order_by(change_table.c.id)))


def _leads(crm: Crm) -> list[Any]:
    with crm.read() as conn:
        return list(conn.execute(select(lead).order_by(lead.c.leadgen_id)))


def test_a_signed_delivery_becomes_prospects_with_source_and_consent(
    crm: Crm, lead_account: Any, graph: Any, post_delivery: Any
) -> None:
    graph.respond(
        "GET",
        "/950001",
        200,
        lead_answer("950001", disclaimers=[{"checkbox_key": "optin", "is_checked": "1"}]),
    )
    paris = {"full_name": "Camille Martin", "email": "camille.martin@orange.fr", "city": "Paris"}
    graph.respond("GET", "/950002", 200, lead_answer("950002", fields=paris))
    _deliver(crm, post_delivery, "950001", "950002")
    _run(crm)
    assert [c.state for c in _changes(crm)] == ["processed", "processed"]
    first, second = _leads(crm)
    assert (first.outcome, second.outcome) == ("created", "created")
    with crm.read() as conn:
        anna = get_party(conn, first.party_id)
        assert anna.source == "social.facebook"
        [consent] = consents_of(conn, first.party_id)
        assert consent.status == "granted"
        assert get_party(conn, second.party_id).first_name == "Camille"

    # Meta resends the delivery (it did not hear our 200): nothing happens twice.
    _deliver(crm, post_delivery, "950001", "950002")
    _run(crm)
    assert len(_leads(crm)) == 2
    assert len(graph.requests_to("GET", "/950001")) == 1


def test_a_graph_failure_is_retried_and_the_lead_is_never_lost(
    crm: Crm, lead_account: Any, graph: Any, post_delivery: Any
) -> None:
    graph.respond("GET", "/950003", 200, lead_answer("950003"))
    graph.fail("GET", "/950003", 503, times=1)
    _deliver(crm, post_delivery, "950003")
    _run(crm)
    [change] = _changes(crm)
    assert change.state == "pending" and change.attempts == 1
    assert "503" in (change.last_error or "") and change.next_try_at is not None
    assert _leads(crm) == []

    from crmkit_social.webhooks.tables import change_table

    with crm.transaction() as tx:
        tx.conn.execute(update(change_table).values(next_try_at=utcnow() - timedelta(seconds=1)))
    _run(crm)
    [change] = _changes(crm)
    assert change.state == "processed"
    [row] = _leads(crm)
    assert row.outcome == "created"


def test_a_deleted_lead_fails_visibly_with_its_reason(
    crm: Crm, lead_account: Any, graph: Any, post_delivery: Any
) -> None:
    graph.respond(
        "GET",
        "/950004",
        400,
        {
            "error": {
                "message": "Object with ID '950004' does not exist",
                "code": 100,
                "type": "GraphMethodException",
            }
        },
    )
    _deliver(crm, post_delivery, "950004")
    _run(crm)
    [change] = _changes(crm)
    assert change.state == "failed" and "950004" in change.reason
    assert _leads(crm) == []
