"""Churn risk in the CRM: scoring with reasons (signals from a source), the work list's record
rules (owners see only their own customers) over the API and the page, the command with
``--evaluate`` on generated histories, merge and erasure."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from crmkit_analytics.churn import service
from crmkit_analytics.churn.tables import risk
from crmkit_analytics.sources import Signal
from sqlalchemy import select

from crmkit import Crm, erase_party, export_party, merge_parties, utcnow
from crmkit.testing import add_party, add_user, invoke

from .conftest import (
    CrmMaker,
    GeneratedCrm,
    PartyMaker,
    PurchaseAdder,
    Staff,
    insert_purchases,
    signal_source,
)


def scored(crm: Crm) -> dict[int, Any]:
    with crm.read() as conn:
        return {row.party_id: row for row in conn.execute(select(risk))}


@pytest.fixture
def book(
    crm: Crm, staff: Staff, new_party: PartyMaker, add_purchases: PurchaseAdder
) -> dict[str, Any]:
    """Four Berlin customers: Rita's (a sales rep of DE-10), the manager's, Otto's (a rep of
    FR-75) and nobody's; each a monthly buyer gone quiet for a different time."""
    rita = add_user(crm, "rita", "sales", team="north", territories=("DE-10",))
    owners = {
        "rita": rita.user_id,
        "max": staff.manager.user_id,
        "otto": staff.outsider.user_id,
        "none": None,
    }
    parties = {}
    for silence, (name, owner) in zip((200, 150, 100, 50), owners.items(), strict=True):
        party = new_party(owner_id=owner, last_name=f"Customer of {name}")
        add_purchases(party, [(silence + 30 * k, 40.0) for k in range(6)])
        parties[name] = party
    return {"rita": rita, "parties": parties}


def test_scores_carry_their_reasons(make_analytics: CrmMaker) -> None:
    signals: list[Signal] = []
    crm = make_analytics(plugins=(signal_source(signals),))
    now = utcnow()
    unhappy = add_party(crm, last_name="Unhappy")
    insert_purchases(crm, unhappy, [(120, 80.0), (150, 90.0), (180, 100.0), (210, 100.0)])
    content = add_party(crm, last_name="Content")
    insert_purchases(crm, content, [(2, 100.0), (32, 100.0), (62, 100.0), (92, 100.0)])
    signals.append(Signal(unhappy, "complaint", now - timedelta(days=20)))
    signals.append(Signal(unhappy, "detractor", now - timedelta(days=10), weight=0.9))
    signals.append(Signal(content, "detractor", now - timedelta(days=400)))  # long ago
    done = service.refresh(crm, now)
    assert done["scored"] == 2
    assert not done["fitted"]  # two customers: the starting weights
    found = scored(crm)
    assert found[unhappy].score > found[content].score
    kinds = [reason["kind"] for reason in found[unhappy].reasons]
    assert set(kinds) == {"silence", "complaints", "detractors", "no_contact", "spend"}
    silence = next(r["text"] for r in found[unhappy].reasons if r["kind"] == "silence")
    assert silence == "No purchase for 120 days, 4.0 times their usual gap of 30 days"
    assert found[content].detractors == 0.0
    assert [r["kind"] for r in found[content].reasons] == ["no_contact"]
    assert found[unhappy].days_since_contact is None


def test_owners_see_only_their_own_customers(
    crm: Crm, staff: Staff, book: dict[str, Any], client_as: Any
) -> None:
    parties = book["parties"]
    service.refresh(crm)
    scores = scored(crm)
    riskiest_first = sorted(scores, key=lambda p: (-scores[p].score, p))
    assert set(riskiest_first) == set(parties.values())

    def listed(actor: Any, **params: Any) -> list[int]:
        with client_as(actor) as client:
            answer = client.get("/p/analytics/churn", params=params)
        assert answer.status_code == 200, answer.text
        return [item["party_id"] for item in answer.json()]

    # Rita sees all four Berlin customers elsewhere (her territory); here only her own.
    assert listed(book["rita"]) == [parties["rita"]]
    assert listed(staff.outsider) == [parties["otto"]]
    # A manager: the territory's customers, as the kernel's record rules say; narrowed by owner.
    assert listed(staff.manager) == riskiest_first
    assert listed(staff.manager, owner_id=book["rita"].user_id) == [parties["rita"]]
    assert listed(staff.admin, limit=2) == riskiest_first[:2]
    with client_as(staff.agent) as client:
        assert client.get("/p/analytics/churn").status_code == 403
    with client_as(staff.admin) as client:
        bad = client.get("/p/analytics/churn", params={"limit": "0"})
        assert bad.status_code == 422
        assert bad.json()["field"] == "limit"


def test_work_list_page_links_to_the_owners_customers(
    crm: Crm, staff: Staff, book: dict[str, Any], client_as: Any
) -> None:
    service.refresh(crm)
    with client_as(book["rita"]) as client:
        page = client.get("/p/analytics/page/churn")
    assert page.status_code == 200
    assert f'href="/parties/{book["parties"]["rita"]}"' in page.text
    assert "Customer of rita" in page.text
    assert "Customer of max" not in page.text
    assert "their usual gap" in page.text


def test_job_replaces_the_scores(crm: Crm, book: dict[str, Any]) -> None:
    assert crm.jobs.run("analytics.churn").ok
    assert crm.jobs.run("analytics.churn").ok
    assert set(scored(crm)) == set(book["parties"].values())


def test_merge_and_erasure_remove_the_score(crm: Crm, book: dict[str, Any]) -> None:
    parties = book["parties"]
    service.refresh(crm)
    with crm.transaction() as tx:
        exported = export_party(tx.conn, tx.hooks, parties["otto"])["analytics"]["churn_risk"]
        assert exported["score"] > 0 and exported["reasons"]
        merge_parties(tx, parties["none"], parties["max"])
        erase_party(tx, parties["otto"])
    assert set(scored(crm)) == {parties["rita"], parties["none"]}


def test_evaluate_command_reports_both_aucs(generated_crm: Any) -> None:
    made: GeneratedCrm = generated_crm(customers=400, seed=5)
    result = invoke(made.crm, "analytics", "churn", "--evaluate")
    assert result.exit_code == 0, result.output
    found = json.loads(result.output.strip().splitlines()[-1])
    assert found["fitted"]
    assert found["model_auc"] > found["recency_auc"]
    # Evaluating stores nothing; scoring does, and ranks the generated churners first.
    assert scored(made.crm) == {}
    result = invoke(made.crm, "analytics", "churn")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output.strip().splitlines()[-1])["scored"] > 200
