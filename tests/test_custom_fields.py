"""Custom fields: declared by plugins, typed, validated on write, stored and filterable."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from crmkit import CustomField, PluginError, ValidationError, hookimpl
from crmkit.app import Crm
from crmkit.core.parties import build_party, create_party, get_party, list_parties, update_party
from crmkit.core.tables import party
from crmkit.testing import register_plugin

FIELDS = [
    CustomField("prospect", "loyal_note", "text", max_length=10),
    CustomField("prospect", "loyal_visits", "integer"),
    CustomField("prospect", "loyal_vip", "boolean"),
    CustomField("prospect", "loyal_since", "date"),
    CustomField("prospect", "loyal_tier", "choice", choices=("bronze", "silver", "gold")),
    CustomField("prospect", "loyal_budget", "decimal"),
    CustomField("prospect", "loyal_seen_at", "datetime"),
    CustomField("customer", "loyal_number", "text", required=True),
]


class Loyalty:
    def __init__(self, fields: list[CustomField]) -> None:
        self.fields = fields

    @hookimpl
    def register_custom_fields(self) -> list[CustomField]:
        return self.fields


@pytest.fixture
def app(make_crm: Callable[..., Crm]) -> Crm:
    return make_crm(plugins=[register_plugin(Loyalty(FIELDS), name="loyal")])


def create(app: Crm, role: str = "prospect", name: str = "Berg", **custom: Any) -> int:
    with app.transaction() as tx:
        created = create_party(
            tx, build_party(role, {"last_name": name, "custom": custom}, region="DE")
        )
    assert created.id is not None
    return created.id


def stored_custom(app: Crm, party_id: int) -> dict[str, Any]:
    with app.engine.connect() as conn:
        return get_party(conn, party_id).custom


def test_values_are_converted_to_their_type_and_stored(app: Crm) -> None:
    party_id = create(
        app,
        loyal_note="likes tea",
        loyal_visits="7",
        loyal_vip="yes",
        loyal_since="2020-02-29",
        loyal_tier="gold",
        loyal_budget="1200.50",
        loyal_seen_at="2024-05-01T12:00:00+02:00",
    )
    assert stored_custom(app, party_id) == {
        "loyal_note": "likes tea",
        "loyal_visits": 7,
        "loyal_vip": True,
        "loyal_since": "2020-02-29",
        "loyal_tier": "gold",
        "loyal_budget": "1200.50",
        "loyal_seen_at": "2024-05-01T10:00:00+00:00",
    }


@pytest.mark.parametrize(
    ("custom", "field", "reason"),
    [
        ({"loyal_note": 5}, "custom.loyal_note", "expected text"),
        ({"loyal_note": "far too long"}, "custom.loyal_note", "longer than 10"),
        ({"loyal_visits": "seven"}, "custom.loyal_visits", "expected an integer"),
        ({"loyal_visits": True}, "custom.loyal_visits", "expected an integer"),
        ({"loyal_vip": "perhaps"}, "custom.loyal_vip", "true or false"),
        ({"loyal_since": "29.02.2020"}, "custom.loyal_since", "YYYY-MM-DD"),
        ({"loyal_since": "2021-02-29"}, "custom.loyal_since", "YYYY-MM-DD"),
        ({"loyal_tier": "platinum"}, "custom.loyal_tier", "not one of bronze, silver, gold"),
        ({"loyal_budget": 0.1}, "custom.loyal_budget", "decimal"),
        ({"loyal_budget": "NaN"}, "custom.loyal_budget", "finite"),
        ({"loyal_seen_at": "2024-05-01T12:00:00"}, "custom.loyal_seen_at", "UTC offset"),
        ({"loyal_shoe_size": 42}, "custom.loyal_shoe_size", "no custom field"),
    ],
)
def test_invalid_value_names_the_custom_field_and_stores_nothing(
    app: Crm, custom: dict[str, Any], field: str, reason: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        create(app, **custom)
    assert caught.value.field == field
    assert reason in caught.value.reason
    with app.engine.connect() as conn:
        assert list_parties(conn, "prospect").items == []


def test_required_field_must_be_given_on_create_and_kept_on_update(app: Crm) -> None:
    with pytest.raises(ValidationError) as caught:
        create(app, "customer")
    assert caught.value.field == "custom.loyal_number"
    customer_id = create(app, "customer", loyal_number="L-1")
    with pytest.raises(ValidationError) as caught, app.transaction() as tx:
        update_party(tx, customer_id, {"custom": {"loyal_number": None}}, 1, region="DE")
    assert caught.value.field == "custom.loyal_number"
    assert stored_custom(app, customer_id) == {"loyal_number": "L-1"}


def test_update_merges_custom_values_and_none_removes_one(app: Crm) -> None:
    party_id = create(app, loyal_visits=1, loyal_tier="bronze")
    with app.transaction() as tx:
        update_party(
            tx, party_id, {"custom": {"loyal_visits": 2, "loyal_tier": None}}, 1, region="DE"
        )
    assert stored_custom(app, party_id) == {"loyal_visits": 2}


def test_custom_values_without_declared_fields_are_refused(crm: Crm) -> None:
    with pytest.raises(ValidationError) as caught:
        create(crm, anything=1)
    assert caught.value.field == "custom.anything"


@pytest.mark.parametrize(
    ("field", "problem"),
    [
        (CustomField("prospect", "tier", "text"), "must be named loyal_"),
        (CustomField("prospect", "other_tier", "text"), "must be named loyal_"),
        (CustomField("prospect", "loyal_Tier", "text"), "must be named loyal_"),
        (CustomField("order", "loyal_tier", "text"), "unknown entity"),
        (CustomField("prospect", "loyal_tier", "colour"), "unknown type"),  # type: ignore[arg-type]
        (CustomField("prospect", "loyal_tier", "choice"), "needs choices"),
    ],
)
def test_bad_declaration_stops_start_up_naming_plugin_and_field(
    make_crm: Callable[..., Crm], field: CustomField, problem: str
) -> None:
    with pytest.raises(PluginError) as caught:
        make_crm(plugins=[register_plugin(Loyalty([field]), name="loyal")])
    assert caught.value.plugin == "loyal"
    assert field.name in caught.value.message
    assert problem in caught.value.message


def test_field_declared_twice_on_one_entity_is_refused(make_crm: Callable[..., Crm]) -> None:
    twice = [
        CustomField("prospect", "loyal_a", "text"),
        CustomField("prospect", "loyal_a", "integer"),
    ]
    with pytest.raises(PluginError, match="declared twice"):
        make_crm(plugins=[register_plugin(Loyalty(twice), name="loyal")])


PEOPLE: dict[str, dict[str, Any]] = {
    "ada": {
        "loyal_note": "alpha",
        "loyal_visits": 3,
        "loyal_vip": True,
        "loyal_since": "2019-12-31",
        "loyal_tier": "gold",
    },
    "bob": {
        "loyal_note": "beta 100%",
        "loyal_visits": 10,
        "loyal_vip": False,
        "loyal_since": "2020-01-15",
        "loyal_tier": "silver",
    },
    "cy": {
        "loyal_note": "gamma",
        "loyal_visits": -1,
        "loyal_vip": False,
        "loyal_since": "2021-06-01",
        "loyal_tier": "bronze",
    },
    "dee": {},
}


FILTERS: dict[str, list[tuple[str, Any, set[str]]]] = {
    "loyal_note": [
        ("eq", "alpha", {"ada"}),
        ("ne", "alpha", {"bob", "cy"}),
        ("lt", "beta", {"ada"}),
        ("le", "alpha", {"ada"}),
        ("gt", "beta 100%", {"cy"}),
        ("ge", "beta", {"bob", "cy"}),
        ("in", ["alpha", "gamma"], {"ada", "cy"}),
        ("contains", "100%", {"bob"}),
        ("contains", "a_", set()),
    ],
    "loyal_visits": [
        ("eq", "10", {"bob"}),
        ("ne", 3, {"bob", "cy"}),
        ("lt", 3, {"cy"}),
        ("le", 3, {"ada", "cy"}),
        ("gt", 3, {"bob"}),
        ("ge", -1, {"ada", "bob", "cy"}),
        ("in", "3,10", {"ada", "bob"}),
    ],
    "loyal_vip": [
        ("eq", True, {"ada"}),
        ("eq", "false", {"bob", "cy"}),
        ("ne", True, {"bob", "cy"}),
        ("in", [False], {"bob", "cy"}),
    ],
    "loyal_since": [
        ("eq", "2020-01-15", {"bob"}),
        ("ne", "2020-01-15", {"ada", "cy"}),
        ("lt", "2020-01-15", {"ada"}),
        ("le", "2020-01-15", {"ada", "bob"}),
        ("gt", "2020-01-15", {"cy"}),
        ("ge", "2020-01-01", {"bob", "cy"}),
        ("in", ["2019-12-31", "2021-06-01"], {"ada", "cy"}),
    ],
    "loyal_tier": [
        ("eq", "gold", {"ada"}),
        ("ne", "gold", {"bob", "cy"}),
        ("lt", "gold", {"cy"}),
        ("gt", "gold", {"bob"}),
        ("in", "gold,bronze", {"ada", "cy"}),
    ],
}
"""Per field: (operator, value, the people expected); "dee" has no custom values at all."""


@pytest.mark.parametrize("name", sorted(FILTERS))
def test_list_filters_on_custom_fields_with_every_operator(app: Crm, name: str) -> None:
    for person, custom in PEOPLE.items():
        create(app, name=person, **custom)
    with app.engine.connect() as conn:
        for op, value, expected in FILTERS[name]:
            condition = app.custom_fields.condition("prospect", party, name, op, value)
            page = list_parties(conn, "prospect", conditions=[condition])
            assert {p.last_name for p in page.items} == expected, (op, value)


@pytest.mark.parametrize(
    ("name", "op", "value", "problem"),
    [
        ("loyal_shoe_size", "eq", 1, "no custom field"),
        ("loyal_visits", "like", 1, "unknown operator"),
        ("loyal_visits", "contains", 1, "text fields only"),
        ("loyal_budget", "gt", "1", "eq and ne only"),
        ("loyal_tier", "eq", "platinum", "not one of"),
        ("loyal_since", "lt", "soon", "YYYY-MM-DD"),
    ],
)
def test_bad_filter_names_the_custom_field(
    app: Crm, name: str, op: str, value: Any, problem: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        app.custom_fields.condition("prospect", party, name, op, value)
    assert caught.value.field == f"custom.{name}"
    assert problem in caught.value.reason
