"""The leadgen handler against the loopback Graph server: a lead fetched, mapped, taken in
through the kernel's intake with its source, ad and consent; once per leadgen id; Graph
failures retried or refused; rejected leads kept visible."""

from __future__ import annotations

from typing import Any

import pytest
from crmkit_social.accounts.graph import GraphError
from crmkit_social.leads.tables import lead
from crmkit_social.webhooks.model import PermanentFailure
from sqlalchemy import func, select

from crmkit import (
    Crm,
    consents_of,
    get_party,
    interaction_table,
    party_table,
    timeline,
)
from crmkit.testing import add_party

from .conftest import LEAD_FORM, lead_answer


@pytest.fixture
def crm(social_crm: Crm) -> Crm:
    return social_crm


def _leads(crm: Crm) -> list[Any]:
    with crm.read() as conn:
        return conn.execute(select(lead).order_by(lead.c.id)).all()


def _count(crm: Crm, table: Any) -> int:
    with crm.read() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


def test_a_lead_becomes_a_prospect_with_its_source_ad_and_consent(
    crm: Crm, take_lead: Any, graph: Any
) -> None:
    answer = lead_answer(
        "900001",
        disclaimers=[{"checkbox_key": "optin_marketing", "is_checked": "1"}],
    )
    take_lead("900001", answer)

    fetched = graph.requests_to("GET", "/900001")
    assert len(fetched) == 1
    assert (
        "field_data" in fetched[0].query["fields"] and "campaign_name" in fetched[0].query["fields"]
    )
    assert "page-token-1001" in fetched[0].headers.get("authorization", "")
    [row] = _leads(crm)
    assert row.outcome == "created" and row.platform == "facebook" and row.page_id == "1001"
    assert (row.form_id, row.ad_id, row.adset_id, row.campaign_id) == (
        LEAD_FORM,
        "23850001",
        "23850002",
        "23850003",
    )
    assert row.campaign_name == "Service campaign Q4" and row.is_organic is False
    with crm.read() as conn:
        party = get_party(conn, row.party_id)
        items = timeline(conn, row.party_id).items
        consents = consents_of(conn, row.party_id)
    assert (party.first_name, party.last_name) == ("Anna", "Berg")
    assert party.source == "social.facebook"
    assert [e.normalised for e in party.emails] == ["anna.berg@web.de"]
    assert [p.e164 for p in party.phones] == ["+4917041773520"]
    assert party.addresses[0].postcode == "10115" and party.addresses[0].country == "DE"
    [item] = items
    assert item.channel == "facebook" and item.direction == "inbound"
    assert {(r.kind, r.id) for r in item.refs} >= {
        ("social.lead", "900001"),
        ("meta.campaign", "23850003"),
        ("meta.ad", "23850001"),
        ("meta.form", LEAD_FORM),
    }
    assert "Service campaign Q4" in (item.summary or "")
    [consent] = consents
    assert (consent.purpose, consent.channel, consent.status) == ("marketing", "email", "granted")
    assert consent.source == "social.lead-form"
    assert LEAD_FORM in (consent.evidence or "") and "900001" in (consent.evidence or "")
    assert "optin_marketing" in (consent.evidence or "")
    assert row.consents == 1


def test_the_same_lead_again_makes_nothing_twice(crm: Crm, take_lead: Any, graph: Any) -> None:
    answer = lead_answer("900002", disclaimers=[{"checkbox_key": "optin", "is_checked": "1"}])
    take_lead("900002", answer)
    parties, interactions = _count(crm, party_table), _count(crm, interaction_table)
    take_lead("900002", answer)
    take_lead("900002", False)
    assert len(_leads(crm)) == 1
    assert (_count(crm, party_table), _count(crm, interaction_table)) == (parties, interactions)
    with crm.read() as conn:
        assert len(consents_of(conn, _leads(crm)[0].party_id)) == 1
    # The lead is fetched once: a resend is answered from the lead's row.
    assert len(graph.requests_to("GET", "/900002")) == 1


def test_a_graph_failure_leaves_nothing_and_the_retry_takes_the_lead(
    crm: Crm, take_lead: Any, graph: Any
) -> None:
    graph.respond("GET", "/900003", 200, lead_answer("900003"))
    graph.fail("GET", "/900003", 500, times=1)
    with pytest.raises(GraphError) as failed:
        take_lead("900003", False)
    assert failed.value.transient
    assert _leads(crm) == [] and _count(crm, party_table) == 0
    take_lead("900003", False)
    [row] = _leads(crm)
    assert row.outcome == "created" and row.party_id is not None


def test_a_lead_meta_no_longer_has_is_a_permanent_failure(crm: Crm, take_lead: Any) -> None:
    gone = {
        "error": {
            "message": "Unsupported get request. Object with ID '900004' does not exist",
            "type": "GraphMethodException",
            "code": 100,
            "error_subcode": 33,
            "fbtrace_id": "AbC",
        }
    }
    with pytest.raises(PermanentFailure) as failed:
        take_lead("900004", gone, status=400)
    assert "900004" in failed.value.reason
    assert _leads(crm) == [] and _count(crm, party_table) == 0


def test_a_lead_without_leadgen_id_is_refused(crm: Crm, lead_account: Any) -> None:
    from datetime import UTC, datetime

    from crmkit_social.leads.intake import take_change
    from crmkit_social.webhooks.model import Change

    change = Change("page", "1001", "leadgen", {"form_id": "1"}, datetime.now(UTC), "k")
    with pytest.raises(PermanentFailure), crm.transaction() as tx:
        take_change(tx, lead_account, change, None)
    odd = Change("page", "1001", "leadgen", {"leadgen_id": "me/accounts"}, datetime.now(UTC), "o")
    with pytest.raises(PermanentFailure) as refused, crm.transaction() as tx:
        take_change(tx, lead_account, odd, None)
    assert "no Graph id" in refused.value.reason


