"""Global search answered from ``core_search_term``: kept in step by every write, ranked, index-backed."""

from __future__ import annotations

import types
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Table, insert, select, text

from crmkit import Actor, hookimpl
from crmkit.app import Crm
from crmkit.core import migrate
from crmkit.core.importing import ImportOptions, import_parties
from crmkit.core.parties import (
    build_party,
    convert_prospect,
    create_party,
    load_parties,
    merge_parties,
    update_party,
)
from crmkit.core.privacy import erase_party
from crmkit.core.search import party_search, search_terms, typed_terms
from crmkit.core.tables import contact_point, party, search_term, utcnow
from crmkit.testing import http_client, register_plugin

ADMIN = Actor(user_id=None, username="searcher", role="admin")


def plugin(name: str, **hooks: Callable[..., Any]) -> Any:
    return register_plugin(
        types.SimpleNamespace(**{hook: hookimpl(f) for hook, f in hooks.items()}), name=name
    )


def login(actor: Actor = ADMIN) -> Any:
    return plugin("signon", actor_from_request=lambda app, request: actor)


def add(crm: Crm, role: str = "customer", **data: Any) -> int:
    with crm.transaction() as tx:
        entity = create_party(tx, build_party(role, data, region="DE"))
    assert entity.id is not None
    return entity.id


def found(crm: Crm, typed: str, role: str = "customer") -> set[int]:
    with crm.read() as conn:
        query = select(party.c.id).where(party.c.role == role, party_search(typed))
        return set(conn.execute(query).scalars())


def terms_of(crm: Crm, party_id: int) -> set[str]:
    with crm.read() as conn:
        query = select(search_term.c.term).where(search_term.c.party_id == party_id)
        return set(conn.execute(query).scalars())


@pytest.fixture
def people(crm: Crm) -> dict[str, int]:
    return {
        "kruger": add(
            crm,
            first_name="Jörg",
            last_name="Krüger",
            emails=["J.Krueger@Dealer.example"],
            phones=["+49 30 5550123"],
        ),
        "acme": add(
            crm,
            kind="organisation",
            organisation_name="Acme Röhren GmbH",
            emails=["info@acme.example"],
            phones=["+33 6 12 34 56 78"],
        ),
        "schmidt": add(crm, first_name="Anna", last_name="Schmidt-Weber"),
    }


@pytest.mark.parametrize(
    ("typed", "who"),
    [
        ("krüg", {"kruger"}),
        ("KRUGER", {"kruger"}),
        ("jörg krü", {"kruger"}),
        ("acme röh", {"acme"}),
        ("rohren", {"acme"}),
        ("j.krueger@dealer.example", {"kruger"}),
        ("dealer", {"kruger"}),
        ("ACME.EXAMPLE", {"acme"}),
        ("info@", {"acme"}),
        ("030 555 01", {"kruger"}),
        ("+49 30 5550123", {"kruger"}),
        ("0049-30-555", {"kruger"}),
        ("06 12 34", {"acme"}),
        ("weber", {"schmidt"}),
        ("schmidt-web", {"schmidt"}),
        ("example", {"kruger", "acme"}),
    ],
)
def test_search_finds_by_name_organisation_email_and_phone(crm, people, typed, who):
    assert found(crm, typed) == {people[name] for name in who}


@pytest.mark.parametrize("typed", ["ruger", "anna krüger", "%", "_", "555 9", "49 31", ""])
def test_search_finds_nobody_for_what_no_party_begins_with(crm, people, typed):
    assert found(crm, typed) == set()


def test_typed_text_is_read_as_one_phone_number_or_as_words():
    assert typed_terms("(030) 123-45") == ["3012345"]
    assert typed_terms("0049 30 12") == ["493012"]
    assert typed_terms("Jörg  KRÜGER,") == ["jorg", "kruger"]
    assert typed_terms("12") == ["12"]
    assert typed_terms("% ?") == []


def test_terms_follow_updates_conversion_and_merge(crm):
    ann = add(crm, "prospect", first_name="Ann", last_name="Lee", phones=["+49 30 1234567"])
    with crm.transaction() as tx:
        update_party(tx, ann, {"last_name": "Kim", "emails": ["ann@kim.example"]}, 1, region="DE")
    assert found(crm, "lee", "prospect") == set()
    assert found(crm, "kim.example", "prospect") == {ann}

    with crm.transaction() as tx:
        convert_prospect(tx, ann)
    assert found(crm, "ann kim") == {ann}

    twin = add(crm, first_name="Anne", last_name="Twin", emails=["anne@twin.example"])
    with crm.transaction() as tx:
        merge_parties(tx, ann, twin)
    assert terms_of(crm, twin) == set()
    assert found(crm, "twin.example") == {ann}
    assert found(crm, "030 1234567") == {ann}


