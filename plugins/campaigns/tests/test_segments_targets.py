"""What a segment targets: only parties its runner sees, never a suppressed one; references to
saved segments and lists; malformed definitions refused naming the JSON path."""

from __future__ import annotations

from typing import Any

import pytest
from crmkit_campaigns.segments import lists, service
from crmkit_campaigns.segments.tables import segment
from crmkit_campaigns.segments.targets import compile_segment, target_query
from sqlalchemy import func, select

from crmkit import Actor, Crm, NotFound, ValidationError

MUNICH = [{"street": "Marienplatz 1", "postcode": "80331", "city": "München", "country": "DE"}]
CUSTOMERS = {"criterion": "role", "op": "eq", "value": "customer"}


def ids(crm: Crm, actor: Actor, **target: Any) -> set[int]:
    with crm.transaction(actor) as tx:
        query = target_query(tx, **target) if target else compile_segment(tx, {"all": []})
        return {row.party_id for row in tx.conn.execute(query)}


def save(crm: Crm, actor: Actor, definition: Any, name: str = "Segment") -> int:
    with crm.transaction(actor) as tx:
        return service.create_segment(tx, {"name": name, "definition": definition}).id


def new_list(crm: Crm, actor: Actor, kind: str, party_ids: list[int]) -> int:
    with crm.transaction(actor) as tx:
        made = lists.create_list(tx, kind, {"name": f"A {kind} list"})
        if party_ids:
            lists.add_members(tx, made.id, kind, {"party_ids": party_ids})
        return made.id


def test_the_outsider_sees_none_of_the_berlin_parties(crm: Crm, staff: Any, new_party: Any) -> None:
    berlin = {new_party(), new_party("prospect")}
    segment_id = save(crm, staff.marketer, {"all": []})
    assert ids(crm, staff.marketer, segment_id=segment_id) == berlin
    with crm.transaction(staff.outsider) as tx:
        # A sales rep may not read segments at all; to them the segment does not exist.
        with pytest.raises(NotFound):
            target_query(tx, segment_id=segment_id)
        assert tx.conn.execute(compile_segment(tx, {"all": []})).all() == []


def test_a_saved_segment_yields_what_its_runner_sees(
    crm: Crm, staff: Any, new_party: Any, new_user: Any
) -> None:
    rep = new_user("rita", "sales", team="south")
    in_berlin = new_party(owner_id=rep.user_id)
    in_munich = new_party(owner_id=rep.user_id, addresses=MUNICH)
    segment_id = save(crm, staff.marketer, CUSTOMERS)
    assert ids(crm, staff.marketer, segment_id=segment_id) == {in_berlin, in_munich}
    # The manager of DE-10 sees the Berlin customer (his territory), not the Munich one.
    assert ids(crm, staff.manager, segment_id=segment_id) == {in_berlin}


def test_suppression_lists_leave_parties_out_by_party_and_by_address(
    crm: Crm, staff: Any, new_party: Any
) -> None:
    mia = staff.marketer
    kept = new_party(emails=["kept@example.org"])
    by_party = new_party(emails=["p@example.org"])
    by_address = new_party(emails=["Someone@Example.org"])
    static = new_list(crm, mia, "static", [kept, by_party, by_address])
    suppression = new_list(crm, mia, "suppression", [by_party])
    with crm.transaction(mia) as tx:
        lists.add_addresses(tx, suppression, {"emails": ["someone@example.org"]})
    assert ids(crm, mia, list_id=static) == {kept}
    assert ids(crm, mia) == {kept}
    # A suppression list is no target.
    with crm.transaction(mia) as tx, pytest.raises(NotFound):
        target_query(tx, list_id=suppression)


def test_segment_and_list_references(crm: Crm, staff: Any, new_party: Any) -> None:
    mia = staff.marketer
    berlin, munich = new_party(), new_party(addresses=MUNICH)
    prospect = new_party("prospect", addresses=MUNICH)
    in_munich = save(crm, mia, {"criterion": "city", "op": "eq", "value": "München"})
    listed = new_list(crm, mia, "static", [berlin, prospect])
    both = save(
        crm,
        mia,
        {
            "any": [
                {"criterion": "segment", "value": in_munich},
                {"criterion": "list", "value": listed},
            ]
        },
    )
    assert ids(crm, mia, segment_id=both) == {berlin, munich, prospect}
    customers_not_listed = save(
        crm, mia, {"all": [CUSTOMERS, {"criterion": "list", "op": "not_in", "value": listed}]}
    )
    assert ids(crm, mia, segment_id=customers_not_listed) == {munich}


def test_a_reference_the_runner_may_not_read_is_refused(
    crm: Crm, staff: Any, new_party: Any
) -> None:
    new_party()
    saved = save(crm, staff.marketer, {"all": []})
    with crm.transaction(staff.outsider) as tx, pytest.raises(ValidationError) as refused:
        compile_segment(tx, {"criterion": "segment", "value": saved})
    assert refused.value.field == "definition.value"
    assert "does not exist" in refused.value.reason