def test_a_rejected_lead_is_kept_with_its_findings(crm: Crm, take_lead: Any) -> None:
    take_lead(
        "900005",
        lead_answer("900005", fields={"full_name": "Test Test", "email": "test@example.com"}),
    )
    [row] = _leads(crm)
    assert row.outcome == "rejected" and row.party_id is None and row.interaction_id is None
    assert "fake_name" in {f["code"] for f in row.findings}
    assert _count(crm, party_table) == 0


def test_an_organic_lead_has_no_ad(crm: Crm, take_lead: Any) -> None:
    take_lead("900006", lead_answer("900006", organic=True))
    [row] = _leads(crm)
    assert row.is_organic is True
    # The change named an ad id; the lead has none: the change's is kept.
    assert row.campaign_id is None and row.campaign_name is None
    assert row.outcome == "created"


def test_a_lead_of_an_existing_customer_is_that_customer(crm: Crm, take_lead: Any) -> None:
    customer = add_party(
        crm,
        "customer",
        first_name="Anna",
        last_name="Berg",
        emails=["anna.berg@web.de"],
        phones=["+4917041773520"],
        addresses=[
            {"street": "Hauptstraße 12", "postcode": "10115", "city": "Berlin", "country": "DE"}
        ],
    )
    parties = _count(crm, party_table)
    take_lead("900007")
    [row] = _leads(crm)
    assert row.party_id == customer and row.outcome in ("matched", "merged")
    assert _count(crm, party_table) == parties
    with crm.read() as conn:
        assert [i.channel for i in timeline(conn, customer).items] == ["facebook"]


def test_a_lead_adding_a_number_to_a_customer_goes_to_review(crm: Crm, take_lead: Any) -> None:
    customer = add_party(
        crm, "customer", first_name="Anna", last_name="Berg", emails=["anna.berg@web.de"]
    )
    take_lead("900008")
    [row] = _leads(crm)
    # Strangers type into Meta's forms: a lead that would change a customer is not merged.
    assert row.outcome == "review" and row.party_id != customer
    with crm.read() as conn:
        assert [p.e164 for p in get_party(conn, customer).phones] == []


def test_an_instagram_lead_has_the_instagram_source(crm: Crm, take_lead: Any) -> None:
    take_lead("900009", lead_answer("900009", platform="ig"))
    [row] = _leads(crm)
    assert row.platform == "instagram"
    with crm.read() as conn:
        assert get_party(conn, row.party_id).source == "social.instagram"


def test_the_vehicle_is_kept_in_the_raw_record(crm: Crm, take_lead: Any) -> None:
    vehicle = {"make": "Volkswagen", "model": "ID.4", "year": "2025"}
    take_lead("900010", lead_answer("900010", vehicle=vehicle))
    [row] = _leads(crm)
    assert row.raw["vehicle"] == vehicle


def test_odd_answers_do_not_break_the_lead(crm: Crm, take_lead: Any) -> None:
    answer = lead_answer(
        "900011",
        fields={"full_name": "Jonas\x00 Weber", "email": "jonas.weber@web.de", "notiz": "a\x00b"},
    )
    answer["field_data"].append({"values": ["no name"]})
    answer["field_data"].append("not an object")
    answer["custom_disclaimer_responses"] = "not a list"
    take_lead("900011", answer)
    [row] = _leads(crm)
    assert row.outcome == "created"
    assert row.raw["unmapped"] == {"notiz": ["ab"]}
    assert "\x00" not in str(row.raw)
    with crm.read() as conn:
        assert get_party(conn, row.party_id).last_name == "Weber"


@pytest.mark.parametrize(
    "answer",
    [
        {"error": {"message": "weird"}},
        {"id": "900020", "field_data": None},
        {"id": "900020"},
    ],
)
def test_an_answer_that_is_no_lead_is_a_failed_fetch_retried_not_an_empty_person(
    crm: Crm, take_lead: Any, graph: Any, answer: dict[str, Any]
) -> None:
    with pytest.raises(GraphError) as failed:
        take_lead("900020", answer)
    assert failed.value.transient and "not a lead" in failed.value.message
    assert _leads(crm) == [] and _count(crm, party_table) == 0
    take_lead("900020", lead_answer("900020"))  # Graph answers properly at the retry
    [row] = _leads(crm)
    assert row.outcome == "created"


def test_a_form_whose_mapping_was_saved_before_its_first_lead_gets_its_name(
    crm: Crm, take_lead: Any, graph: Any
) -> None:
    from crmkit_social.leads.forms import change_form, get_form
    from crmkit_social.leads.intake import settings_of
    from crmkit_social.leads.tables import form_mapping

    from crmkit import SYSTEM

    settings = settings_of(crm)
    with crm.transaction(SYSTEM) as tx:
        form = get_form(tx.conn, settings, LEAD_FORM)
        change_form(tx, settings, LEAD_FORM, {"fields": {"modell": "ignore"}}, form.version)
    graph.respond("GET", f"/{LEAD_FORM}", 200, {"id": LEAD_FORM, "name": "Probefahrt"})
    take_lead("900021")
    assert len(graph.requests_to("GET", f"/{LEAD_FORM}")) == 1
    [row] = _leads(crm)
    assert row.form_name == "Probefahrt"
    with crm.read() as conn:
        stored = conn.execute(select(form_mapping).where(form_mapping.c.form_id == LEAD_FORM)).one()
    assert stored.name == "Probefahrt" and stored.fields == {"modell": "ignore"}
    take_lead("900022")  # named now: not asked again
    assert len(graph.requests_to("GET", f"/{LEAD_FORM}")) == 1