def test_terms_are_exactly_those_of_the_stored_party(crm, people):
    with crm.read() as conn:
        stored = load_parties(conn, list(people.values()))
    for party_id, entity in stored.items():
        assert terms_of(crm, party_id) == search_terms(entity)
    assert {"jorg", "kruger", "j.krueger@dealer.example", "dealer", "305550123"} <= terms_of(
        crm, people["kruger"]
    )


def test_erasing_a_party_forgets_its_terms(crm, people):
    with crm.transaction() as tx:
        erase_party(tx, people["kruger"])

    assert terms_of(crm, people["kruger"]) == set()
    assert found(crm, "dealer") == set()


def test_imported_parties_are_found(crm, tmp_path: Path):
    source = tmp_path / "people.csv"
    source.write_text(
        "first_name,last_name,email,phone\nLiv,Østergaard,liv@fjord.example,030 777888\n"
    )

    import_parties(crm, "customer", source, ImportOptions(region="DE", workers=0))

    (liv,) = found(crm, "ØSTER")
    assert found(crm, "fjord") == found(crm, "030 777") == {liv}


def test_search_box_ranks_whole_words_first_and_hides_what_the_actor_may_not_see(make_crm):
    def permission_filter(actor: Actor, entity_type: str, table: Table) -> Any:
        return table.c.last_name != "Hidden" if entity_type == "customer" else None

    crm = make_crm([login(), plugin("territory", permission_filter=permission_filter)])
    add(crm, first_name="Annabel", last_name="Abbott")
    add(crm, first_name="Ann", last_name="Young")
    add(crm, first_name="Ann", last_name="Hidden")
    add(crm, first_name="Annika", last_name="Ann-Berg")
    client = http_client(crm)

    page = client.get("/search", params={"q": "ann"}).text
    customers = page.split('data-role="customer"')[1].split('data-role="prospect"')[0]

    order = [name for name in ("Annika Ann-Berg", "Ann Young", "Annabel Abbott") if name in page]
    assert sorted(order, key=customers.index) == ["Ann Young", "Annika Ann-Berg", "Annabel Abbott"]
    assert "Hidden" not in page


def test_list_search_pages_through_every_match(make_crm):
    crm = make_crm([login()])
    ids = {add(crm, first_name=f"Person{i}", last_name="Lindqvist") for i in range(5)}
    add(crm, first_name="Other", last_name="Lind")
    client = http_client(crm)

    first = client.get("/api/v1/customers", params={"q": "lindq", "limit": 3}).json()
    rest = client.get(
        "/api/v1/customers", params={"q": "lindq", "limit": 3, "cursor": first["next_cursor"]}
    ).json()

    assert {p["id"] for p in first["items"] + rest["items"]} == ids


def test_search_is_answered_from_the_term_index(crm, people):
    if crm.engine.dialect.name != "sqlite":
        pytest.skip("the plan of a tiny PostgreSQL table is a sequential scan whatever the index")
    query = select(party.c.id).where(party.c.role == "customer", party_search("krü 030"))
    sql = str(query.compile(crm.engine, compile_kwargs={"literal_binds": True}))

    with crm.read() as conn:
        plan = " ".join(str(row[-1]) for row in conn.execute(text(f"EXPLAIN QUERY PLAN {sql}")))

    assert "ix_core_search_term_term_party_id (term>? AND term<?)" in plan
    assert "SCAN core_search_term" not in plan


def store_before(crm: Crm, revision: str, phone: str) -> int:
    """A party stored straight into the tables of a database at ``revision``, as code then did."""
    migrate.upgrade(crm, revision)
    now = utcnow()
    with crm.engine.begin() as conn:
        party_id: int = conn.execute(
            insert(party)
            .values(
                role="customer",
                kind="person",
                display_name="Zoë Öztürk",
                first_name="Zoë",
                last_name="Öztürk",
                custom={},
                version=1,
                created_at=now,
                updated_at=now,
            )
            .returning(party.c.id)
        ).scalar_one()
        conn.execute(
            insert(contact_point),
            [
                dict(
                    party_id=party_id,
                    kind="email",
                    position=0,
                    value="Zoe@Ozturk.example",
                    key="zoe@ozturk.example",
                ),
                dict(party_id=party_id, kind="phone", position=0, value=phone, key=phone),
            ],
        )
    return party_id


def test_migration_indexes_the_parties_already_stored(make_crm):
    crm = make_crm([], create_tables=False)
    party_id = store_before(crm, "core_0004", "+442079460000")

    migrate.upgrade(crm)

    with crm.read() as conn:
        entity = load_parties(conn, [party_id])[party_id]
    assert terms_of(crm, party_id) == search_terms(entity)
    assert found(crm, "020 7946") == found(crm, "öztürk zoe") == {party_id}
