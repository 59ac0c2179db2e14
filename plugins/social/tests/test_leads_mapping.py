"""Mapping a lead's fields: the defaults for Meta's standard questions, unmapped fields kept,
a form's own mapping edited by an integrator, consent questions."""

from __future__ import annotations

from typing import Any

import pytest
from crmkit_social.leads.forms import change_form, get_form
from crmkit_social.leads.intake import settings_of
from crmkit_social.leads.mapping import DEFAULT_FIELDS, check_fields, map_lead
from crmkit_social.leads.tables import lead
from sqlalchemy import select

from crmkit import (
    SYSTEM,
    Crm,
    CustomField,
    ValidationError,
    consents_of,
    get_party,
    hookimpl,
    timeline,
)
from crmkit.testing import register_plugin

from .conftest import LEAD_FORM, lead_answer


@pytest.fixture
def crm(social_crm: Crm) -> Crm:
    return social_crm


def _field_data(**fields: Any) -> list[dict[str, Any]]:
    return [{"name": k, "values": v if isinstance(v, list) else [v]} for k, v in fields.items()]


def _map(fields: list[dict[str, Any]], targets: dict[str, str] | None = None, **kw: Any) -> Any:
    return map_lead(
        fields,
        kw.pop("disclaimers", None),
        {**DEFAULT_FIELDS, **(targets or {})},
        disclaimer_consent=kw.pop("disclaimer_consent", True),
        purpose="marketing",
        channels=("email",),
    )


def test_the_standard_questions_make_a_prospect() -> None:
    mapped = _map(
        _field_data(
            first_name="Jonas",
            last_name="Weber",
            work_email="j.weber@firma.de",
            phone_number="0170 4417352",
            company_name="Weber Logistik GmbH",
            date_of_birth="03/31/1986",
            zip_code="20095",
            city="Hamburg",
            state="HH",
        )
    )
    assert mapped.data == {
        "first_name": "Jonas",
        "last_name": "Weber",
        "organisation_name": "Weber Logistik GmbH",
        "birth_date": "1986-03-31",
        "emails": ["j.weber@firma.de"],
        "phones": ["0170 4417352"],
        "addresses": [{"postcode": "20095", "city": "Hamburg", "region": "HH"}],
    }
    assert mapped.unmapped == {} and mapped.problems == {}


def test_a_full_name_is_split_and_a_company_alone_is_an_organisation() -> None:
    assert _map(_field_data(full_name="Marie-Luise von der Heide")).data == {
        "first_name": "Marie-Luise von der",
        "last_name": "Heide",
    }
    assert _map(_field_data(full_name="Cher")).data == {"last_name": "Cher"}
    organisation = _map(_field_data(company_name="Nordlicht AG", email="info@nordlicht.de")).data
    assert organisation["kind"] == "organisation"


def test_unknown_fields_and_unreadable_dates_are_kept_raw() -> None:
    mapped = _map(
        _field_data(
            full_name="Anna Berg",
            email="anna.berg@web.de",
            wunschtermin="nächste Woche",
            date_of_birth="sometime",
        )
    )
    assert mapped.unmapped == {"wunschtermin": ["nächste Woche"], "date_of_birth": ["sometime"]}
    assert "date_of_birth" in mapped.problems
    assert "birth_date" not in mapped.data


def test_consent_questions_and_disclaimers() -> None:
    mapped = _map(
        _field_data(email="a@b.de", newsletter_ok="Ja", sms_ok="no", phone_ok="vielleicht"),
        {
            "newsletter_ok": "consent:newsletter:email",
            "sms_ok": "consent:offers:sms",
            "phone_ok": "consent",
            "tos": "ignore",
        },
        disclaimers=[
            {"checkbox_key": "optin", "is_checked": "1"},
            {"checkbox_key": "optin_partners", "is_checked": ""},
            {"checkbox_key": "tos", "is_checked": "1"},
        ],
    )
    assert {(c.question, c.purpose, c.channel, c.status) for c in mapped.consents} == {
        ("newsletter_ok", "newsletter", "email", "granted"),
        ("sms_ok", "offers", "sms", "withdrawn"),
        ("optin", "marketing", "email", "granted"),
    }
    assert "phone_ok" in mapped.problems
    # Without disclaimer_consent an unmapped ticked box records nothing.
    off = _map(
        [], disclaimers=[{"checkbox_key": "optin", "is_checked": "1"}], disclaimer_consent=False
    )
    assert off.consents == []