def test_a_segment_may_not_refer_to_itself(crm: Crm, staff: Any) -> None:
    mia = staff.marketer
    first = save(crm, mia, CUSTOMERS)
    second = save(crm, mia, {"criterion": "segment", "value": first})
    with crm.transaction(mia) as tx, pytest.raises(ValidationError) as refused:
        service.update_segment(
            tx, first, {"definition": {"criterion": "segment", "value": second}}, 1
        )
    assert refused.value.field == "definition.value"
    assert "refers to itself" in refused.value.reason


def test_target_query_needs_exactly_one_target(crm: Crm, staff: Any) -> None:
    with crm.transaction(staff.marketer) as tx:
        for target in ({}, {"segment_id": 1, "list_id": 2}):
            with pytest.raises(ValidationError) as refused:
                target_query(tx, **target)
            assert refused.value.field == "segment_id"
        with pytest.raises(NotFound):
            target_query(tx, segment_id=404)
        with pytest.raises(NotFound):
            target_query(tx, list_id=404)


@pytest.mark.parametrize(
    ("definition", "field"),
    [
        ([], "definition"),
        ({"all": {}}, "definition.all"),
        ({"any": []}, "definition.any"),
        ({"all": [CUSTOMERS], "any": [CUSTOMERS]}, "definition"),
        ({"all": [CUSTOMERS, {"criterion": "shoe_size"}]}, "definition.all[1].criterion"),
        ({"all": [CUSTOMERS, {"criterion": "role", "value": "alien"}]}, "definition.all[1].value"),
        (
            {"all": [CUSTOMERS, CUSTOMERS, {"criterion": "role", "op": "like"}]},
            "definition.all[2].op",
        ),
        ({"criterion": "role", "value": "customer", "colour": 1}, "definition.colour"),
        ({"criterion": "interactions", "with": {"within_days": -1}}, "definition.with.within_days"),
        ({"criterion": "interactions", "with": {"mood": "x"}}, "definition.with.mood"),
        ({"criterion": "interactions", "op": "at_least", "value": 0}, "definition.value"),
        ({"criterion": "territory", "value": [" "]}, "definition.value[0]"),
        ({"criterion": "country", "value": "Germany"}, "definition.value"),
        ({"criterion": "created_at", "op": "before", "value": "2026-13-01"}, "definition.value"),
        ({"criterion": "consent", "value": "granted"}, "definition.with.purpose"),
        ({"criterion": "consent", "value": "maybe", "with": {"purpose": "x"}}, "definition.value"),
        ({"criterion": "segment", "value": 999}, "definition.value"),
        ({"criterion": "list", "value": "x"}, "definition.value"),
        ({"criterion": "custom.nothing", "value": 1}, "definition.criterion"),
        ({"criterion": "orders"}, "definition.criterion"),
        # max_depth (6) levels of all, any and not are accepted (below); a seventh is refused.
        (
            {"not": {"not": {"not": {"not": {"not": {"not": {"not": CUSTOMERS}}}}}}},
            "definition.not.not.not.not.not.not",
        ),
        ({"all": [], "colour": "red"}, "definition.colour"),
        ({"not": CUSTOMERS, "all": []}, "definition"),
        ({"criterion": "name", "op": "empty", "value": 5}, "definition.value"),
        ({"criterion": "score", "op": "not_empty", "value": 1}, "definition.value"),
        ({"criterion": "interactions", "op": "none", "value": 3}, "definition.value"),
        ({"criterion": "territory", "value": ["%"]}, "definition.value[0]"),
        ({"criterion": "territory", "value": "DE-8, _"}, "definition.value[1]"),
        ({"criterion": "name", "op": "eq", "value": "a\x00b"}, "definition"),
        ({"criterion": "name", "op": "eq", "value": "\ud800"}, "definition"),
        ({"criterion": "\ud800"}, "definition"),
        ({"criterion": "owner", "op": "in", "value": [2**60]}, "definition"),
        ({"any": [CUSTOMERS] * 60}, "definition.any[49]"),
    ],
)
def test_malformed_definitions_name_the_bad_part_and_store_nothing(
    crm: Crm, staff: Any, definition: Any, field: str
) -> None:
    with crm.transaction(staff.marketer) as tx, pytest.raises(ValidationError) as refused:
        service.create_segment(tx, {"name": "Bad", "definition": definition})
    assert refused.value.field == field
    with crm.transaction() as tx:
        assert tx.conn.execute(select(func.count()).select_from(segment)).scalar() == 0


def test_six_levels_of_nesting_are_the_most(crm: Crm, staff: Any, new_party: Any) -> None:
    customer = new_party()
    six = {"not": {"not": {"not": {"not": {"not": {"not": CUSTOMERS}}}}}}
    with crm.transaction(staff.marketer) as tx:
        assert {row.party_id for row in tx.conn.execute(compile_segment(tx, six))} == {customer}
