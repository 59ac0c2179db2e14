"""Applying partner records to parties: created, updated, unchanged, failed; matching;
external ids; blocked partners; repeated numbers in a batch."""

from __future__ import annotations

from datetime import UTC, datetime

from crmkit_erp_sap.partners.apply import apply_partners
from crmkit_erp_sap.partners.record import (
    CustomerRole,
    PartnerAddress,
    PartnerRecord,
    SalesArea,
)
from crmkit_erp_sap.partners.tables import partner
from sqlalchemy import select

from crmkit import SYSTEM, Crm, external_ids_of, find_by_external_id, get_party

BERLIN = PartnerAddress("Unter den Linden", "5", "10117", "Berlin", "DE")


def person(number: str, **changes: object) -> PartnerRecord:
    values: dict[str, object] = {
        "system": "S4P",
        "number": number,
        "category": "person",
        "first_name": "Jana",
        "last_name": f"Novak {number}",
        "emails": (f"jana.{number}@example.com",),
        "phones": ("+49 30 1234567",),
        "addresses": (BERLIN,),
        "last_change_at": datetime(2026, 11, 1, 9, 30, tzinfo=UTC),
        "customer": CustomerRole(f"C{number}", (SalesArea("1010", "10", "00"),)),
    }
    values.update(changes)
    return PartnerRecord(**values)  # type: ignore[arg-type]


def apply(crm: Crm, *records: PartnerRecord) -> list:
    with crm.transaction(SYSTEM) as tx:
        return apply_partners(tx, records)


def test_new_partners_become_customers_linked_by_their_number(crm: Crm) -> None:
    organisation = PartnerRecord(
        "S4P", "2000001", "organisation", organisation_name="Müller Maschinenbau GmbH"
    )
    outcomes = apply(crm, person("1000001"), organisation)
    assert [o.result for o in outcomes] == ["created", "created"]
    with crm.engine.connect() as conn:
        found = find_by_external_id(conn, "sap.s4p", "1000001")
        assert found is not None and found.id == outcomes[0].party_id
        assert found.role == "customer"
        assert (found.first_name, found.last_name) == ("Jana", "Novak 1000001")
        assert [str(e) for e in found.emails] == ["jana.1000001@example.com"]
        assert found.phones[0].e164 == "+49301234567"
        assert found.addresses[0].city == "Berlin"
        assert found.customer_number == "C1000001"  # type: ignore[attr-defined]
        org = get_party(conn, outcomes[1].party_id)
        assert (org.kind, org.display_name) == ("organisation", "Müller Maschinenbau GmbH")
        rows = conn.execute(select(partner).order_by(partner.c.business_partner)).all()
    assert [(r.business_partner, r.party_id, r.category) for r in rows] == [
        ("1000001", outcomes[0].party_id, "person"),
        ("2000001", outcomes[1].party_id, "organisation"),
    ]


def test_the_same_partner_again_is_unchanged_and_a_change_updates_its_party(crm: Crm) -> None:
    [first] = apply(crm, person("1000002"))
    assert [o.result for o in apply(crm, person("1000002"))] == ["unchanged"]
    [changed] = apply(crm, person("1000002", last_name="Novak-Svoboda", blocked=True))
    assert (changed.result, changed.party_id) == ("updated", first.party_id)
    with crm.engine.connect() as conn:
        party = get_party(conn, first.party_id)
        row = conn.execute(select(partner).where(partner.c.business_partner == "1000002")).one()
    assert party.last_name == "Novak-Svoboda"
    assert party.version == 2
    assert row.blocked is True  # marked, not deleted


def test_a_bad_record_fails_with_its_field_and_the_rest_go_on(crm: Crm) -> None:
    bad_email = person("1000003", emails=("not an address",))
    bad_country = person("1000004", addresses=(PartnerAddress(city="Nowhere", country="QQ"),))
    no_number = person("  ")
    outcomes = apply(crm, bad_email, person("1000005"), bad_country, no_number)
    assert [o.result for o in outcomes] == ["failed", "created", "failed", "failed"]
    assert outcomes[0].field.startswith("emails")
    assert outcomes[2].field.startswith("addresses[0].country")
    assert outcomes[3].field == "BusinessPartner"
    with crm.engine.connect() as conn:
        assert find_by_external_id(conn, "sap.s4p", "1000003") is None
        assert conn.execute(select(partner.c.business_partner)).scalars().all() == ["1000005"]


def test_a_partner_seen_first_is_matched_to_the_party_with_its_email(crm: Crm, new_party) -> None:
    existing = new_party(emails=["jana.1000006@example.com"], last_name="Novak")
    [outcome] = apply(crm, person("1000006"))
    assert (outcome.result, outcome.party_id) == ("updated", existing)
    with crm.engine.connect() as conn:
        assert [(e.system, e.external_id) for e in external_ids_of(conn, existing)] == [
            ("sap.s4p", "1000006")
        ]
    # A second partner with that address is another party: one party, one partner.
    [other] = apply(crm, person("1000007", emails=("jana.1000006@example.com",)))
    assert other.result == "created" and other.party_id != existing


def test_a_number_repeated_in_a_batch_is_applied_once_as_its_last_occurrence(crm: Crm) -> None:
    outcomes = apply(crm, person("1000008"), person("1000008", last_name="Later"))
    assert [o.result for o in outcomes] == ["unchanged", "created"]
    with crm.engine.connect() as conn:
        found = find_by_external_id(conn, "sap.s4p", "1000008")
    assert found is not None and found.last_name == "Later"


def test_an_update_clears_what_sap_no_longer_sends_as_a_create_would(pulling: Crm) -> None:
    crm = pulling  # declares the custom field erp_test_checked_by
    apply(crm, person("1000020", custom={"erp_test_checked_by": "ANNA"}))
    became = PartnerRecord(
        "S4P",
        "1000020",
        "organisation",
        organisation_name="Berg Bau GmbH",
        addresses=(BERLIN,),
        last_change_at=datetime(2026, 11, 2, tzinfo=UTC),
        custom={"erp_test_checked_by": None},
    )
    apply(crm, became)
    apply(
        crm,
        PartnerRecord(
            "S4P",
            "1000021",
            "organisation",
            organisation_name="Berg Bau GmbH",
            addresses=(BERLIN,),
            last_change_at=datetime(2026, 11, 2, tzinfo=UTC),
        ),
    )

    with crm.engine.connect() as conn:
        updated = find_by_external_id(conn, "sap.s4p", "1000020")
        created = find_by_external_id(conn, "sap.s4p", "1000021")
    assert updated is not None and created is not None
    assert updated.version == 2
    fields = ("kind", "first_name", "last_name", "organisation_name", "customer_number", "custom")
    assert [getattr(updated, f) for f in fields] == [getattr(created, f) for f in fields]
    assert (updated.first_name, updated.customer_number, updated.custom) == (None, None, {})
