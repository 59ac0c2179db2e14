"""Plausible values for parameters and fields whose rules the OpenAPI document cannot state.

A schema says "a string" for a phone number, a currency or a stage, and "an
integer" for the id of a party: generated at random, nearly every write is
refused, and what an accepted write reads back is never put to the test. These
hooks give most generated bodies, path parameters, query strings and
headers, by the name of the field alone (in any operation, at any depth), a
value a client would send: names, real phone numbers in several spellings,
codes in odd case and spacing, the seeded records' ids
(:func:`tests.test_schemathesis._seed` and ``_seed_sales``), dates of this
century. The rest stay as generated.
"""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

from hypothesis import strategies as st

PHONES = st.sampled_from(
    [
        "+4930123456",
        "030 901820",
        "(030) 1234-5678",
        "0049 89 1234567",
        "+33 1 42 68 53 00",
        "+44 20 7946 0958",
        "+1 202-456-1111",
    ]
)
OFFSETS = st.sampled_from([UTC, timezone(timedelta(hours=2)), timezone(timedelta(hours=-5))])
MOMENTS = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=OFFSETS
).map(datetime.isoformat)
DAYS = st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 1, 1)).map(date.isoformat)
AMOUNTS = st.decimals(min_value=0, max_value=1_000_000, places=2).map(str)
PERCENTS = st.sampled_from(["0", "7", "19", "2.5"])
TERRITORIES = st.sampled_from(["DE-10", "de 1", "FR", "AT-1010"])

KEYS = itertools.count()
NAMES = st.sampled_from(["Müller", "  Anna   Maria ", "O'Brien", "Zoë", "Ng"])
WORDS = st.sampled_from(["Deal", "Call back", " Widget ", "Q4 renewal", "Ünïcode"])

BY_NAME: dict[str, st.SearchStrategy[Any]] = {
    "first_name": NAMES,
    "last_name": NAMES,
    "organisation_name": st.sampled_from(["Acme GmbH", " Zeta  AG "]),
    "title": WORDS,
    "subject": WORDS,
    "name": WORDS,
    "label": WORDS,
    # A key of its own each time: a reused key with another request is (rightly) refused.
    "Idempotency-Key": st.builds(lambda: f"key-{next(KEYS)}"),
    "If-Match": st.just('"1"'),
    "version": st.just(1),
    "user_id": st.integers(1, 2),
    "interaction_id": st.integers(1, 6),
    "activity_id": st.just(1),
    "quotation_id": st.integers(1, 2),
    "order_id": st.just(1),
    "product_id": st.just(1),
    "target_id": st.just(1),
    "phones": st.lists(PHONES, max_size=3),
    "emails": st.lists(st.emails(), max_size=3),
    "email": st.emails(),
    "country": st.sampled_from(["DE", "fr", "at", "CH"]),
    "currency": st.sampled_from(["EUR", "eur", "USD"]),
    "territory": TERRITORIES,
    "territories": st.lists(TERRITORIES, max_size=2),
    "party_id": st.integers(1, 6),
    "merged_id": st.integers(1, 6),
    "owner_id": st.sampled_from([1, 2, None]),
    "manager_id": st.sampled_from([1, 2, None]),
    "opportunity_id": st.sampled_from([1, 2]),
    "price_list_id": st.sampled_from([1, None]),
    "product_code": st.just("P-1"),
    "pipeline": st.sampled_from(["sales", None]),
    "stage": st.sampled_from(["initiation", "identification", "qualification", "final"]),
    "probability": st.integers(0, 100),
    "amount": AMOUNTS,
    "unit_price": AMOUNTS,
    "value": AMOUNTS,
    "quantity": st.sampled_from(["1", "2", "0.5", "10"]),
    "min_quantity": st.sampled_from(["1", "10"]),
    "tax_rate": PERCENTS,
    "discount": PERCENTS,
    "period": st.sampled_from(["2026", "2026-Q4", "2026-11"]),
    "scope_key": st.sampled_from(["north", "1", "de-10"]),
    "due_at": MOMENTS,
    "starts_at": MOMENTS,
    "ends_at": MOMENTS,
    "occurred_at": MOMENTS,
    "birth_date": DAYS,
    "expected_close": DAYS,
    "valid_until": DAYS,
    "valid_from": DAYS,
    "valid_to": DAYS,
    "requested_date": DAYS,
    "custom": st.just({}),
}


@st.composite
def _plausible(draw: st.DrawFn, value: Any) -> Any:
    if isinstance(value, dict):
        return {
            key: draw(BY_NAME[key]) if key in BY_NAME else draw(_plausible(item))
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [draw(_plausible(item)) for item in value]
    return value


def plausible(context: Any, generated: Any) -> st.SearchStrategy[Any]:
    """A schemathesis ``flatmap_*`` hook: ``generated`` as it is, or with plausible values."""
    del context
    return st.one_of(_plausible(generated), st.just(generated))


def plausible_headers(context: Any, generated: Any) -> st.SearchStrategy[Any]:
    """The ``flatmap_headers`` hook: as :func:`plausible`, where the plausible value is text
    (a header carries nothing else; a field of the same name elsewhere may be a list)."""
    if not isinstance(generated, dict):
        return plausible(context, generated)
    return plausible(context, generated).map(
        lambda headers: {
            name: value if isinstance(value, str) else generated[name]
            for name, value in headers.items()
        }
    )


def plausible_body(context: Any, body: Any) -> st.SearchStrategy[Any]:
    """The ``flatmap_body`` hook: as :func:`plausible`, and the fields left out are filled in too."""
    if not isinstance(body, dict):
        return plausible(context, body)
    absent = {
        name: BY_NAME[name]
        for name in _body_fields(context.operation)
        if name in BY_NAME and name not in body
    }
    filled = st.fixed_dictionaries(absent).flatmap(lambda extra: _plausible({**extra, **body}))
    return st.one_of(filled, st.just(body))


def _body_fields(operation: Any) -> list[str]:
    """The properties of the operation's JSON body schema, in the OpenAPI document."""
    content = operation.definition.raw.get("requestBody", {}).get("content", {})
    schema = content.get("application/json", {}).get("schema", {})
    if "$ref" in schema:
        schema = operation.schema.raw_schema["components"]["schemas"][schema["$ref"].split("/")[-1]]
    return list(schema.get("properties", {}))


def use_plausible_values(schema: Any) -> None:
    """Register the hooks on ``schema``: bodies, path parameters, query strings, headers."""
    schema.hook("flatmap_body")(plausible_body)
    schema.hook("flatmap_headers")(plausible_headers)
    for part in ("path_parameters", "query"):
        schema.hook(f"flatmap_{part}")(plausible)
