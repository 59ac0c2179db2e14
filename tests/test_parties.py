"""Prospects and customers: create, read, update, convert, merge and list."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from sqlalchemy import func, insert, select

from crmkit import (
    ConflictError,
    Customer,
    CustomField,
    NotFound,
    Party,
    PhoneNumber,
    PostalAddress,
    Prospect,
    ValidationError,
    hookimpl,
)
from crmkit.app import Crm
from crmkit.core.interactions import build_interaction, log_interaction, timeline
from crmkit.core.pagination import encode_cursor
from crmkit.core.parties import (
    build_party,
    convert_prospect,
    create_party,
    get_party,
    list_parties,
    merge_parties,
    update_party,
)
from crmkit.core.tables import contact_point, external_id, outbox, party, utcnow
from crmkit.testing import register_plugin

ANNA = {
    "first_name": "Anna",
    "last_name": "Berg",
    "emails": ["Anna.Berg@Example.com"],
    "phones": ["030 1234567"],
    "addresses": [
        {"street": "Hauptstraße", "street_number": "5", "city": "Berlin", "country": "de"}
    ],
}


def create(app: Crm, role: str = "prospect", **data: Any) -> Party:
    with app.transaction() as tx:
        return create_party(tx, build_party(role, data or ANNA, region="DE"))


def load(app: Crm, party_id: int) -> Party:
    with app.engine.connect() as conn:
        return get_party(conn, party_id)


def count(app: Crm, table: Any) -> int:
    with app.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


def event_types(app: Crm) -> list[str]:
    with app.engine.connect() as conn:
        return list(conn.execute(select(outbox.c.event_type).order_by(outbox.c.id)).scalars())


def add_external_id(app: Crm, party_id: int, system: str, value: str) -> None:
    with app.engine.begin() as conn:
        conn.execute(
            insert(external_id).values(
                system=system, external_id=value, party_id=party_id, created_at=utcnow()
            )
        )


def external_ids(app: Crm, party_id: int) -> set[tuple[str, str]]:
    with app.engine.connect() as conn:
        rows = conn.execute(select(external_id).where(external_id.c.party_id == party_id))
        return {(r.system, r.external_id) for r in rows}


def test_prospect_is_stored_with_normalised_contact_points(crm: Crm) -> None:
    created = create(crm)
    stored = load(crm, created.id)
    assert isinstance(stored, Prospect)
    assert stored.display_name == "Anna Berg"
    assert stored.status == "new"
    assert [e.original for e in stored.emails] == ["Anna.Berg@Example.com"]
    assert [e.normalised for e in stored.emails] == ["anna.berg@example.com"]
    assert stored.phones == (PhoneNumber("+49301234567"),)
    assert stored.addresses == (
        PostalAddress(street="Hauptstraße", street_number="5", city="Berlin", country="DE"),
    )
    assert stored.version == 1
    assert stored.created_at is not None and stored.created_at.tzinfo is not None
    assert event_types(crm) == ["prospect.created"]


def test_customer_organisation_is_stored(crm: Crm) -> None:
    created = create(
        crm, "customer", kind="organisation", organisation_name="Berg AG", customer_number="K-1"
    )
    stored = load(crm, created.id)
    assert isinstance(stored, Customer)
    assert stored.display_name == "Berg AG"
    assert stored.customer_number == "K-1"
    assert event_types(crm) == ["customer.created"]


def test_duplicate_contact_points_are_kept_once(crm: Crm) -> None:
    created = create(
        crm,
        last_name="Berg",
        emails=["a@example.com", "A@EXAMPLE.COM"],
        phones=["+49 30 1234567", "030 1234567"],
    )
    stored = load(crm, created.id)
    assert [e.original for e in stored.emails] == ["a@example.com"]
    assert len(stored.phones) == 1


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"last_name": "Berg", "emails": ["nope"]}, "emails[0]"),
        ({"last_name": "Berg", "phones": ["+49", "030 1234567"]}, "phones[0]"),
        (
            {"last_name": "Berg", "addresses": [{"city": "X", "country": "ZZ"}]},
            "addresses[0].country",
        ),
        ({"last_name": "Berg", "addresses": [{"town": "X"}]}, "addresses[0].town"),
        ({"last_name": "Berg", "birth_date": "31.12.1990"}, "birth_date"),
        ({"last_name": "Berg", "status": "hot"}, "status"),
        ({"last_name": "Berg", "nickname": "B"}, "nickname"),
        ({"kind": "organisation"}, "organisation_name"),
        ({"emails": ["a@example.com"]}, "last_name"),
        ({"last_name": "B" * 301}, "last_name"),
    ],
)
def test_bad_party_data_names_the_field_and_stores_nothing(
    crm: Crm, data: dict[str, Any], field: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        create(crm, **data)
    assert caught.value.field == field
    assert count(crm, party) == 0
    assert count(crm, outbox) == 0


def test_update_changes_fields_bumps_version_and_replaces_contact_points(crm: Crm) -> None:
    created = create(crm)
    with crm.transaction() as tx:
        updated = update_party(
            tx,
            created.id,
            {"last_name": "Berg-Lund", "phones": ["+44 20 7946 0958"], "birth_date": "1990-12-31"},
            expected_version=1,
            region="DE",
        )
    assert updated.version == 2
    stored = load(crm, created.id)
    assert stored.last_name == "Berg-Lund"
    assert stored.birth_date == date(1990, 12, 31)
    assert stored.phones == (PhoneNumber("+442079460958"),)
    assert [e.original for e in stored.emails] == ["Anna.Berg@Example.com"]
    assert stored.version == 2
    with crm.engine.connect() as conn:
        payload = conn.execute(
            select(outbox.c.payload).where(outbox.c.event_type == "prospect.updated")
        ).scalar_one()
    assert payload["fields"] == ["birth_date", "display_name", "last_name", "phones"]


def test_update_with_stale_version_is_a_conflict_and_changes_nothing(crm: Crm) -> None:
    created = create(crm)
    with crm.transaction() as tx:
        update_party(tx, created.id, {"first_name": "Anne"}, 1, region="DE")
    with pytest.raises(ConflictError), crm.transaction() as tx:
        update_party(tx, created.id, {"first_name": "Annika"}, 1, region="DE")
    stored = load(crm, created.id)
    assert (stored.first_name, stored.version) == ("Anne", 2)


def test_invalid_update_names_the_field_and_changes_nothing(crm: Crm) -> None:
    created = create(crm)
    with pytest.raises(ValidationError) as caught, crm.transaction() as tx:
        update_party(tx, created.id, {"emails": ["ok@example.com", "broken@"]}, 1, region="DE")
    assert caught.value.field == "emails[1]"
    stored = load(crm, created.id)
    assert [e.original for e in stored.emails] == ["Anna.Berg@Example.com"]
    assert stored.version == 1


def test_missing_party_is_not_found(crm: Crm) -> None:
    with pytest.raises(NotFound):
        load(crm, 999)
    created = create(crm)
    with crm.engine.connect() as conn, pytest.raises(NotFound):
        get_party(conn, created.id, role="customer")


class BothRoles:
    """Custom fields declared on prospect and customer (carried over) and prospect only."""

    @hookimpl
    def register_custom_fields(self) -> list[CustomField]:
        return [
            CustomField("prospect", "shop_tier", "choice", choices=("gold", "silver")),
            CustomField("customer", "shop_tier", "choice", choices=("gold", "silver")),
            CustomField("prospect", "shop_campaign", "text"),
        ]


def test_conversion_keeps_id_history_external_ids_and_shared_custom_fields(
    make_crm: Callable[..., Crm],
) -> None:
    app = make_crm(plugins=[register_plugin(BothRoles(), name="shop")])
    prospect = create(app, **ANNA, custom={"shop_tier": "gold", "shop_campaign": "spring"})
    with app.transaction() as tx:
        log_interaction(
            tx,
            build_interaction(
                {"party_id": prospect.id, "channel": "phone", "direction": "inbound"}
            ),
        )
    add_external_id(app, prospect.id, "erp", "4711")

    with app.transaction() as tx:
        customer = convert_prospect(tx, prospect.id, expected_version=1, customer_number="K-9")

    stored = load(app, prospect.id)
    assert isinstance(stored, Customer)
    assert stored.id == prospect.id == customer.id
    assert stored.customer_number == "K-9"
    assert stored.converted_at is not None
    assert stored.created_at == prospect.created_at
    assert stored.custom == {"shop_tier": "gold"}
    assert [e.original for e in stored.emails] == ["Anna.Berg@Example.com"]
    assert stored.version == 2
    with app.engine.connect() as conn:
        assert [i.channel for i in timeline(conn, prospect.id).items] == ["phone"]
    assert external_ids(app, prospect.id) == {("erp", "4711")}
    assert event_types(app)[-1] == "prospect.converted"


def test_converting_a_customer_or_with_a_stale_version_is_a_conflict(crm: Crm) -> None:
    customer = create(crm, "customer", last_name="Lund")
    with pytest.raises(ConflictError), crm.transaction() as tx:
        convert_prospect(tx, customer.id)
    prospect = create(crm)
    with crm.transaction() as tx:
        update_party(tx, prospect.id, {"status": "working"}, 1, region="DE")
    with pytest.raises(ConflictError), crm.transaction() as tx:
        convert_prospect(tx, prospect.id, expected_version=1)
    assert load(crm, prospect.id).role == "prospect"


def test_merge_keeps_contact_points_interactions_external_ids_and_custom_fields(
    make_crm: Callable[..., Crm],
) -> None:
    app = make_crm(plugins=[register_plugin(BothRoles(), name="shop")])
    survivor = create(
        app, last_name="Berg", emails=["anna@example.com"], custom={"shop_tier": "gold"}
    )
    merged = create(
        app,
        first_name="Anna",
        last_name="Berg",
        emails=["ANNA@example.com", "anna.b@work.example"],
        phones=["030 1234567"],
        custom={"shop_tier": "silver", "shop_campaign": "fair"},
    )
    with app.transaction() as tx:
        for party_id in (survivor.id, merged.id):
            log_interaction(
                tx,
                build_interaction(
                    {"party_id": party_id, "channel": "email", "direction": "inbound"}
                ),
            )
    add_external_id(app, merged.id, "erp", "4711")

    with app.transaction() as tx:
        merge_parties(tx, survivor.id, merged.id)

    stored = load(app, survivor.id)
    assert stored.first_name == "Anna"
    assert [e.original for e in stored.emails] == ["anna@example.com", "anna.b@work.example"]
    assert stored.phones == (PhoneNumber("+49301234567"),)
    assert stored.custom == {"shop_tier": "gold", "shop_campaign": "fair"}
    with app.engine.connect() as conn:
        assert len(timeline(conn, survivor.id).items) == 2
    assert external_ids(app, survivor.id) == {("erp", "4711")}
    with pytest.raises(NotFound):
        load(app, merged.id)
    assert event_types(app)[-1] == "party.merged"


def test_merging_into_a_customer_drops_fields_it_does_not_declare(
    make_crm: Callable[..., Crm],
) -> None:
    app = make_crm(plugins=[register_plugin(BothRoles(), name="shop")])
    customer = create(app, "customer", last_name="Berg")
    prospect = create(app, last_name="Berg", custom={"shop_campaign": "fair", "shop_tier": "gold"})
    with app.transaction() as tx:
        merge_parties(tx, customer.id, prospect.id)
    assert load(app, customer.id).custom == {"shop_tier": "gold"}
    # The survivor stays editable: nothing undeclared was stored on it.
    with app.transaction() as tx:
        update_party(tx, customer.id, {"first_name": "Anna"}, 2, region="DE")


def test_merge_refuses_self_and_missing_parties(crm: Crm) -> None:
    one = create(crm)
    with pytest.raises(ValidationError), crm.transaction() as tx:
        merge_parties(tx, one.id, one.id)
    with pytest.raises(NotFound), crm.transaction() as tx:
        merge_parties(tx, one.id, 999)
    assert count(crm, party) == 1


def outbox_events(app: Crm) -> list[tuple[str, dict[str, Any]]]:
    with app.engine.connect() as conn:
        rows = conn.execute(select(outbox.c.event_type, outbox.c.payload).order_by(outbox.c.id))
        return [(row.event_type, row.payload) for row in rows]


def test_merge_announces_the_survivors_filled_in_fields_before_the_merge(crm: Crm) -> None:
    survivor = create(crm, last_name="Berg", emails=["anna@example.com"])
    merged = create(crm, first_name="Anna", last_name="Berg", phones=["030 1234567"])
    plain = create(crm, last_name="Berg")
    before = len(outbox_events(crm))

    with crm.transaction() as tx:
        merge_parties(tx, survivor.id, merged.id)
    with crm.transaction() as tx:
        merge_parties(tx, survivor.id, plain.id)

    assert outbox_events(crm)[before:] == [
        (
            "prospect.updated",
            {
                "id": survivor.id,
                "fields": ["display_name", "first_name", "phones"],
                "version": 2,
            },
        ),
        ("party.merged", {"survivor_id": survivor.id, "merged_id": merged.id}),
        # The second duplicate brought nothing new: no field changed, nothing to announce.
        ("party.merged", {"survivor_id": survivor.id, "merged_id": plain.id}),
    ]


class NoPhonesForBerg:
    """Refuses any write that gives a Berg a phone number, merges included."""

    def __init__(self) -> None:
        self.seen: list[dict[str, Any]] = []

    @hookimpl
    def entity_validate(self, entity_type: str, entity: Any, changes: dict[str, Any]) -> None:
        if entity_type not in ("prospect", "customer"):
            return
        self.seen.append(changes)
        if entity.last_name == "Berg" and "phones" in changes:
            raise ValidationError("phones", "a Berg is reached by email only")


def test_a_plugin_refusing_the_survivors_change_leaves_both_parties_untouched(
    make_crm: Callable[..., Crm],
) -> None:
    guard = NoPhonesForBerg()
    app = make_crm(plugins=[register_plugin(guard, name="guard")])
    survivor = create(app, last_name="Berg", emails=["anna@example.com"])
    merged = create(app, first_name="Anna", last_name="Berg", phones=["030 1234567"])
    with app.transaction() as tx:
        log_interaction(
            tx,
            build_interaction({"party_id": merged.id, "channel": "email", "direction": "inbound"}),
        )
    add_external_id(app, merged.id, "erp", "4711")
    events = outbox_events(app)

    with pytest.raises(ValidationError) as refused, app.transaction() as tx:
        merge_parties(tx, survivor.id, merged.id)

    assert refused.value.field == "phones"
    assert set(guard.seen[-1]) == {"first_name", "phones", "display_name"}
    kept, other = load(app, survivor.id), load(app, merged.id)
    assert (kept.version, kept.first_name, kept.phones) == (1, None, ())
    assert (other.version, other.first_name) == (1, "Anna")
    with app.engine.connect() as conn:
        assert len(timeline(conn, merged.id).items) == 1
    assert external_ids(app, merged.id) == {("erp", "4711")}
    assert outbox_events(app) == events


def test_the_id_of_a_merged_party_is_never_given_to_a_new_one(crm: Crm) -> None:
    survivor = create(crm, last_name="Berg")
    newest = create(crm, last_name="Berg")
    with crm.transaction() as tx:
        merge_parties(tx, survivor.id, newest.id)

    assert create(crm, last_name="Cohn").id > newest.id


def test_list_pages_through_ties_completely_and_in_order(crm: Crm) -> None:
    ids = [create(crm, last_name=name).id for name in ["Berg", "Adler", "Berg", "Berg", "Cohn"]]
    seen: list[int] = []
    cursor = None
    with crm.engine.connect() as conn:
        while True:
            page = list_parties(conn, "prospect", cursor=cursor, limit=2)
            seen += [p.id for p in page.items]
            cursor = page.next_cursor
            if cursor is None:
                break
    assert seen == [ids[1], ids[0], ids[2], ids[3], ids[4]]


def test_list_sorts_newest_first_and_filters_by_role(crm: Crm) -> None:
    first = create(crm, last_name="A")
    second = create(crm, last_name="B")
    create(crm, "customer", last_name="C")
    with crm.engine.connect() as conn:
        page = list_parties(conn, "prospect", sort="created", descending=True, limit=1)
        rest = list_parties(
            conn, "prospect", sort="created", descending=True, cursor=page.next_cursor, limit=1
        )
    assert [p.id for p in page.items] == [second.id]
    assert [p.id for p in rest.items] == [first.id]
    assert rest.next_cursor is None


@pytest.mark.parametrize(
    ("options", "field"),
    [
        ({"sort": "age"}, "sort"),
        ({"limit": 0}, "limit"),
        ({"cursor": "garbage!"}, "cursor"),
        # Well-formed cursors holding what no page ends with: refused, never sent to SQL.
        ({"cursor": encode_cursor([["Ng"], 1])}, "cursor"),
        ({"cursor": encode_cursor(["Ng", "1"])}, "cursor"),
        ({"sort": "created", "cursor": encode_cursor(["2024-05-01T10:00:00", 1])}, "cursor"),
    ],
)
def test_bad_list_options_name_the_option(crm: Crm, options: dict[str, Any], field: str) -> None:
    with crm.read() as conn, pytest.raises(ValidationError) as caught:
        list_parties(conn, "prospect", **options)
    assert caught.value.field == field


def test_list_loads_contact_points_of_every_item(crm: Crm) -> None:
    create(crm)
    create(crm, last_name="Lund", emails=["l@example.com"])
    with crm.engine.connect() as conn:
        items = list_parties(conn, "prospect").items
    assert {p.last_name: len(p.emails) for p in items} == {"Berg": 1, "Lund": 1}
    assert count(crm, contact_point) == 4
