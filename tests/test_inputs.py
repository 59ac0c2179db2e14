"""Untrusted ids, numbers, dates, moments and cursors: refused naming the field, or read back equal.

Each value here once reached the database (or Python's date arithmetic) and
failed there with a 500; now a reader of :mod:`crmkit.core.inputs` refuses it first.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select

from crmkit import (
    MAX_ID,
    Crm,
    CustomField,
    ValidationError,
    build_party,
    create_party,
    create_task,
    hookimpl,
    list_parties,
    parse_whole_number,
    read_date,
    read_decimal,
    read_id,
    read_timestamp,
)
from crmkit.core.interactions import build_interaction, log_interaction
from crmkit.core.notifications import notify
from crmkit.core.pagination import encode_cursor
from crmkit.core.tables import interaction, party
from crmkit.testing import http_client, register_plugin
from tests.test_tasks import add_user, client_as, task_for
from tests.test_web import add_party, login, problem

# The moments the probe sent: in UTC they fall in the years 0 and 10000.
OVERFLOWING = ["0001-01-01T00:30:00+01:00", "9999-12-31T23:59:59-01:00"]
# The year 1 only in UTC: a database in a time zone west of Greenwich shows it in the year 0.
BAD_MOMENTS = [*OVERFLOWING, "0001-01-01T00:00:00+00:00"]
BAD_IDS = [2**63, MAX_ID + 1, 0]  # 2**63: an OverflowError in the driver
BAD_TEXTS = ["\ud800", "a\x00"]  # a lone surrogate no driver encodes, NUL PostgreSQL refuses
NOON = "2026-05-01T12:00:00+00:00"
NAME_CURSORS = [*([text, 1] for text in BAD_TEXTS), *(["Weber", i] for i in BAD_IDS)]
TIME_CURSORS = [*([moment, 1] for moment in BAD_MOMENTS), *([NOON, i] for i in BAD_IDS)]


# --- The readers


@pytest.mark.parametrize("value", [*OVERFLOWING, "0001-01-01T00:00:00Z", "9999-12-31T12:00:00Z"])
def test_a_moment_outside_the_years_1_to_9999_in_any_time_zone_is_refused(value: str) -> None:
    with pytest.raises(ValidationError) as refused:
        read_timestamp("due_at", value)
    assert refused.value.field == "due_at"
    assert "0001-01-02 to 9999-12-30" in refused.value.reason


def test_a_moment_is_read_as_the_same_moment_in_utc() -> None:
    given = "2026-05-04T09:30:00+02:00"
    read = read_timestamp("occurred_at", given)
    assert read == datetime.fromisoformat(given) and read.tzinfo == UTC


@pytest.mark.parametrize(
    "value",
    [
        *([], {}, 1.5, True, None),  # no text: a float has lost the cents already
        *("9" * 400, "1e999999", "1e-999999", "NaN", "-Infinity", "-1", "1000.001"),
        *(
            "1_000",
            "\u0661\u0662",
            " ",
            "12,50",
            "0x10",
        ),  # what Decimal() takes, people don't write
    ],
)
def test_a_decimal_that_is_no_bounded_number_is_refused_naming_the_field(value: Any) -> None:
    with pytest.raises(ValidationError) as refused:
        read_decimal("amount", value, places=2, minimum=Decimal(0), maximum=Decimal(1000))
    assert refused.value.field == "amount"


@pytest.mark.parametrize(
    ("given", "read"),
    [("12.50", "12.50"), (" 7 ", "7"), (12, "12"), ("1e3", "1000"), ("-0", "0"), (".5", "0.5")],
)
def test_a_decimal_is_read_as_it_is_stored(given: Any, read: str) -> None:
    number = read_decimal("amount", given, places=2, minimum=Decimal(0), maximum=Decimal(1000))
    assert str(number) == read


@pytest.mark.parametrize("value", ["0000-01-01", "2026-W01-1", "20260101", "2026-02-30", 20260101])
def test_a_date_is_year_month_day_of_the_calendar(value: Any) -> None:
    with pytest.raises(ValidationError) as refused:
        read_date("birth_date", value)
    assert refused.value.field == "birth_date"


def test_the_first_day_reads_back_as_given() -> None:
    assert read_date("birth_date", "0001-01-01").isoformat() == "0001-01-01"


@pytest.mark.parametrize("value", [0, -1, MAX_ID + 1, 2**63, True, "5", 5.0, None])
def test_an_id_is_a_json_whole_number_every_column_holds(value: Any) -> None:
    with pytest.raises(ValidationError) as refused:
        read_id("owner_id", value)
    assert refused.value.field == "owner_id"


@pytest.mark.parametrize("text", ["", "-1", " 1", "1_0", "\u00b2", "\u0663", "9" * 17, "1e3"])
def test_a_whole_number_in_a_query_is_ascii_digits_within_bounds(text: str) -> None:
    with pytest.raises(ValidationError) as refused:
        parse_whole_number("version", text, minimum=1)
    assert refused.value.field == "version"


def test_leading_zeros_are_the_same_number() -> None:
    assert parse_whole_number("limit", "0" * 30 + "7", maximum=500) == 7
    assert parse_whole_number("party_id", str(MAX_ID), minimum=1) == MAX_ID


# --- Cursors: forged ones are refused on every kernel list, never sent to SQL.


@pytest.mark.parametrize(
    ("url", "values"),
    [
        *(("/api/v1/customers", values) for values in NAME_CURSORS),
        *(("/api/v1/prospects?sort=created", values) for values in TIME_CURSORS),
        *(("/api/v1/customers?sort=-updated", values) for values in TIME_CURSORS),
    ],
    ids=repr,
)
def test_a_forged_cursor_of_a_party_list_is_a_problem_naming_it(
    make_crm: Callable[..., Crm], url: str, values: list[Any]
) -> None:
    client = http_client(make_crm([login()]))
    separator = "&" if "?" in url else "?"

    response = client.get(f"{url}{separator}cursor={encode_cursor(values)}")

    assert problem(response, 422)["field"] == "cursor"


@pytest.mark.parametrize("values", TIME_CURSORS, ids=repr)
def test_a_forged_cursor_of_a_timeline_is_a_problem_naming_it(
    make_crm: Callable[..., Crm], values: list[Any]
) -> None:
    crm = make_crm([login()])
    party_id = add_party(crm, last_name="Weber")
    client = http_client(crm)

    response = client.get(f"/api/v1/parties/{party_id}/timeline?cursor={encode_cursor(values)}")

    assert problem(response, 422)["field"] == "cursor"


@pytest.mark.parametrize(
    ("url", "values"),
    [
        *(("/api/v1/tasks?status=open", [moment, 1]) for moment in BAD_MOMENTS),
        ("/api/v1/tasks?status=open", [None, 2**63]),
        ("/api/v1/tasks?status=done", [2**63]),
        ("/api/v1/notifications?unread=false", [2**63]),
        ("/api/v1/notifications?unread=false", [0]),
    ],
    ids=repr,
)
def test_a_forged_cursor_of_the_actors_work_is_a_problem_naming_it(
    make_crm: Callable[..., Crm], url: str, values: list[Any]
) -> None:
    crm = make_crm()
    ann = add_user(crm, "ann")
    task_for(crm, ann)
    assert ann.user_id is not None
    with crm.transaction() as tx:
        notify(tx, ann.user_id, "Hello")
    client = client_as(make_crm, ann)

    response = client.get(f"{url}&cursor={encode_cursor(values)}")

    assert response.status_code == 422, response.text
    assert response.json()["field"] == "cursor"


# --- Bodies: the interaction the probe posted, refused naming the field, nothing stored.


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"refs": 123}, "refs"),
        ({"refs": {"kind": "x", "id": "1"}}, "refs"),
        ({"occurred_at": OVERFLOWING[0]}, "occurred_at"),
        ({"occurred_at": OVERFLOWING[1]}, "occurred_at"),
        ({"owner_id": 424242}, "owner_id"),
        ({"owner_id": 0}, "owner_id"),
    ],
)
def test_a_posted_interaction_the_database_cannot_take_is_refused_naming_the_field(
    make_crm: Callable[..., Crm], changes: dict[str, Any], field: str
) -> None:
    crm = make_crm([login()])
    party_id = add_party(crm, last_name="Weber")
    client = http_client(crm)
    body = {"party_id": party_id, "channel": "email", "direction": "inbound", **changes}

    response = client.post("/api/v1/interactions", json=body)

    assert problem(response, 422)["field"] == field
    assert interactions(crm) == 0


def test_an_interaction_a_plugin_logs_for_a_user_who_does_not_exist_is_refused(crm: Crm) -> None:
    party_id = add_party(crm, last_name="Weber")
    item = build_interaction(
        {"party_id": party_id, "channel": "phone", "direction": "outbound", "owner_id": 424242}
    )

    with pytest.raises(ValidationError) as refused, crm.transaction() as tx:
        log_interaction(tx, item)

    assert refused.value.field == "owner_id"
    assert interactions(crm) == 0


def test_an_interaction_is_answered_with_the_moment_it_reads_back(
    make_crm: Callable[..., Crm],
) -> None:
    crm = make_crm([login()])
    party_id = add_party(crm, last_name="Weber")
    client = http_client(crm)
    body = {"party_id": party_id, "channel": "email", "direction": "inbound"}

    created = client.post(
        "/api/v1/interactions", json={**body, "occurred_at": "0001-01-02T00:30:00+00:30"}
    ).json()

    read = client.get(f"/api/v1/interactions/{created['id']}").json()
    assert created["occurred_at"] == read["occurred_at"]
    assert datetime.fromisoformat(read["occurred_at"]) == datetime(1, 1, 2, tzinfo=UTC)


def test_a_task_due_at_a_moment_outside_the_calendar_in_utc_is_refused(crm: Crm) -> None:
    ann = add_user(crm, "ann")
    assert ann.user_id is not None
    due = datetime.fromisoformat(OVERFLOWING[1])

    with pytest.raises(ValidationError) as refused, crm.transaction() as tx:
        create_task(tx, ann.user_id, "Call back", due_at=due)

    assert refused.value.field == "due_at"


# --- Pages: ids and versions in paths and forms.


def test_a_party_page_for_an_id_no_column_holds_is_not_found(
    make_crm: Callable[..., Crm],
) -> None:
    client = http_client(make_crm([login()]))

    for path in ("/parties/99999999999999999999", "/parties/99999999999999999999/edit"):
        assert client.get(path).status_code == 404


@pytest.mark.parametrize("version", ["\u00b2", "99999999999999999999"])
def test_a_task_form_with_a_version_that_is_no_number_is_refused(
    make_crm: Callable[..., Crm], version: str
) -> None:
    crm = make_crm()
    ann = add_user(crm, "ann")
    task_id = task_for(crm, ann)
    client = client_as(make_crm, ann, csrf_token="tok-123")

    response = client.post(
        f"/work/tasks/{task_id}",
        data={"status": "done", "version": version, "csrf_token": "tok-123"},
        follow_redirects=False,
    )

    assert response.status_code == 422
    assert client.get("/api/v1/tasks?status=open").json()["items"][0]["id"] == task_id


def interactions(crm: Crm) -> int:
    with crm.read() as conn:
        return int(conn.execute(select(func.count()).select_from(interaction)).scalar_one())


# --- Custom integers: as many digits as JSON carries, compared as 64-bit numbers.


class Points:
    @hookimpl
    def register_custom_fields(self) -> list[CustomField]:
        return [CustomField("customer", "points_balance", "integer")]


def test_a_custom_integer_beyond_32_bits_is_filtered_and_one_beyond_json_refused(
    make_crm: Callable[..., Crm],
) -> None:
    crm = make_crm([register_plugin(Points(), name="points")])
    rich = add_party(crm, last_name="Rich", custom={"points_balance": 3_000_000_000})
    fields = crm.custom_fields

    with crm.read() as conn:
        over = fields.condition("customer", party, "points_balance", "gt", "2147483648")
        found = list_parties(conn, "customer", conditions=[over]).items
    with pytest.raises(ValidationError) as refused:
        fields.condition("customer", party, "points_balance", "lt", "9" * 20)

    assert [p.id for p in found] == [rich]
    assert refused.value.field == "custom.points_balance"
    beyond = {"last_name": "Beyond", "custom": {"points_balance": "9" * 20}}
    with pytest.raises(ValidationError) as too_big, crm.transaction() as tx:
        create_party(tx, build_party("customer", beyond, region="DE"))
    assert too_big.value.field == "custom.points_balance"


@pytest.mark.parametrize(
    ("value", "required", "refusal"),
    [
        (5, False, "expected text"),
        ("  ", True, "is required"),
        ("x" * 11, False, "at most 10 characters"),
        ("a\x00b", False, "NUL"),
    ],
)
def test_read_text_refuses_naming_the_field(value: Any, required: bool, refusal: str) -> None:
    from crmkit import read_text

    with pytest.raises(ValidationError) as caught:
        read_text("note", value, limit=10, required=required)
    assert caught.value.field == "note" and refusal in caught.value.message


def test_read_text_strips_and_reads_blank_as_nothing() -> None:
    from crmkit import read_text

    assert read_text("note", "  tea  ", limit=3) == "tea"
    assert read_text("note", "   ", limit=3) is None


def test_read_choice_time_zone_and_check_fields() -> None:
    from crmkit import check_fields, read_choice, read_time_zone

    assert read_choice("kind", "b", ("a", "b")) == "b"
    assert read_time_zone("zone", "Europe/Berlin") == "Europe/Berlin"
    for reader, value, field in [
        (lambda v: read_choice("kind", v, ("a", "b")), "B", "kind"),
        (lambda v: read_time_zone("zone", v), "localtime", "zone"),
        (lambda v: read_time_zone("zone", v), "../../etc/passwd", "zone"),
        (
            lambda v: check_fields(v, ("name",), "variants[1]."),
            {"name": 1, "colour": 2},
            "variants[1].colour",
        ),
    ]:
        with pytest.raises(ValidationError) as caught:
            reader(value)
        assert caught.value.field == field