def test_bad_targets_are_refused_naming_the_field() -> None:
    with pytest.raises(ValidationError) as refused:
        check_fields({"email": "email", "model": "vehicle"})
    assert refused.value.field == "fields.model"
    assert check_fields({"x": "custom.social_interest", "y": "consent:news:post"}) == {
        "x": "custom.social_interest",
        "y": "consent:news:post",
    }


def test_a_mapping_edit_places_the_forms_own_questions(crm: Crm, take_lead: Any) -> None:
    own = {"vorname": "Lena", "nachname": "Vogt", "mail": "lena.vogt@gmx.de", "modell": "ID.4"}
    take_lead("910001", lead_answer("910001", fields=own))
    with crm.read() as conn:
        first = conn.execute(select(lead)).one()
    # Nothing of it is a standard question: rejected (no name), every answer kept raw.
    assert first.outcome == "rejected"
    assert set(first.raw["unmapped"]) == {"vorname", "nachname", "mail", "modell"}

    settings = settings_of(crm)
    with crm.transaction(SYSTEM) as tx:
        form = get_form(tx.conn, settings, LEAD_FORM)
        change_form(
            tx,
            settings,
            LEAD_FORM,
            {"fields": {"vorname": "first_name", "nachname": "last_name", "mail": "email"}},
            form.version,
        )
    take_lead("910002", lead_answer("910002", fields=own))
    with crm.read() as conn:
        second = conn.execute(select(lead).where(lead.c.leadgen_id == "910002")).one()
        party = get_party(conn, second.party_id)
        [item] = timeline(conn, second.party_id).items
    assert second.outcome == "created"
    assert (party.first_name, party.last_name) == ("Lena", "Vogt")
    assert second.raw["unmapped"] == {"modell": ["ID.4"]}
    assert "modell: ID.4" in (item.summary or "")


def test_a_consent_question_of_the_form_becomes_consent(crm: Crm, take_lead: Any) -> None:
    settings = settings_of(crm)
    with crm.transaction(SYSTEM) as tx:
        change_form(tx, settings, LEAD_FORM, {"fields": {"newsletter": "consent:newsletter"}}, 0)
    fields = {"full_name": "Jonas Weber", "email": "jonas.weber@web.de", "newsletter": "Nein"}
    take_lead("910003", lead_answer("910003", fields=fields))
    with crm.read() as conn:
        row = conn.execute(select(lead)).one()
        [consent] = consents_of(conn, row.party_id)
    assert (consent.purpose, consent.channel, consent.status) == (
        "newsletter",
        "email",
        "withdrawn",
    )


class ProspectFields:
    """A plugin adding a custom field to prospects, for mappings to name."""

    @hookimpl
    def register_custom_fields(self) -> list[CustomField]:
        return [CustomField("prospect", "dealer_model", "text")]


def test_a_mapping_names_only_custom_fields_prospects_have(
    make_social: Any, social_settings: dict[str, Any]
) -> None:
    crm = make_social(
        social=social_settings, plugins=(register_plugin(ProspectFields(), name="dealer"),)
    )
    settings = settings_of(crm)
    with crm.transaction(SYSTEM) as tx, pytest.raises(ValidationError) as refused:
        change_form(tx, settings, LEAD_FORM, {"fields": {"modell": "custom.nope"}}, None)
    assert refused.value.field == "fields.modell"
    with crm.transaction(SYSTEM) as tx:
        form = change_form(
            tx, settings, LEAD_FORM, {"fields": {"modell": "custom.dealer_model"}}, None
        )
    assert form.fields == {"modell": "custom.dealer_model"}
