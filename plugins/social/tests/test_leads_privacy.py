"""A party's leads go with its export and erasure, and follow it through a merge."""

from __future__ import annotations

from typing import Any

import pytest
from crmkit_social.leads.tables import lead
from sqlalchemy import select

from crmkit import Crm, erase_party, export_party, merge_parties
from crmkit.testing import add_party

from .conftest import lead_answer


@pytest.fixture
def crm(social_crm: Crm) -> Crm:
    return social_crm


def _party_of(crm: Crm, leadgen_id: str) -> int | None:
    with crm.read() as conn:
        found: int | None = conn.execute(
            select(lead.c.party_id).where(lead.c.leadgen_id == leadgen_id)
        ).scalar_one_or_none()
        return found


def test_the_export_holds_the_leads_answers(crm: Crm, take_lead: Any) -> None:
    take_lead("930001", lead_answer("930001", vehicle={"make": "Skoda"}))
    party = _party_of(crm, "930001")
    assert party is not None
    with crm.read() as conn:
        exported = export_party(conn, crm.host, party)["social"]["leads"]
    [one] = exported
    assert one["leadgen_id"] == "930001" and one["campaign"]["name"] == "Service campaign Q4"
    assert {"name": "email", "values": ["anna.berg@web.de"]} in one["answers"]["field_data"]
    assert one["answers"]["vehicle"] == {"make": "Skoda"}


def test_erasure_forgets_the_leads(crm: Crm, take_lead: Any) -> None:
    take_lead("930002")
    party = _party_of(crm, "930002")
    assert party is not None
    with crm.transaction() as tx:
        erase_party(tx, party)
    with crm.read() as conn:
        assert conn.execute(select(lead)).all() == []


def test_a_merge_moves_the_leads_to_the_survivor(crm: Crm, take_lead: Any) -> None:
    take_lead("930003")
    merged = _party_of(crm, "930003")
    assert merged is not None
    survivor = add_party(crm, "customer", first_name="Anna", last_name="Berg-Schulz")
    with crm.transaction() as tx:
        merge_parties(tx, survivor, merged)
    assert _party_of(crm, "930003") == survivor
